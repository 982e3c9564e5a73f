package load

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/packages"
)

// FuncSource is a function declared in the loaded code, with the package
// that holds its syntax and types.
type FuncSource struct {
	Decl *ast.FuncDecl
	File *ast.File
	Pkg  *packages.Package
}

// index maps function objects to their declarations, built once per program.
type index struct {
	funcs map[*types.Func]FuncSource
	Files map[*ast.File]*packages.Package
}

func (p *Program) Index() *index {
	if p.idx != nil {
		return p.idx
	}
	idx := &index{funcs: map[*types.Func]FuncSource{}, Files: map[*ast.File]*packages.Package{}}
	for _, pkg := range append(p.Packages[:len(p.Packages):len(p.Packages)], p.replaced...) {
		for _, f := range pkg.Syntax {
			// go/packages parses a file once for all the variants that
			// hold it: the target variant ("p [p.test]" with --tests),
			// listed first, owns it, never the replaced one.
			if _, ok := idx.Files[f]; !ok {
				idx.Files[f] = pkg
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				if fn, ok := pkg.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					idx.funcs[fn] = FuncSource{Decl: fd, File: f, Pkg: pkg}
				}
			}
		}
	}
	p.idx = idx
	return idx
}

// Source returns the declaration of fn when its body is in the loaded code.
func (p *Program) Source(fn *types.Func) (FuncSource, bool) {
	src, ok := p.Index().funcs[fn.Origin()]
	return src, ok
}

// EachFunc calls visit for every function declared in a file that is not
// generated, in load order.
func (p *Program) EachFunc(visit func(src FuncSource)) {
	p.WalkFuncs(false, visit)
}

// eachFunc is EachFunc, with generated files too when generated is set:
// handlers in generated code still go through the middleware.
func (p *Program) WalkFuncs(generated bool, visit func(src FuncSource)) {
	for _, pkg := range p.Packages {
		for _, f := range pkg.Syntax {
			if p.Generated[f] && !generated {
				continue
			}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
					visit(FuncSource{Decl: fd, File: f, Pkg: pkg})
				}
			}
		}
	}
}
