package verify

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/bundle"
	"github.com/txscope/txscope/rewrite/edit"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"golang.org/x/tools/go/packages"
)

// Verify type-checks, in memory, every package an edit touches with the
// edited files in place, and every loaded package that imports one of them,
// in dependency order against the new types: a middleware and the handlers
// in other packages that switch to its variant are checked as one unit.
// Each type error is charged to the plan whose function holds it (or to
// every plan of the file when it lies elsewhere).
func Verify(prog *load.Program, edits []edit.FileEdit, plans []plan.Plan) []edit.Failure {
	byPath := map[string]edit.FileEdit{}
	for _, e := range edits {
		byPath[e.Path] = e
	}
	imp, checked := importerOf(prog)
	failures := verifyRuntime(prog, edits, imp, checked)
	for _, pkg := range recheckOrder(prog, byPath) {
		files := make([]*ast.File, 0, len(pkg.Syntax))
		newFiles := map[*ast.File]string{}
		for _, f := range pkg.Syntax {
			name := syntax.RealPosition(prog.Fset, f.Pos()).Filename
			e, ok := byPath[name]
			if !ok {
				files = append(files, f)
				continue
			}
			nf, err := parser.ParseFile(prog.Fset, name, e.New, parser.ParseComments)
			if err != nil {
				failures = append(failures, blame(prog, plans, name, nil, err)...)
				continue
			}
			files = append(files, nf)
			newFiles[nf] = name
		}
		var errs []types.Error
		conf := types.Config{Importer: imp, Error: func(err error) {
			if te, ok := err.(types.Error); ok {
				errs = append(errs, te)
			}
		}}
		checked[pkg.PkgPath], _ = conf.Check(pkg.PkgPath, prog.Fset, files, nil)
		for _, te := range errs {
			name := syntax.RealPosition(prog.Fset, te.Pos).Filename
			var decl *ast.FuncDecl
			for nf, n := range newFiles {
				if n == name {
					decl = declAt(nf, te.Pos)
				}
			}
			// A position in the rewritten text, which the user has not
			// seen, is marked so; the plans' reasons carry the message and
			// the function it lands in, which say more.
			pos := prog.Position(te.Pos)
			if _, edited := byPath[name]; edited {
				pos += " (rewritten)"
			}
			for _, f := range blame(prog, plans, name, decl, errors.New(te.Msg)) {
				f.Pos = pos
				if decl != nil {
					f.Func = FuncKey(decl)
				}
				failures = append(failures, f)
			}
		}
	}
	return failures
}

// verifyRuntime type-checks the runtime's copy as the edits leave it, its
// own package before the sub-packages that import it, so that the edited
// packages are checked against exactly the files written.
func verifyRuntime(prog *load.Program, edits []edit.FileEdit, imp types.Importer, checked map[string]*types.Package) []edit.Failure {
	rt := prog.Runtime
	if rt == nil || !rt.Vendored() {
		return nil
	}
	contents := map[string][]byte{}
	for name, data := range rt.OnDisk {
		contents[filepath.Join(rt.Dir, filepath.FromSlash(name))] = data
	}
	edited := false
	for _, e := range edits {
		if rt.Holds(e.Path) {
			contents[e.Path], edited = e.New, true
		}
	}
	if !edited {
		return nil
	}
	byDir := map[string][]*ast.File{}
	for _, name := range slices.Sorted(maps.Keys(contents)) {
		f, err := parser.ParseFile(prog.Fset, name, contents[name], parser.ParseComments)
		if err != nil {
			return []edit.Failure{{Plan: -1, File: name, Err: err}}
		}
		rel, _ := rt.FileName(name)
		dir := bundle.DirOf(rel)
		byDir[dir] = append(byDir[dir], f)
	}
	for _, dir := range slices.Sorted(maps.Keys(byDir)) {
		conf := types.Config{Importer: imp}
		pkg, err := conf.Check(rt.PackagePath(dir), prog.Fset, byDir[dir], nil)
		if err != nil {
			return []edit.Failure{{Plan: -1, File: filepath.Join(rt.Dir, filepath.FromSlash(dir)), Err: fmt.Errorf("the runtime's copy does not type-check: %w", err)}}
		}
		checked[rt.PackagePath(dir)] = pkg
	}
	return nil
}

// recheckOrder lists the packages with edits and the loaded packages that
// import them (directly or not), each after the edited packages it imports.
func recheckOrder(prog *load.Program, edits map[string]edit.FileEdit) []*packages.Package {
	byPath := map[string]*packages.Package{}
	for _, p := range prog.Packages {
		if p.ForTest == "" || p.PkgPath == p.ForTest {
			byPath[p.PkgPath] = p
		}
	}
	affected := map[string]bool{}
	var visit func(p *packages.Package) bool
	visiting := map[string]bool{}
	visit = func(p *packages.Package) bool {
		if done, ok := affected[p.PkgPath]; ok || visiting[p.PkgPath] {
			return done
		}
		visiting[p.PkgPath] = true
		hit := touches(prog, p, edits)
		for path := range p.Imports {
			if dep, ok := byPath[path]; ok && visit(dep) {
				hit = true
			}
		}
		affected[p.PkgPath] = hit
		return hit
	}
	var order []*packages.Package
	added := map[string]bool{}
	var add func(p *packages.Package)
	add = func(p *packages.Package) {
		if added[p.PkgPath] || !affected[p.PkgPath] {
			return
		}
		added[p.PkgPath] = true
		for path := range p.Imports {
			if dep, ok := byPath[path]; ok {
				add(dep)
			}
		}
		order = append(order, p)
	}
	for _, p := range prog.Packages {
		visit(p)
	}
	for _, p := range prog.Packages {
		add(p)
	}
	return order
}

func touches(prog *load.Program, pkg *packages.Package, edits map[string]edit.FileEdit) bool {
	for _, f := range pkg.Syntax {
		if _, ok := edits[syntax.RealPosition(prog.Fset, f.Pos()).Filename]; ok {
			return true
		}
	}
	return false
}

// declAt is the function declaration of f that contains pos.
func declAt(f *ast.File, pos token.Pos) *ast.FuncDecl {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Pos() <= pos && pos <= fd.End() {
			return fd
		}
	}
	return nil
}

// blame charges err to the plans in file whose function is decl (matched by
// receiver and name), or to every rewritten plan of the file.
func blame(prog *load.Program, plans []plan.Plan, file string, decl *ast.FuncDecl, err error) []edit.Failure {
	var out []edit.Failure
	var all []edit.Failure
	for i, p := range plans {
		if p.Action != plan.ActionPooled && p.Action != plan.ActionNarrowed {
			continue
		}
		d := p.Wrapped.Site.Func.Decl
		if syntax.RealPosition(prog.Fset, d.Pos()).Filename != file {
			continue
		}
		all = append(all, edit.Failure{Plan: i, File: file, Err: err})
		if decl != nil && FuncKey(d) == FuncKey(decl) {
			out = append(out, edit.Failure{Plan: i, File: file, Err: err})
		}
	}
	if len(out) == 0 {
		return append(all, edit.Failure{Plan: -1, File: file, Err: err})
	}
	return out
}

// FuncKey names a declaration by receiver type and name, stable across edits.
func FuncKey(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	return types.ExprString(fd.Recv.List[0].Type) + "." + fd.Name.Name
}

// importer serves the types of every package the loaded code imports,
// from the one consistent universe go/packages loaded; Verify replaces
// entries of the returned map with the packages it re-checks.
func importerOf(p *load.Program) (types.Importer, map[string]*types.Package) {
	byPath := map[string]*types.Package{}
	roots := slices.Clip(p.Packages)
	if p.RuntimePackage() != nil { // loaded, for a Unit, on first use
		for _, dir := range slices.Sorted(maps.Keys(p.Runtime.Packages)) {
			roots = append(roots, p.Runtime.Packages[dir])
		}
	}
	packages.Visit(roots, nil, func(pkg *packages.Package) {
		if pkg.Types != nil {
			byPath[pkg.PkgPath] = pkg.Types
		}
	})
	return importerFunc(func(path string) (*types.Package, error) {
		if pkg, ok := byPath[path]; ok {
			return pkg, nil
		}
		if strings.HasPrefix(path, "unsafe") {
			return types.Unsafe, nil
		}
		return nil, fmt.Errorf("package %s is not loaded", path)
	}), byPath
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
