package load

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/packages"
)

// FuncSource is a function declared in the loaded code, with the package
// that holds its syntax and types.
type FuncSource struct {
	// Decl is the function's declaration. For a function literal in a
	// package-level initializer (`var h = func(…) {…}`, a route table) it
	// is made for the literal: its Type and Body are the literal's, its
	// Name a copy of the variable's, which defines no object.
	Decl *ast.FuncDecl
	// Outer is the file's declaration that holds the function: Decl, or
	// the var declaration of the literal. Edits are spliced per Outer.
	Outer ast.Decl
	File  *ast.File
	Pkg   *packages.Package
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
					idx.funcs[fn] = FuncSource{Decl: fd, Outer: fd, File: f, Pkg: pkg}
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
					visit(FuncSource{Decl: fd, Outer: fd, File: f, Pkg: pkg})
				}
			}
		}
	}
}

// EachInitFunc calls visit for every outermost function literal in the
// package-level var declarations of a file that is not generated: the
// handlers held in variables and route tables.
func (p *Program) EachInitFunc(visit func(src FuncSource)) {
	for _, pkg := range p.Packages {
		for _, f := range pkg.Syntax {
			if p.Generated[f] {
				continue
			}
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.VAR {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, value := range vs.Values {
						name := vs.Names[min(i, len(vs.Names)-1)]
						ast.Inspect(value, func(n ast.Node) bool {
							lit, ok := n.(*ast.FuncLit)
							if !ok {
								return true
							}
							decl := &ast.FuncDecl{Name: &ast.Ident{NamePos: name.NamePos, Name: name.Name}, Type: lit.Type, Body: lit.Body}
							visit(FuncSource{Decl: decl, Outer: g, File: f, Pkg: pkg})
							return false
						})
					}
				}
			}
		}
	}
}
