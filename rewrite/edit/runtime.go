package edit

import (
	"bytes"
	"cmp"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/txscope/txscope/rewrite/bundle"
	"github.com/txscope/txscope/rewrite/load"
)

// RuntimeEdits are the files of the runtime's copy that the edits need,
// stamped with version: the core files and those of each driver whose names
// the edited files use or the existing copy has. A file whose body is
// already there is left alone, so a second run changes nothing.
func RuntimeEdits(prog *load.Program, edits []FileEdit, version string) ([]FileEdit, error) {
	rt := prog.Runtime
	if rt == nil || !rt.Vendored() {
		return nil, nil
	}
	drivers, used := runtimeDrivers(rt, edits)
	for name := range rt.OnDisk {
		if f, ok := bundleFile(name); ok {
			drivers = append(drivers, f.Driver)
		}
	}
	switch {
	case rt.Unusable != nil && used:
		return nil, rt.Unusable
	case rt.Unusable != nil, !used && len(rt.OnDisk) == 0:
		return nil, nil
	}
	var out []FileEdit
	for _, f := range bundle.ForDrivers(drivers...) {
		src := f.Source(rt.ImportPath)
		old, exists := rt.OnDisk[f.Name]
		if _, body := bundle.Inspect(old); exists && bytes.Equal(body, src) {
			continue
		}
		path := filepath.Join(rt.Dir, filepath.FromSlash(f.Name))
		out = append(out, FileEdit{Path: path, Rel: prog.Rel(path), Old: old, New: bundle.Stamp(version, src), Create: !exists})
	}
	return out, nil
}

// runtimeDrivers are the drivers whose runtime names the edited files use,
// and whether any edited file imports the runtime (or a sub-package of it)
// at all.
func runtimeDrivers(rt *load.Runtime, edits []FileEdit) (drivers []bundle.Driver, used bool) {
	dirs := []string{""}
	for dir := range bundle.SubPackages() {
		dirs = append(dirs, dir)
	}
	for _, e := range edits {
		f, err := parser.ParseFile(token.NewFileSet(), e.Path, e.New, parser.SkipObjectResolution)
		if err != nil {
			continue // Verify reports it
		}
		for _, dir := range dirs {
			name := importName(f, rt.PackagePath(dir), cmp.Or(dir, bundle.Package))
			if name == "" {
				continue
			}
			used = true
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == name {
						if d := bundle.DriverOf(dir, sel.Sel.Name); d != "" {
							drivers = append(drivers, d)
						}
					}
				}
				return true
			})
		}
	}
	return drivers, used
}

// importName is the name f refers to the package at path by, "" when f does
// not import it; pkg is the package's own name.
func importName(f *ast.File, path, pkg string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return pkg
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
