package load

import (
	"errors"
	"fmt"
	"maps"
	"os"
	pathpkg "path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/bundle"
	"github.com/txscope/txscope/rules"
	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"
)

// RuntimePath is the import path of the runtime's package for this program.
func (p *Program) RuntimePath() string {
	if p.Runtime == nil {
		return PooledPackage
	}
	return p.Runtime.ImportPath
}

// RuntimeImports are the import paths of the runtime's package and its
// sub-packages for this program, with their package names.
func (p *Program) RuntimeImports() map[string]string {
	root := p.RuntimePath()
	out := map[string]string{root: bundle.Package}
	for dir := range bundle.SubPackages() {
		out[root+"/"+dir] = pathpkg.Base(dir)
	}
	return out
}

// PooledPackage is the runtime package the default pooled handle comes from
// when the module requires txscope's module.
const PooledPackage = bundle.ImportPath

const TxscopeModule = "github.com/txscope/txscope"

// Runtime is where the tenant-scoped handle's package comes from for the
// loaded module: imported from txscope's module when the module requires it,
// else a copy of its source inside the module that the rewrite writes.
type Runtime struct {
	ImportPath string
	Dir        string // absolute directory of the copy; "" when imported
	// OnDisk are the files of an existing copy, by their name in the
	// bundle (a slash path in Dir).
	OnDisk map[string][]byte
	// Subs are the sub-package directories loaded beside the runtime's
	// package: those of the drivers the module requires (sqlxpool for sqlx).
	Subs []string
	// Packages are the runtime's packages as loaded, by directory ("" for
	// the runtime's own), those that type-check only.
	Packages map[string]*packages.Package
	// Unusable says why the runtime cannot be used in this module: a copy
	// edited by hand, a foreign package in its directory, or a load error.
	Unusable error
	// Broken says why a sub-package cannot be used in this module (it did
	// not load or type-check), by directory; only the plans that need it
	// fail.
	Broken map[string]error
}

// PackagePath is the import path of the runtime's package in directory dir
// ("" for the runtime's own).
func (rt *Runtime) PackagePath(dir string) string {
	if dir == "" {
		return rt.ImportPath
	}
	return rt.ImportPath + "/" + dir
}

// PackageFor is the loaded runtime package whose name is name (the runtime's
// or a sub-package's), or why there is none.
func (rt *Runtime) PackageFor(name string) (*packages.Package, error) {
	dir := name
	if name == bundle.Package {
		dir = ""
	}
	switch {
	case rt.Unusable != nil:
		return nil, rt.Unusable
	case rt.Broken[dir] != nil:
		return nil, rt.Broken[dir]
	case rt.Packages[dir] == nil:
		return nil, fmt.Errorf("%s is not loaded", rt.PackagePath(dir))
	}
	return rt.Packages[dir], nil
}

// Vendored reports whether the runtime is a copy inside the module.
func (rt *Runtime) Vendored() bool { return rt.Dir != "" }

// Holds reports whether path is a file of the runtime's copy.
func (rt *Runtime) Holds(path string) bool {
	_, ok := rt.FileName(path)
	return ok
}

// FileName is the bundle's name of path (bundle.File.Name), when path is in
// the copy's directory or in one of its sub-packages'.
func (rt *Runtime) FileName(path string) (string, bool) {
	if !rt.Vendored() {
		return "", false
	}
	rel, err := filepath.Rel(rt.Dir, path)
	if err != nil {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	dir := bundle.DirOf(rel)
	_, sub := bundle.SubPackages()[dir]
	return rel, !strings.HasPrefix(rel, "../") && (dir == "" || sub)
}

// UsesRuntime reports whether a pooled template calls into the runtime.
func UsesRuntime(pooled string) bool {
	if pooled == "" || strings.Contains(pooled, bundle.Package+".") {
		return true
	}
	for dir := range bundle.SubPackages() {
		if strings.Contains(pooled, dir+".") {
			return true
		}
	}
	return false
}

// driverModules are the modules a module requires to use each driver's
// files of the runtime (database/sql's are the standard library's).
var driverModules = map[bundle.Driver]string{
	bundle.PGX:  "github.com/jackc/pgx/v5",
	bundle.SQLX: "github.com/jmoiron/sqlx",
}

// drivers are the runtime's drivers the module can use: database/sql, and
// each other one whose module it requires.
func drivers(mf *modfile.File) []bundle.Driver {
	out := []bundle.Driver{bundle.SQL}
	for _, d := range slices.Sorted(maps.Keys(driverModules)) {
		if requires(mf, driverModules[d]) {
			out = append(out, d)
		}
	}
	return out
}

// subs are the sub-packages of the given drivers.
func subs(drivers []bundle.Driver) []string {
	var out []string
	for dir, d := range bundle.SubPackages() {
		if slices.Contains(drivers, d) {
			out = append(out, dir)
		}
	}
	slices.Sort(out)
	return out
}

// findRuntime decides where the runtime comes from for the module whose
// go.mod is gomod, and returns the overlay that puts a copy in place for
// loading (nothing when the module imports it, or cannot have one).
func findRuntime(cfg *rules.Config, gomod string) (*Runtime, map[string][]byte, error) {
	mf, err := readModFile(gomod)
	if err != nil {
		return nil, nil, err
	}
	usable := drivers(mf)
	if mf.Module.Mod.Path == TxscopeModule || requires(mf, TxscopeModule) {
		return &Runtime{ImportPath: PooledPackage, Subs: subs(usable)}, nil, nil
	}
	rel := cfg.RuntimeDir()
	rt := &Runtime{
		ImportPath: pathpkg.Join(mf.Module.Mod.Path, rel),
		Dir:        filepath.Join(filepath.Dir(gomod), filepath.FromSlash(rel)),
		OnDisk:     map[string][]byte{},
		Subs:       subs(usable),
	}
	if rt.Unusable = rt.readCopy(rel, filepath.Dir(gomod)); rt.Unusable != nil {
		rt.OnDisk = nil
		return rt, nil, nil
	}
	overlay := map[string][]byte{}
	for _, f := range bundle.ForDrivers(usable...) {
		overlay[filepath.Join(rt.Dir, filepath.FromSlash(f.Name))] = f.Source(rt.ImportPath)
	}
	return rt, overlay, nil
}

// readModFile parses go.mod, which must name its module.
func readModFile(gomod string) (*modfile.File, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	mf, err := modfile.ParseLax(gomod, data, nil)
	if err != nil || mf.Module == nil {
		return nil, fmt.Errorf("load: %s: cannot read the module path", gomod)
	}
	return mf, nil
}

func requires(mf *modfile.File, module string) bool {
	return slices.ContainsFunc(mf.Require, func(r *modfile.Require) bool { return r.Mod.Path == module })
}

// readCopy reads the .go files already in the runtime's directory and in
// its sub-packages': each must be txscope's, unedited, for a newer copy to
// replace it. A directory that is a link leading out of the module is
// refused: nothing is written outside it.
func (rt *Runtime) readCopy(rel, moduleDir string) error {
	root, rootErr := filepath.EvalSymlinks(moduleDir)
	for _, dir := range append([]string{""}, slices.Sorted(maps.Keys(bundle.SubPackages()))...) {
		real, err := filepath.EvalSymlinks(filepath.Join(rt.Dir, filepath.FromSlash(dir)))
		switch {
		case errors.Is(err, os.ErrNotExist) && dir == "":
			return nil // no copy yet
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return err
		case rootErr != nil || !within([]string{root}, real):
			return fmt.Errorf("%s leads outside the module (to %s), so txscope will not write its runtime there (set runtime.dir in %s)", pathpkg.Join(rel, dir), real, rules.ConfigFile)
		}
		if err := rt.readDir(rel, dir); err != nil {
			return err
		}
	}
	return nil
}

// readDir reads the .go files of the copy's package directory dir ("" for
// the runtime's own).
func (rt *Runtime) readDir(rel, dir string) error {
	entries, err := os.ReadDir(filepath.Join(rt.Dir, filepath.FromSlash(dir)))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		name := pathpkg.Join(dir, e.Name())
		data, err := os.ReadFile(filepath.Join(rt.Dir, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		file := pathpkg.Join(rel, name)
		switch c, _ := bundle.Inspect(data); c {
		case bundle.Foreign:
			return fmt.Errorf("%s was not written by txscope, so its runtime cannot go to %s (set runtime.dir in %s)", file, rel, rules.ConfigFile)
		case bundle.Edited:
			return fmt.Errorf("%s was edited after txscope wrote it, so txscope will not replace it (undo the edit, or delete the file to get a fresh copy)", file)
		}
		rt.OnDisk[name] = data
	}
	return nil
}
