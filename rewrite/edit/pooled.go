package edit

import (
	"fmt"
	"go/ast"
	"go/types"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/bundle"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// pooledHandleType is the type of the pooled handle the wrapper call at site
// makes, as the edited file writes it: the runtime constructor's result, or
// the configured expression's type at the call.
func (fr *fileRewrite) pooledHandleType(site *analysis.Site, tmpl string) (dst.Expr, error) {
	parsed, err := rules.ParseTemplate(tmpl)
	if err != nil {
		return nil, fmt.Errorf("pooled template: %w", err)
	}
	var t types.Type
	if pkg, name, ok := parsed.Callee(); ok && bundle.IsPackage(pkg) {
		if t, err = runtimeResult(fr.prog, pkg, name); err != nil {
			return nil, err
		}
	} else {
		expr, err := renderTemplate(tmpl, site, fr.text, func(_ string, arg ast.Expr) (string, error) { return fr.text(arg), nil })
		if err != nil {
			return nil, err
		}
		tv, err := types.Eval(fr.prog.Fset, site.Func.Pkg.Types, site.Call.Pos(), expr)
		if err != nil {
			return nil, fmt.Errorf("pooled template %q: %w", tmpl, err)
		}
		t = tv.Type
	}
	return parseType(types.TypeString(t, fr.qualifier))
}

// runtimeResult is the result type of the constructor name of the
// runtime's package pkg (tenantpool, or a sub-package: sqlxpool).
func runtimeResult(prog *load.Program, pkg, name string) (types.Type, error) {
	if prog.RuntimePackage() == nil && prog.Runtime == nil { // loaded, for a Unit, on first use
		return nil, fmt.Errorf("%s is not loaded", prog.RuntimePath())
	}
	p, err := prog.Runtime.PackageFor(pkg)
	if err != nil {
		return nil, err
	}
	fn, ok := p.Types.Scope().Lookup(name).(*types.Func)
	if !ok || fn.Signature().Results().Len() != 1 {
		return nil, fmt.Errorf("%s has no constructor %s", p.PkgPath, name)
	}
	return fn.Signature().Results().At(0).Type(), nil
}

// parseType parses a type expression into dst.
func parseType(src string) (dst.Expr, error) {
	f, err := decorator.Parse("package p\nvar _ " + src + "\n")
	if err != nil {
		return nil, err
	}
	return f.Decls[0].(*dst.GenDecl).Specs[0].(*dst.ValueSpec).Type, nil
}

// renderTemplate substitutes the wrapper call's arguments into a template,
// as Go source. An argument that is not a plain expression goes through
// bind, which decides how it can be evaluated once.
func renderTemplate(tmpl string, site *analysis.Site, src func(ast.Node) string, bind func(placeholder string, arg ast.Expr) (string, error)) (string, error) {
	t, err := rules.ParseTemplate(tmpl)
	if err != nil {
		return "", fmt.Errorf("pooled template: %w", err)
	}
	call := rules.WrapperCall{Args: site.Call.Args, Tenant: site.Wrapper.Tenant}
	if sel, ok := ast.Unparen(site.Call.Fun).(*ast.SelectorExpr); ok {
		call.Recv = sel.X
	}
	return t.Expand(func(p rules.Placeholder) (string, error) {
		arg, err := call.Expr(p)
		if err != nil {
			return "", err
		}
		if sideEffectFree(arg) {
			return src(arg), nil
		}
		return bind(p.Name, arg)
	})
}

// sideEffectFree accepts names, selectors and literals: expressions that can
// be evaluated again, earlier or later, with the same result.
func sideEffectFree(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident, *ast.BasicLit:
		return true
	case *ast.SelectorExpr:
		return sideEffectFree(e.X)
	case *ast.StarExpr:
		return sideEffectFree(e.X)
	}
	return false
}
