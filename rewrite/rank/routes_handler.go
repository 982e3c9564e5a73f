package rank

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/types/typeutil"
)

// resolveHandler finds the function a registration's handler expression
// stands for: a function or method value, seen through conversions
// (http.HandlerFunc(s.Show)), middleware calls with one handler argument
// (auth(s.Show)) and func literals that call one handler. A func literal
// that calls none is the handler itself.
func (w *routeWalker) resolveHandler(e ast.Expr) (*types.Func, *ast.FuncLit) {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		fn, _ := w.info.Uses[e].(*types.Func)
		return fn, nil
	case *ast.SelectorExpr:
		fn, _ := w.info.Uses[e.Sel].(*types.Func)
		return fn, nil
	case *ast.FuncLit:
		if fn := w.litHandler(e); fn != nil {
			return fn, nil
		}
		return nil, e
	case *ast.CallExpr:
		if tv, ok := w.info.Types[e.Fun]; ok && tv.IsType() && len(e.Args) == 1 {
			return w.resolveHandler(e.Args[0])
		}
		return w.wrappedHandler(e)
	}
	return nil, nil
}

// wrappedHandler is the one argument of a middleware call that is a handler.
func (w *routeWalker) wrappedHandler(call *ast.CallExpr) (*types.Func, *ast.FuncLit) {
	var fn *types.Func
	var lit *ast.FuncLit
	n := 0
	for _, a := range call.Args {
		f, l := w.resolveHandler(a)
		if (f != nil && isHandlerFunc(f)) || l != nil {
			fn, lit = f, l
			n++
		}
	}
	if n != 1 {
		return nil, nil
	}
	return fn, lit
}

// litHandler is the single handler function a func literal calls, nil when
// it calls none or several.
func (w *routeWalker) litHandler(lit *ast.FuncLit) *types.Func {
	var found *types.Func
	several := false
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, _ := typeutil.Callee(w.info, call).(*types.Func)
		if fn == nil || !isHandlerFunc(fn) || isRouterPackage(fn.Pkg()) {
			return true
		}
		if found != nil && found != fn {
			several = true
		}
		found = fn
		return true
	})
	if several {
		return nil
	}
	return found
}

func isRouterPackage(pkg *types.Package) bool {
	if pkg == nil {
		return true
	}
	switch pkg.Path() {
	case "net/http", routerChi, routerGin, routerEcho:
		return true
	}
	return false
}

// isHandlerFunc reports whether fn takes a request the way handlers do:
// an http.ResponseWriter and an *http.Request, a *gin.Context or an
// echo.Context. Helpers such as writeJSON(w, v) take only part of it.
func isHandlerFunc(fn *types.Func) bool {
	params := fn.Type().(*types.Signature).Params()
	writer, request := false, false
	for i := 0; i < params.Len(); i++ {
		switch routeTypeName(params.At(i).Type()) {
		case "net/http.ResponseWriter":
			writer = true
		case "*net/http.Request":
			request = true
		case "*" + routerGin + ".Context", routerEcho + ".Context":
			return true
		}
	}
	return writer && request
}

// routeTypeName is "path.Name" of a named type, "*path.Name" behind a pointer.
func routeTypeName(t types.Type) string {
	star := ""
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t, star = p.Elem(), "*"
	}
	named, ok := types.Unalias(t).(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return ""
	}
	return star + named.Obj().Pkg().Path() + "." + named.Obj().Name()
}
