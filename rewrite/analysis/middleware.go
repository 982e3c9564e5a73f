package analysis

import (
	"go/ast"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// Layer is a function that opens the tenant transaction through a wrapper
// and hands the tx straight to its own callback parameter, like
// withTenantFromRequest: `return s.db.WithTenant(ctx, t, func(tx) error {
// return fn(t, tx) })`.
type Layer struct {
	Func      *types.Func
	Site      *Site // the wrapper call inside it
	Param     int   // its callback parameter
	TxArg     int   // the callback argument that is the tx
	TenantArg int   // the callback argument that is the tenant, -1 if none
}

// Middleware runs a handler callback inside a tenant transaction (through
// the wrapper or a layer) and hands it the tx, or a struct carrying it:
// withSalesSession(w, r, func(sc SalesContext) error).
type Middleware struct {
	Func  *types.Func
	Src   load.FuncSource
	Via   *Layer // nil when the middleware calls the wrapper itself
	Site  *Site  // the wrapper or layer call in it
	Param int    // the handler parameter
	Arg   int    // the handler's parameter that gets the tx or its carrier
	// Carrier is the field of the handler's argument that gets the tx;
	// TenantField the one that gets the tenant.
	Carrier, TenantField string
	Handlers             []*Wrapped
	// Opaque are calls whose handler is not a function literal (a method
	// value, a named function, a variable): txscope cannot read them, so
	// they stay on the transaction.
	Opaque []Opaque
}

// findLayers recognises layers among the wrapper sites.
func findLayers(sites []*Site) map[*types.Func]*Layer {
	layers := map[*types.Func]*Layer{}
	for _, s := range sites {
		info := s.Func.Pkg.TypesInfo
		fn, _ := info.Defs[s.Func.Decl.Name].(*types.Func)
		if fn == nil || s.Tx == nil || len(s.Callback.Body.List) != 1 {
			continue
		}
		ret, ok := s.Callback.Body.List[0].(*ast.ReturnStmt)
		if !ok || len(ret.Results) != 1 {
			continue
		}
		call, ok := ast.Unparen(ret.Results[0]).(*ast.CallExpr)
		if !ok {
			continue
		}
		sig := fn.Type().(*types.Signature)
		param := paramOfCall(info, sig, call)
		if param < 0 {
			continue
		}
		l := &Layer{Func: fn, Site: s, Param: param, TxArg: -1, TenantArg: -1}
		tenant := wrapperTenantObject(info, s)
		for i, a := range call.Args {
			switch obj := syntax.ObjectOf(info, syntax.IdentOf(a)); {
			case obj == s.Tx:
				l.TxArg = i
			case obj != nil && obj == tenant:
				l.TenantArg = i
			}
		}
		if l.TxArg >= 0 {
			layers[fn] = l
		}
	}
	return layers
}

// paramOfCall is the index of the function parameter call invokes, or -1.
func paramOfCall(info *types.Info, sig *types.Signature, call *ast.CallExpr) int {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return -1
	}
	i := syntax.ParamIndex(sig, info.Uses[id])
	if i < 0 {
		return -1
	}
	return i
}

// wrapperTenantObject is the variable the site passes as the tenant.
func wrapperTenantObject(info *types.Info, s *Site) types.Object {
	if s.Wrapper.Tenant < 0 || s.Wrapper.Tenant >= len(s.Call.Args) {
		return nil
	}
	return syntax.ObjectOf(info, syntax.IdentOf(s.Call.Args[s.Wrapper.Tenant]))
}

// layerSites are the calls of layers with a function-literal callback.
// The layers of other packages they call, known from their facts, are
// added to layers.
func layerSites(prog *load.Program, layers map[*types.Func]*Layer) map[*ast.CallExpr]*Layer {
	out := map[*ast.CallExpr]*Layer{}
	if len(layers) == 0 && prog.Whole() {
		return out // a whole load has no layer of another package
	}
	im := newImported(prog)
	prog.EachFunc(func(src load.FuncSource) {
		info := src.Pkg.TypesInfo
		syntax.Calls(info, src.Decl.Body, func(call *ast.CallExpr, fn *types.Func) {
			l := layers[fn]
			if f := im.of(fn); l == nil && f != nil && f.Layer != nil {
				lf := f.Layer
				l = &Layer{Func: fn, Site: &Site{Wrapper: lf.Wrapper.wrapper(fn)}, Param: lf.Param, TxArg: lf.TxArg, TenantArg: lf.TenantArg}
				layers[fn] = l
			}
			if l != nil && l.Param < len(call.Args) && isFuncLit(call.Args[l.Param]) {
				out[call] = l
			}
		})
	})
	return out
}

// Opaque is a middleware call with a handler txscope cannot read.
type Opaque struct {
	Call    *ast.CallExpr
	Func    load.FuncSource
	Handler string
}

// FindMiddleware recognises middleware among the wrapper and layer calls:
// the callback invokes the enclosing function's handler parameter with the
// tx, or with a struct literal carrying it. Each handler that goes through
// a middleware (a call with a function literal) is classified with the
// same classifier as inline callbacks.
func FindMiddleware(prog *load.Program, sites []*Site, c *Classifier) []*Middleware {
	layers := findLayers(sites)
	var candidates []*Site
	for _, s := range sites {
		if layers[FuncOf(s)] == nil {
			candidates = append(candidates, s)
		}
	}
	for call, l := range layerSites(prog, layers) {
		candidates = append(candidates, layerSite(prog, call, l))
	}
	byFunc := map[*types.Func]*Middleware{}
	var out []*Middleware
	for _, s := range candidates {
		if s == nil {
			continue
		}
		if m := middlewareAt(s, layers); m != nil && byFunc[m.Func] == nil {
			byFunc[m.Func] = m
			out = append(out, m)
		}
	}
	return append(out, findHandlers(prog, byFunc, c)...)
}

// Elsewhere is the middleware, or the layer it calls, when that is a
// function of another package known from its fact: its migration changes
// that package too, which a program of one package cannot.
func (m *Middleware) Elsewhere() *types.Func {
	switch {
	case m.Src.Decl == nil:
		return m.Func
	case m.Via != nil && m.Via.Site.Call == nil:
		return m.Via.Func
	}
	return nil
}

func FuncOf(s *Site) *types.Func {
	fn, _ := s.Func.Pkg.TypesInfo.Defs[s.Func.Decl.Name].(*types.Func)
	return fn
}

// layerSite describes a layer call as a site: the callback's tx parameter
// is the one the layer passes the tx to.
func layerSite(prog *load.Program, call *ast.CallExpr, l *Layer) *Site {
	var site *Site
	prog.EachFunc(func(src load.FuncSource) {
		if site != nil || !syntax.ContainsNode(src.Decl, call) {
			return
		}
		lit := ast.Unparen(call.Args[l.Param]).(*ast.FuncLit)
		sig, _ := src.Pkg.TypesInfo.TypeOf(lit).(*types.Signature)
		if sig == nil || l.TxArg >= sig.Params().Len() {
			return
		}
		w := *l.Site.Wrapper
		w.Tenant, w.Passes = -1, nil // the layer's parameters are not the wrapper's
		site = &Site{Wrapper: &w, Call: call, Callback: lit, Tx: sig.Params().At(l.TxArg), Func: src}
	})
	return site
}

// middlewareAt reads a site's callback for the call of the enclosing
// function's handler parameter.
func middlewareAt(s *Site, layers map[*types.Func]*Layer) *Middleware {
	fn := FuncOf(s)
	if fn == nil || s.Tx == nil {
		return nil
	}
	info := s.Func.Pkg.TypesInfo
	sig := fn.Type().(*types.Signature)
	var m *Middleware
	ast.Inspect(s.Callback.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || m != nil {
			return m == nil
		}
		param := paramOfCall(info, sig, call)
		if param < 0 {
			return true
		}
		for i, a := range call.Args {
			carrier, tenantField, ok := carries(info, a, s)
			if ok {
				m = &Middleware{Func: fn, Src: s.Func, Site: s, Param: param, Arg: i, Carrier: carrier, TenantField: tenantField}
				if callee, _ := typeutil.Callee(info, s.Call).(*types.Func); callee != nil {
					m.Via = layers[callee.Origin()]
				}
			}
		}
		return m == nil
	})
	return m
}

// carries reports whether e is the site's tx, or a struct literal with the
// tx in a field (the carrier); it also names the field given the tenant.
func carries(info *types.Info, e ast.Expr, s *Site) (carrier, tenantField string, ok bool) {
	if syntax.ObjectOf(info, syntax.IdentOf(e)) == s.Tx {
		return "", "", true
	}
	lit, isLit := ast.Unparen(e).(*ast.CompositeLit)
	if !isLit {
		return "", "", false
	}
	tenant := tenantParamOf(info, s)
	for _, el := range lit.Elts {
		kv, isKV := el.(*ast.KeyValueExpr)
		key := syntax.IdentOf(kv.Key)
		if !isKV || key == nil {
			continue
		}
		switch syntax.ObjectOf(info, syntax.IdentOf(kv.Value)) {
		case s.Tx:
			carrier, ok = key.Name, true
		case nil:
		case tenant:
			tenantField = key.Name
		}
	}
	return carrier, tenantField, ok
}

// tenantParamOf is the variable holding the tenant inside a site's
// callback: the layer's tenant parameter or the wrapper's tenant argument.
func tenantParamOf(info *types.Info, s *Site) types.Object {
	if obj := wrapperTenantObject(info, s); obj != nil {
		return obj
	}
	sig, _ := info.TypeOf(s.Callback).(*types.Signature)
	if sig == nil {
		return nil
	}
	for i := 0; i < sig.Params().Len(); i++ {
		p := sig.Params().At(i)
		if p != s.Tx && !IsContext(p.Type()) && syntax.FuncSignature(p.Type()) == nil {
			return p
		}
	}
	return nil
}

// findHandlers collects every call of a middleware with a function-literal
// handler, in any package, and classifies the handler's body from the
// parameter that receives the tx or its carrier. It returns the
// middleware of other packages it found called, known from their facts.
func findHandlers(prog *load.Program, mws map[*types.Func]*Middleware, c *Classifier) []*Middleware {
	if len(mws) == 0 && prog.Whole() {
		return nil // a whole load has no middleware of another package
	}
	var imported []*Middleware
	prog.WalkFuncs(true, func(src load.FuncSource) {
		info := src.Pkg.TypesInfo
		ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, _ := typeutil.Callee(info, call).(*types.Func)
			if fn == nil {
				return true
			}
			m := mws[fn.Origin()]
			if f := c.imported.of(fn); m == nil && f != nil && f.Middleware != nil {
				mf := f.Middleware
				m = &Middleware{Func: fn.Origin(), Site: &Site{Wrapper: mf.Wrapper.wrapper(fn.Origin())}, Param: mf.Param, Arg: mf.Arg}
				mws[m.Func] = m
				imported = append(imported, m)
			}
			if m == nil || m.Param >= len(call.Args) {
				return true
			}
			lit, ok := ast.Unparen(call.Args[m.Param]).(*ast.FuncLit)
			if !ok {
				m.Opaque = append(m.Opaque, Opaque{Call: call, Func: src, Handler: types.ExprString(call.Args[m.Param])})
				return true
			}
			sig, _ := info.TypeOf(lit).(*types.Signature)
			if sig == nil || m.Arg >= sig.Params().Len() {
				return true
			}
			arg := sig.Params().At(m.Arg)
			site := &Site{Wrapper: m.Site.Wrapper, Call: call, Callback: lit, Tx: arg, Func: src}
			h := &Wrapped{Site: site, Stmts: c.Body(info, lit.Body, []types.Object{arg})}
			h.Class = classify(h.Stmts)
			m.Handlers = append(m.Handlers, h)
			return true
		})
	})
	return imported
}

// addMiddlewareHandlers finds the middleware among the analysed wrapper
// calls and adds each handler behind one, classified as running after the
// middleware's session check inside the transaction.
func (a *Analysis) addMiddlewareHandlers(c *Classifier) {
	var sites []*Site
	known := map[*ast.CallExpr]bool{}
	for _, h := range a.Handlers {
		known[h.Site.Call] = true
		if !h.Site.Wrapper.Middleware {
			sites = append(sites, h.Site)
		}
	}
	a.Middleware = FindMiddleware(a.Prog, sites, c)
	for _, m := range a.Middleware {
		for _, h := range m.Handlers {
			h.Class = classify(append([]StmtEffect{{Effect: rules.Read}}, h.Stmts...))
			if known[h.Site.Call] {
				continue
			}
			h.Behind = m
			a.Handlers = append(a.Handlers, h)
			a.Findings = append(a.Findings, handlerFindings(h)...)
		}
	}
}

// RealSite is the wrapper call the middleware's transaction comes from.
func (m *Middleware) RealSite() *Site {
	if m.Via != nil {
		return m.Via.Site
	}
	return m.Site
}
