package rank

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"golang.org/x/tools/go/types/typeutil"
)

// Route is a route registration read from the code.
type Route struct {
	// Pattern is the route label txmetrics records for it: the ServeMux
	// pattern as written ("GET /orders/{id}"), or "METHOD /path" for chi,
	// gin and echo, with the prefixes of enclosing groups; a registration
	// for any method has no method ("/path").
	Pattern string
	Method  string // "" for a ServeMux pattern or any method
	Path    string
	Router  string // net/http, chi, gin or echo
	// Handler is the function or method registered, seen through
	// conversions, middleware calls and func literals that call one handler.
	Handler *types.Func
	// Lit is an inline handler that calls no single handler function.
	Lit  *ast.FuncLit
	Pos  token.Pos // the registration call
	info *types.Info
}

// routeRegistrar describes the arguments of one router method: the index of
// the method, pattern and handler arguments (-1 for none; the handler -1
// means the last argument, gin's handler chain).
type routeRegistrar struct {
	router  string
	method  string // fixed HTTP method, "" when it comes from an argument or is any
	methArg int
	pathArg int
	handler int
}

// Router packages, matched by the path of the package declaring the method.
const (
	routerChi  = "github.com/go-chi/chi/v5"
	routerGin  = "github.com/gin-gonic/gin"
	routerEcho = "github.com/labstack/echo/v4"
)

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}

// routeRegistrars maps "pkgpath.Method" of every recognised registration.
var routeRegistrars = func() map[string]routeRegistrar {
	m := map[string]routeRegistrar{
		"net/http.Handle":         {router: "net/http", methArg: -1, pathArg: 0, handler: 1},
		"net/http.HandleFunc":     {router: "net/http", methArg: -1, pathArg: 0, handler: 1},
		routerChi + ".Handle":     {router: "chi", methArg: -1, pathArg: 0, handler: 1},
		routerChi + ".HandleFunc": {router: "chi", methArg: -1, pathArg: 0, handler: 1},
		routerChi + ".Method":     {router: "chi", methArg: 0, pathArg: 1, handler: 2},
		routerChi + ".MethodFunc": {router: "chi", methArg: 0, pathArg: 1, handler: 2},
		routerGin + ".Handle":     {router: "gin", methArg: 0, pathArg: 1, handler: -1},
		routerGin + ".Any":        {router: "gin", methArg: -1, pathArg: 0, handler: -1},
		routerEcho + ".Add":       {router: "echo", methArg: 0, pathArg: 1, handler: 2},
		routerEcho + ".Any":       {router: "echo", methArg: -1, pathArg: 0, handler: 1},
	}
	for _, meth := range httpMethods {
		chiName := meth[:1] + strings.ToLower(meth[1:])
		m[routerChi+"."+chiName] = routeRegistrar{router: "chi", method: meth, methArg: -1, pathArg: 0, handler: 1}
		m[routerGin+"."+meth] = routeRegistrar{router: "gin", method: meth, methArg: -1, pathArg: 0, handler: -1}
		m[routerEcho+"."+meth] = routeRegistrar{router: "echo", method: meth, methArg: -1, pathArg: 0, handler: 1}
	}
	return m
}()

// FindRoutes lists the route registrations of the program whose pattern is
// a constant, or comes from a route table literal ranged over, in source
// order. Registrations made in one function on a group created in another
// lose the group's prefix.
func FindRoutes(prog *load.Program) []Route {
	var routes []Route
	for _, pkg := range prog.Packages {
		values := routeTableValues(pkg)
		for _, f := range pkg.Syntax { // generated route tables register routes too
			w := &routeWalker{info: pkg.TypesInfo, values: values, prefixes: map[types.Object]string{}, ranges: map[types.Object]*ast.RangeStmt{}}
			ast.Inspect(f, w.visit)
			routes = append(routes, w.routes...)
		}
	}
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].Pos < routes[j].Pos })
	return routes
}

// routeWalker collects the registrations of one file, following group
// prefixes through variables and router callbacks.
type routeWalker struct {
	info     *types.Info
	values   map[types.Object]*ast.CompositeLit
	prefixes map[types.Object]string
	ranges   map[types.Object]*ast.RangeStmt
	routes   []Route
}

func (w *routeWalker) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.RangeStmt:
		for _, v := range []ast.Expr{n.Key, n.Value} {
			if id, ok := v.(*ast.Ident); ok && n.Tok == token.DEFINE && w.info.Defs[id] != nil {
				w.ranges[w.info.Defs[id]] = n
			}
		}
	case *ast.AssignStmt:
		if len(n.Lhs) == len(n.Rhs) {
			for i, lhs := range n.Lhs {
				w.notePrefix(lhs, n.Rhs[i])
			}
		}
	case *ast.ValueSpec:
		if len(n.Names) == len(n.Values) {
			for i, name := range n.Names {
				w.notePrefix(name, n.Values[i])
			}
		}
	case *ast.CallExpr:
		w.call(n)
	}
	return true
}

// notePrefix remembers the group prefix of a router variable.
func (w *routeWalker) notePrefix(lhs, rhs ast.Expr) {
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		return
	}
	if p := w.prefixOf(rhs); p != "" {
		if obj := syntax.ObjectOf(w.info, id); obj != nil {
			w.prefixes[obj] = p
		}
	}
}

// prefixOf is the path prefix of a router expression: a variable holding a
// group, r.Group("/v1") (gin, echo), r.Route / r.With / r.Group (chi).
func (w *routeWalker) prefixOf(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return w.prefixes[w.info.Uses[e]]
	case *ast.SelectorExpr:
		return w.prefixes[w.info.Uses[e.Sel]]
	case *ast.CallExpr:
		fn, sel := w.routerMethod(e)
		if fn == nil {
			return ""
		}
		switch fn.Name() {
		case "Group", "Route":
			path, _ := w.constString(e, 0)
			return joinRoutePath(w.prefixOf(sel.X), path)
		case "With":
			return w.prefixOf(sel.X)
		}
	}
	return ""
}

// routerMethod returns the chi, gin or echo method a call invokes.
func (w *routeWalker) routerMethod(call *ast.CallExpr) (*types.Func, *ast.SelectorExpr) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, nil
	}
	fn, _ := typeutil.Callee(w.info, call).(*types.Func)
	if fn == nil || fn.Pkg() == nil {
		return nil, nil
	}
	switch fn.Pkg().Path() {
	case routerChi, routerGin, routerEcho:
		return fn, sel
	}
	return nil, nil
}

// call records a registration, and gives the router parameter of a chi
// Route or Group callback its prefix before the callback is walked.
func (w *routeWalker) call(call *ast.CallExpr) {
	if fn, sel := w.routerMethod(call); fn != nil && fn.Pkg().Path() == routerChi && (fn.Name() == "Route" || fn.Name() == "Group") {
		if lit, ok := ast.Unparen(call.Args[len(call.Args)-1]).(*ast.FuncLit); ok && lit.Type.Params.NumFields() == 1 {
			if names := lit.Type.Params.List[0].Names; len(names) == 1 {
				path := ""
				if fn.Name() == "Route" {
					path, _ = w.constString(call, 0)
				}
				w.prefixes[w.info.Defs[names[0]]] = joinRoutePath(w.prefixOf(sel.X), path)
			}
		}
	}
	fn, _ := typeutil.Callee(w.info, call).(*types.Func)
	if fn == nil || fn.Pkg() == nil {
		return
	}
	reg, ok := routeRegistrars[fn.Pkg().Path()+"."+fn.Name()]
	if !ok || (reg.router == "net/http" && !isServeMuxFunc(fn)) {
		return
	}
	w.register(call, reg)
}

// isServeMuxFunc accepts http.Handle, http.HandleFunc and the methods of
// *http.ServeMux, not other net/http functions of the same name.
func isServeMuxFunc(fn *types.Func) bool {
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return true
	}
	ptr, ok := recv.Type().(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := ptr.Elem().(*types.Named)
	return ok && named.Obj().Name() == "ServeMux"
}

// register adds the routes of one registration call: one, or one per row of
// a route table the call is inside a range over.
func (w *routeWalker) register(call *ast.CallExpr, reg routeRegistrar) {
	hIdx := reg.handler
	if hIdx < 0 {
		hIdx = len(call.Args) - 1
	}
	if hIdx < 0 || hIdx >= len(call.Args) || reg.pathArg >= len(call.Args) || reg.methArg >= len(call.Args) {
		return
	}
	prefix := ""
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && reg.router != "net/http" {
		prefix = w.prefixOf(sel.X)
	}
	rows := w.routeRows(call, reg, hIdx)
	for _, row := range rows {
		method := reg.method
		if reg.methArg >= 0 {
			method = strings.ToUpper(row.method)
		}
		r := Route{Method: method, Path: joinRoutePath(prefix, row.path), Router: reg.router, Pos: call.Pos(), info: w.info}
		r.Pattern = r.Path
		if method != "" {
			r.Pattern = method + " " + r.Path
		}
		r.Handler, r.Lit = w.resolveHandler(row.handler)
		w.routes = append(w.routes, r)
	}
}

// joinRoutePath joins a group prefix and a route path as routers do.
func joinRoutePath(prefix, path string) string {
	if strings.HasSuffix(prefix, "/") && strings.HasPrefix(path, "/") {
		return prefix + path[1:]
	}
	return prefix + path
}

// constString is the constant string value of call's argument i.
func (w *routeWalker) constString(call *ast.CallExpr, i int) (string, bool) {
	if i < 0 || i >= len(call.Args) {
		return "", false
	}
	return routeConst(w.info, call.Args[i])
}

func routeConst(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}
