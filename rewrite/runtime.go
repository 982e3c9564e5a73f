package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/txscope/txscope/rewrite/bundle"
	"github.com/txscope/txscope/rules"
	"golang.org/x/mod/modfile"
)

// PooledPackage is the runtime package the default pooled handle comes from
// when the module requires txscope's module.
const PooledPackage = "github.com/txscope/txscope/tenantpool"

const txscopeModule = "github.com/txscope/txscope"

// Runtime is where the tenant-scoped handle's package comes from for the
// loaded module: imported from txscope's module when the module requires it,
// else a copy of its source inside the module that the rewrite writes.
type Runtime struct {
	ImportPath string
	Dir        string // absolute directory of the copy; "" when imported
	// onDisk are the files of an existing copy, by base name.
	onDisk map[string][]byte
	// unusable says why the runtime cannot be used in this module: a copy
	// edited by hand, a foreign package in its directory, or a load error.
	unusable error
}

// Vendored reports whether the runtime is a copy inside the module.
func (rt *Runtime) Vendored() bool { return rt.Dir != "" }

// holds reports whether path is a file of the runtime's copy.
func (rt *Runtime) holds(path string) bool { return rt.Vendored() && filepath.Dir(path) == rt.Dir }

// usesRuntime reports whether a pooled template calls into the runtime.
func usesRuntime(pooled string) bool {
	return pooled == "" || strings.Contains(pooled, bundle.Package+".")
}

// findRuntime decides where the runtime comes from for the module whose
// go.mod is gomod, and returns the overlay that puts a copy in place for
// loading (nothing when the module imports it, or cannot have one).
func findRuntime(cfg *rules.Config, gomod string) (*Runtime, map[string][]byte, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	mf, err := modfile.ParseLax(gomod, data, nil)
	if err != nil || mf.Module == nil {
		return nil, nil, fmt.Errorf("load: %s: cannot read the module path", gomod)
	}
	if mf.Module.Mod.Path == txscopeModule || requires(mf, txscopeModule) {
		return &Runtime{ImportPath: PooledPackage}, nil, nil
	}
	rel := cfg.RuntimeDir()
	rt := &Runtime{
		ImportPath: path.Join(mf.Module.Mod.Path, rel),
		Dir:        filepath.Join(filepath.Dir(gomod), filepath.FromSlash(rel)),
		onDisk:     map[string][]byte{},
	}
	if rt.unusable = rt.readCopy(rel, filepath.Dir(gomod)); rt.unusable != nil {
		rt.onDisk = nil
		return rt, nil, nil
	}
	drivers := []bundle.Driver{bundle.SQL}
	if requires(mf, "github.com/jackc/pgx/v5") {
		drivers = append(drivers, bundle.PGX)
	}
	overlay := map[string][]byte{}
	for _, f := range bundle.ForDrivers(drivers...) {
		overlay[filepath.Join(rt.Dir, f.Name)] = f.Body
	}
	return rt, overlay, nil
}

func requires(mf *modfile.File, module string) bool {
	return slices.ContainsFunc(mf.Require, func(r *modfile.Require) bool { return r.Mod.Path == module })
}

// readCopy reads the .go files already in the runtime's directory: each
// must be txscope's, unedited, for a newer copy to replace it. A directory
// that is a link leading out of the module is refused: nothing is written
// outside it.
func (rt *Runtime) readCopy(rel, moduleDir string) error {
	real, err := filepath.EvalSymlinks(rt.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if root, err := filepath.EvalSymlinks(moduleDir); err != nil || !within([]string{root}, real) {
		return fmt.Errorf("%s leads outside the module (to %s), so txscope will not write its runtime there (set runtime.dir in %s)", rel, real, ConfigFile)
	}
	entries, err := os.ReadDir(rt.Dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(rt.Dir, e.Name()))
		if err != nil {
			return err
		}
		file := path.Join(rel, e.Name())
		switch c, _ := bundle.Inspect(data); c {
		case bundle.Foreign:
			return fmt.Errorf("%s was not written by txscope, so its runtime cannot go to %s (set runtime.dir in %s)", file, rel, ConfigFile)
		case bundle.Edited:
			return fmt.Errorf("%s was edited after txscope wrote it, so txscope will not replace it (undo the edit, or delete the file to get a fresh copy)", file)
		}
		rt.onDisk[e.Name()] = data
	}
	return nil
}

// runtimeEdits are the files of the runtime's copy that the edits need,
// stamped with version: the core files and those of each driver whose names
// the edited files use or the existing copy has. A file whose body is
// already there is left alone, so a second run changes nothing.
func runtimeEdits(prog *Program, edits []FileEdit, version string) ([]FileEdit, error) {
	rt := prog.Runtime
	if rt == nil || !rt.Vendored() {
		return nil, nil
	}
	drivers, used := runtimeDrivers(rt, edits)
	for name := range rt.onDisk {
		if f, ok := bundleFile(name); ok {
			drivers = append(drivers, f.Driver)
		}
	}
	switch {
	case rt.unusable != nil && used:
		return nil, rt.unusable
	case rt.unusable != nil, !used && len(rt.onDisk) == 0:
		return nil, nil
	}
	var out []FileEdit
	for _, f := range bundle.ForDrivers(drivers...) {
		old, exists := rt.onDisk[f.Name]
		if _, body := bundle.Inspect(old); exists && bytes.Equal(body, f.Body) {
			continue
		}
		path := filepath.Join(rt.Dir, f.Name)
		out = append(out, FileEdit{Path: path, Rel: prog.Rel(path), Old: old, New: bundle.Stamp(version, f.Body), Create: !exists})
	}
	return out, nil
}

// runtimeDrivers are the drivers whose runtime names the edited files use,
// and whether any edited file imports the runtime at all.
func runtimeDrivers(rt *Runtime, edits []FileEdit) (drivers []bundle.Driver, used bool) {
	for _, e := range edits {
		f, err := parser.ParseFile(token.NewFileSet(), e.Path, e.New, parser.SkipObjectResolution)
		if err != nil {
			continue // Verify reports it
		}
		name := importName(f, rt.ImportPath)
		if name == "" {
			continue
		}
		used = true
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == name {
					if d := bundle.DriverOf(sel.Sel.Name); d != "" {
						drivers = append(drivers, d)
					}
				}
			}
			return true
		})
	}
	return drivers, used
}

// importName is the name f refers to the package at path by, "" when f does
// not import it.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return bundle.Package
		}
	}
	return ""
}

func bundleFile(name string) (bundle.File, bool) {
	i := slices.IndexFunc(bundle.Files(), func(f bundle.File) bool { return f.Name == name })
	if i < 0 {
		return bundle.File{}, false
	}
	return bundle.Files()[i], true
}
