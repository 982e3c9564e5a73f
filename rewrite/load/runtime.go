package load

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/bundle"
	"github.com/txscope/txscope/rules"
	"golang.org/x/mod/modfile"
)

// RuntimePath is the import path of the runtime's package for this program.
func (p *Program) RuntimePath() string {
	if p.Runtime == nil {
		return PooledPackage
	}
	return p.Runtime.ImportPath
}

// PooledPackage is the runtime package the default pooled handle comes from
// when the module requires txscope's module.
const PooledPackage = "github.com/txscope/txscope/tenantpool"

const TxscopeModule = "github.com/txscope/txscope"

// Runtime is where the tenant-scoped handle's package comes from for the
// loaded module: imported from txscope's module when the module requires it,
// else a copy of its source inside the module that the rewrite writes.
type Runtime struct {
	ImportPath string
	Dir        string // absolute directory of the copy; "" when imported
	// onDisk are the files of an existing copy, by base name.
	OnDisk map[string][]byte
	// unusable says why the runtime cannot be used in this module: a copy
	// edited by hand, a foreign package in its directory, or a load error.
	Unusable error
}

// Vendored reports whether the runtime is a copy inside the module.
func (rt *Runtime) Vendored() bool { return rt.Dir != "" }

// Holds reports whether path is a file of the runtime's copy.
func (rt *Runtime) Holds(path string) bool { return rt.Vendored() && filepath.Dir(path) == rt.Dir }

// UsesRuntime reports whether a pooled template calls into the runtime.
func UsesRuntime(pooled string) bool {
	return pooled == "" || strings.Contains(pooled, bundle.Package+".")
}

// findRuntime decides where the runtime comes from for the module whose
// go.mod is gomod, and returns the overlay that puts a copy in place for
// loading (nothing when the module imports it, or cannot have one).
func findRuntime(cfg *rules.Config, gomod string) (*Runtime, map[string][]byte, error) {
	mf, err := readModFile(gomod)
	if err != nil {
		return nil, nil, err
	}
	if mf.Module.Mod.Path == TxscopeModule || requires(mf, TxscopeModule) {
		return &Runtime{ImportPath: PooledPackage}, nil, nil
	}
	rel := cfg.RuntimeDir()
	rt := &Runtime{
		ImportPath: path.Join(mf.Module.Mod.Path, rel),
		Dir:        filepath.Join(filepath.Dir(gomod), filepath.FromSlash(rel)),
		OnDisk:     map[string][]byte{},
	}
	if rt.Unusable = rt.readCopy(rel, filepath.Dir(gomod)); rt.Unusable != nil {
		rt.OnDisk = nil
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
		return fmt.Errorf("%s leads outside the module (to %s), so txscope will not write its runtime there (set runtime.dir in %s)", rel, real, rules.ConfigFile)
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
			return fmt.Errorf("%s was not written by txscope, so its runtime cannot go to %s (set runtime.dir in %s)", file, rel, rules.ConfigFile)
		case bundle.Edited:
			return fmt.Errorf("%s was edited after txscope wrote it, so txscope will not replace it (undo the edit, or delete the file to get a fresh copy)", file)
		}
		rt.OnDisk[e.Name()] = data
	}
	return nil
}
