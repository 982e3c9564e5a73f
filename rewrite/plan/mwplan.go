package plan

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
)

// WrapperCall is how a handler opens the transaction itself: the source of
// `recv.WithTenant(ctx, sc.TenantID, func(tx pgx.Tx) error {})` and the
// imports it needs.
type WrapperCall struct {
	Src     string
	Imports map[string]string
	Tx      string
}

// WrapperCallFor builds the wrapper call a handler uses for its writes,
// from the handler's own receiver, context and carrier struct.
func WrapperCallFor(prog *load.Program, m *analysis.Middleware, h *analysis.Wrapped) (WrapperCall, error) {
	real := m.RealSite()
	info := h.Site.Func.Pkg.TypesInfo
	recv, err := handlerReceiver(real, h)
	if err != nil {
		return WrapperCall{}, err
	}
	ctx, err := handlerContext(info, h)
	if err != nil {
		return WrapperCall{}, err
	}
	imports := map[string]string{}
	qualifier := func(p *types.Package) string {
		if p == h.Site.Func.Pkg.Types {
			return ""
		}
		imports[p.Path()] = p.Name()
		return p.Name()
	}
	txType := types.TypeString(real.Tx.Type(), qualifier)
	tx := FreshName(info, h.Site, "tx")
	sel := ast.Unparen(real.Call.Fun).(*ast.SelectorExpr)
	src := fmt.Sprintf("return %s.%s(%s, %s.%s, func(%s %s) error {\n})", recv, sel.Sel.Name, ctx, h.Site.Tx.Name(), m.TenantField, tx, txType)
	return WrapperCall{Src: src, Imports: imports, Tx: tx}, nil
}

// handlerReceiver renders the wrapper call's receiver in the handler: the
// middleware reaches it from its receiver (s.db), so must the handler.
func handlerReceiver(real *analysis.Site, h *analysis.Wrapped) (string, error) {
	sel, ok := ast.Unparen(real.Call.Fun).(*ast.SelectorExpr)
	if !ok {
		return "", fmt.Errorf("the middleware's wrapper is not called on a receiver")
	}
	root := syntax.RootIdent(sel.X)
	rinfo := real.Func.Pkg.TypesInfo
	rfn := analysis.FuncOf(real)
	hfn := analysis.FuncOf(h.Site)
	if root == nil || rfn == nil || hfn == nil {
		return "", fmt.Errorf("the wrapper's receiver cannot be reached from the handler")
	}
	rsig, hsig := rfn.Type().(*types.Signature), hfn.Type().(*types.Signature)
	if rsig.Recv() == nil || rinfo.Uses[root] != rsig.Recv() || hsig.Recv() == nil || !types.Identical(rsig.Recv().Type(), hsig.Recv().Type()) || hsig.Recv().Name() == "" {
		return "", fmt.Errorf("the handler is not a method of %s, so it cannot reach the wrapper", typeName(rsig))
	}
	return hsig.Recv().Name() + strings.TrimPrefix(types.ExprString(sel.X), root.Name), nil
}

func typeName(sig *types.Signature) string {
	if sig.Recv() == nil {
		return "the middleware's type"
	}
	return shortType(sig.Recv().Type())
}

// handlerContext finds a context in scope at the handler: a ctx variable,
// or the request's Context().
func handlerContext(info *types.Info, h *analysis.Wrapped) (string, error) {
	scope := innermostScope(info, h.Site.Func.Decl.Body, h.Site.Call)
	if scope == nil {
		scope = info.Scopes[h.Site.Func.Decl.Type]
	}
	for _, name := range []string{"ctx", "c"} {
		if _, obj := scope.LookupParent(name, h.Site.Call.Pos()); obj != nil && analysis.IsContext(obj.Type()) {
			return name, nil
		}
	}
	for s := scope; s != nil && s != types.Universe; s = s.Parent() {
		for _, name := range s.Names() {
			if v, ok := s.Lookup(name).(*types.Var); ok && isRequest(v.Type()) && v.Pos() < h.Site.Call.Pos() {
				return name + ".Context()", nil
			}
		}
	}
	return "", fmt.Errorf("no context.Context or *http.Request in scope at the handler to open the transaction with")
}

func isRequest(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "net/http" && n.Obj().Name() == "Request"
}

// ChainPlan is the migration of one middleware: its handlers' plans, and
// whether the middleware changes in place or gets a pooled variant beside
// it for the handlers that can move (incremental migration).
type ChainPlan struct {
	Middleware *analysis.Middleware
	Plans      []Plan
	// Variant names the pooled copy of the middleware; "" changes it in place.
	Variant string
	// LayerVariant names the pooled copy of the layer; "" changes it in place.
	LayerVariant string
	// Failed is why the whole chain was dropped, if it was.
	Failed error
	// TxCopy, when set, names a copy of the original middleware that keeps
	// the transaction: the middleware itself is pooled in place and only
	// the handlers that cannot move switch to the copy. Used when handlers
	// that move live in generated files, which txscope does not edit.
	TxCopy string
	// Reuse means the variant exists from an earlier run; Remove that the
	// original middleware (and its layer) lost their last user and go.
	Reuse, Remove bool
	// Pooled is the pooled handle's expression template at the wrapper call
	// the middleware's transaction comes from.
	Pooled string
	// Ops are the edits the migration makes, in order.
	Ops []ChainOp
	// Outside are the references to the middleware or its layer in files
	// outside the loaded build (path:line:col): the declarations they use
	// stay as they were, and the migration works on variants.
	Outside []string
}

// PlanChain plans every handler behind a middleware with the inline
// planner, then decides how the middleware itself moves and lists the
// edits that make the move.
func PlanChain(prog *load.Program, m *analysis.Middleware, opts PlanOptions) *ChainPlan {
	if fn := m.Elsewhere(); fn != nil {
		// Its body is another package's (go vet analyses one at a time).
		cp := &ChainPlan{Middleware: m, Failed: fmt.Errorf("%s is in package %s, whose code the migration changes too: run `txscope rewrite`, which migrates the module as one", fn.Name(), fn.Pkg().Path())}
		for _, h := range m.Handlers {
			cp.Plans = append(cp.Plans, Plan{Wrapped: h, Action: ActionKept, Reason: fmt.Sprintf("middleware %s: %v", m.Func.Name(), cp.Failed)})
		}
		return cp
	}
	cp := decideChain(prog, m, opts)
	if why := cmp.Or(schemaVeto(prog), mwRawPoolVeto(prog, m)); why != "" && cp.Failed == nil {
		cp.Failed = errors.New(why)
	}
	if cp.Failed != nil {
		return cp
	}
	if !cp.Reuse {
		tmpl, err := PooledTemplate(prog.Config, m.RealSite())
		if err != nil {
			cp.Failed = err
			return cp
		}
		cp.Pooled = tmpl
	}
	cp.Ops = chainOps(prog, cp)
	return cp
}

// decideChain plans the handlers and decides how the middleware moves.
func decideChain(prog *load.Program, m *analysis.Middleware, opts PlanOptions) *ChainPlan {
	cp := &ChainPlan{Middleware: m}
	reason := chainUnsupported(m)
	kept, keptGenerated, movingGenerated := 0, 0, 0
	// The handle the middleware hands over; an error fails the chain later.
	pooled, _ := PooledTemplate(prog.Config, m.RealSite())
	opts.noRebind = true
	for _, h := range m.Handlers {
		p := Decide(prog, h, opts)
		p.Pooled = pooled
		generated := prog.Generated[h.Site.Func.File]
		switch {
		case reason != "":
			p = p.Keep("%s", reason)
		case p.Action == ActionKept:
		case len(p.Splits) > 0:
			p = p.Keep("--split is not applied behind a middleware; the slow call keeps the handler on the transaction")
		case generated && p.Action != ActionPooled:
			p = p.Keep("the handler is in a generated file, which txscope does not edit; change its generator to open WithTenant around the writes")
		default:
			if why := cmp.Or(readsVeto(prog, p, m.RealSite().Wrapper), rawPoolVeto(prog, h, p), carrierEscapes(prog, h, m.Carrier, p.Body()[p.Start:])); why != "" {
				p = p.Keep("%s", why)
			} else if wc, err := WrapperCallFor(prog, m, h); err == nil {
				p.WrapperCall = &wc
			} else if p.Action != ActionPooled {
				p = p.Keep("%v", err)
			}
		}
		switch p.Action {
		case ActionKept:
			kept++
			if generated {
				keptGenerated++
			}
		case ActionUnchanged:
			// Behind the middleware even a write-only handler moves: its
			// writes get their own transaction, the middleware's goes away.
			p.Action, p.Start, p.Reason = ActionNarrowed, 0, ""
			p.Moves = []string{"the whole handler runs in its own " + m.RealSite().Wrapper.Func.Name()}
		case ActionPooled:
			p.Moves = []string{"reads run on the pooled handle " + m.Func.Name() + " hands over"}
			if generated {
				movingGenerated++
			}
		case ActionNarrowed:
			line := fmt.Sprintf("%d statement(s) on the pooled handle, the rest in %s", p.Start, m.RealSite().Wrapper.Func.Name())
			if p.Order != nil && len(p.Moves) > 0 {
				p.Moves = []string{p.Moves[0], line} // the slow-call move's line first
			} else {
				p.Moves = []string{line}
			}
		}
		cp.Plans = append(cp.Plans, p)
	}
	for _, o := range m.Opaque {
		kept++
		if prog.Generated[o.Func.File] {
			keptGenerated++
		}
	}
	if kept == len(cp.Plans)+len(m.Opaque) {
		cp.Failed = errors.New("no handler behind it can move")
		return cp
	}
	// Code outside the loaded build that calls the middleware is a handler
	// nobody planned: it keeps the middleware as it is, like a kept one.
	mwOutside, err := outsideRefs(prog, m.Func)
	if err != nil {
		cp.Failed = err
		return cp
	}
	cp.Outside = mwOutside
	if len(mwOutside) > 0 {
		kept++
	}
	if existing := m.Func.Name() + "Pooled"; scopeHasMethodOrFunc(m.Src.Pkg.Types, existing) {
		// An earlier run emitted the variant: the handlers fixed since move
		// to it, and once none is left the original goes.
		cp.Variant, cp.Reuse = existing, true
		cp.Remove = kept == 0 && !usedOutside(prog, m.Func, m.Handlers)
		return cp
	}
	switch {
	case kept > 0 && movingGenerated > 0 && keptGenerated > 0:
		cp.Failed = errors.New("handlers in generated files would have to change sides; regenerate them first")
		return cp
	case len(mwOutside) > 0 && movingGenerated > 0:
		cp.Failed = fmt.Errorf("handlers in generated files move, and %s outside the loaded build cannot switch to a transactional copy", mwOutside[0])
		return cp
	case kept > 0 && movingGenerated > 0:
		cp.TxCopy = freeFuncName(m.Src.Pkg.Types, m.Func.Name()+"Tx")
	case kept > 0:
		cp.Variant = freeFuncName(m.Src.Pkg.Types, m.Func.Name()+"Pooled")
	}
	if l := m.Via; l != nil {
		layerOutside, err := outsideRefs(prog, l.Func)
		if err != nil {
			cp.Failed = err
			return cp
		}
		cp.Outside = append(cp.Outside, layerOutside...)
		if kept > 0 || len(layerOutside) > 0 || LayerUsedElsewhere(prog, l, m) {
			cp.LayerVariant = freeFuncName(m.Src.Pkg.Types, l.Func.Name()+"Pooled")
		}
	}
	return cp
}

// chainUnsupported names a middleware shape the migration cannot handle.
func chainUnsupported(m *analysis.Middleware) string {
	switch {
	case m.Carrier == "":
		return "the middleware hands the tx itself to its handlers; only a struct carrying it can switch to the pooled handle"
	case m.TenantField == "":
		return "the middleware's handler argument carries no tenant field to open WithTenant with"
	case !m.Site.Wrapper.RollsBack:
		return m.Site.Wrapper.Contract
	case len(m.Site.Wrapper.Commits) > 0:
		return "the wrapper the middleware calls commits when its callback returns " + ShortName(m.Site.Wrapper.Commits[0].Name) + ", which the handlers' own transactions would have to keep"
	case m.Site.Wrapper.MapsWith != nil || m.Site.Wrapper.MapsError != "":
		return "the wrapper the middleware calls maps its callback's error, which the handlers' own transactions would have to repeat"
	}
	return ""
}

// carrierEscapes keeps a handler whose write block uses the carrier struct
// other than through the carrier field (sc.DB) or an accessor method
// returning it (sc.Tx()): passed on whole, or a method that may use the
// pooled handle. Those uses are what wrapBlock rewrites to the tx.
func carrierEscapes(prog *load.Program, h *analysis.Wrapped, carrier string, block []ast.Stmt) string {
	info := h.Site.Func.Pkg.TypesInfo
	for _, s := range block {
		var bad ast.Node
		ast.Inspect(s, func(n ast.Node) bool {
			if bad != nil {
				return false
			}
			sel, ok := n.(*ast.SelectorExpr)
			if ok && syntax.ObjectOf(info, syntax.IdentOf(sel.X)) == h.Site.Tx {
				if fn, isMethod := info.Uses[sel.Sel].(*types.Func); isMethod && !IsAccessor(prog, fn, carrier) {
					bad = sel
				}
				return false // sc.Field, sc.Accessor
			}
			if id, ok := n.(*ast.Ident); ok && info.Uses[id] == h.Site.Tx {
				bad = id
			}
			return true
		})
		if bad != nil {
			return fmt.Sprintf("the handler uses %s at %s other than through its %s field; its writes could not be moved onto the transaction", h.Site.Tx.Name(), prog.Position(bad.Pos()), carrier)
		}
	}
	return ""
}

// IsAccessor matches a method whose whole body is `return recv.<carrier>`.
func IsAccessor(prog *load.Program, fn *types.Func, carrier string) bool {
	src, ok := prog.Source(fn)
	if !ok || len(src.Decl.Body.List) != 1 || src.Decl.Recv == nil || len(src.Decl.Recv.List[0].Names) != 1 {
		return false
	}
	ret, ok := src.Decl.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return false
	}
	sel, ok := ast.Unparen(ret.Results[0]).(*ast.SelectorExpr)
	return ok && sel.Sel.Name == carrier && src.Pkg.TypesInfo.Uses[syntax.IdentOf(sel.X)] == src.Pkg.TypesInfo.Defs[src.Decl.Recv.List[0].Names[0]]
}

// LayerUsedElsewhere reports whether anything but the middleware's call
// refers to the layer.
func LayerUsedElsewhere(prog *load.Program, l *analysis.Layer, m *analysis.Middleware) bool {
	if refs, err := UnloadedRefs(prog, l.Func); err != nil || len(refs) > 0 {
		return true // files outside the loaded build may use it
	}
	for _, pkg := range prog.Packages {
		for id, obj := range pkg.TypesInfo.Uses {
			if fn, ok := obj.(*types.Func); ok && fn.Origin() == l.Func && !syntax.ContainsNode(m.Site.Call, id) {
				return true
			}
		}
	}
	return false
}

// freeFuncName is name, or name2, name3… if the package already declares it.
func freeFuncName(pkg *types.Package, name string) string {
	for i := 1; ; i++ {
		n := name
		if i > 1 {
			n = fmt.Sprintf("%s%d", name, i)
		}
		if !scopeHasMethodOrFunc(pkg, n) {
			return n
		}
	}
}

func scopeHasMethodOrFunc(pkg *types.Package, name string) bool {
	if pkg.Scope().Lookup(name) != nil {
		return true
	}
	for _, n := range pkg.Scope().Names() {
		if tn, ok := pkg.Scope().Lookup(n).(*types.TypeName); ok {
			if named, ok := tn.Type().(*types.Named); ok {
				for i := 0; i < named.NumMethods(); i++ {
					if named.Method(i).Name() == name {
						return true
					}
				}
			}
		}
	}
	return false
}

// usedOutside reports whether fn is referred to other than by the calls of
// the given handlers.
func usedOutside(prog *load.Program, fn *types.Func, handlers []*analysis.Wrapped) bool {
	if refs, err := UnloadedRefs(prog, fn); err != nil || len(refs) > 0 {
		return true // files outside the loaded build may use it
	}
	for _, pkg := range prog.Packages {
		for id, obj := range pkg.TypesInfo.Uses {
			f, ok := obj.(*types.Func)
			if !ok || f.Origin() != fn {
				continue
			}
			inHandler := false
			for _, h := range handlers {
				inHandler = inHandler || syntax.ContainsNode(h.Site.Call, id)
			}
			if !inHandler {
				return true
			}
		}
	}
	return false
}

// ReportPlans are the handler plans as they stand: all kept when the chain failed.
func (cp *ChainPlan) ReportPlans() []Plan {
	if cp.Failed == nil {
		return cp.Plans
	}
	out := make([]Plan, len(cp.Plans))
	for i, p := range cp.Plans {
		if p.Action != ActionKept {
			p = p.Keep("middleware %s: %v", cp.Middleware.Func.Name(), cp.Failed)
		}
		out[i] = p
	}
	return out
}
