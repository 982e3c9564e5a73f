package analysis

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// What narrowing a Buffalo action needs to know beyond its effects. Skipped
// by popmw.Transaction, the action opens its own transaction from its first
// write to its end; popmw's rolled the writes back not only when the action
// returned an error but also when the response's status, read after the
// action returned, was 400 or more. So the planner asks who writes that
// status, and what runs between popmw and the action.

// responseReach answers whether a call may write the response (its status
// above all): buffalo.Context's Render, Redirect and Response, a function of
// the module that calls one, transitively, or a library function (or a
// function value) given a buffalo.Context or an http.ResponseWriter.
type responseReach struct {
	prog *load.Program
	memo *funcMemo
}

// call reports whether call may write the response, as a clause for
// "…, which …": "writes the response at p".
func (r *responseReach) call(info *types.Info, call *ast.CallExpr) (string, bool) {
	at := r.prog.Position(call.Pos())
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn != nil {
		if rules.IsBuffaloResponder(fn) {
			return fmt.Sprintf("%s at %s writes the response", types.ExprString(call.Fun), at), true
		}
		if _, ok := r.prog.Source(fn); ok {
			if r.funcWrites(fn) {
				return fmt.Sprintf("%s at %s may write the response", types.ExprString(call.Fun), at), true
			}
			return "", false
		}
	}
	sig := syntax.FuncSignature(info.TypeOf(call.Fun))
	if sig == nil || info.Types[call.Fun].IsType() {
		return "", false // a conversion or a builtin
	}
	for i := range call.Args {
		if t := paramType(sig, i); t != nil && responder(t) {
			return fmt.Sprintf("%s at %s is given the response to write", types.ExprString(call.Fun), at), true
		}
	}
	return "", false
}

// paramType is the type of the parameter argument i goes to.
func paramType(sig *types.Signature, i int) types.Type {
	n := sig.Params().Len()
	switch {
	case sig.Variadic() && i >= n-1:
		if s, ok := sig.Params().At(n - 1).Type().(*types.Slice); ok {
			return s.Elem()
		}
		return nil
	case i < n:
		return sig.Params().At(i).Type()
	}
	return nil
}

// responder matches buffalo.Context and what can write a response's header
// (http.ResponseWriter and what implements it).
func responder(t types.Type) bool {
	if rules.IsBuffaloContext(t) {
		return true
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "WriteHeader")
	_, isMethod := obj.(*types.Func)
	return isMethod
}

// funcWrites reports whether a function of the loaded code may write the
// response.
func (r *responseReach) funcWrites(fn *types.Func) bool {
	return r.memo.has(r.prog, fn, func(src load.FuncSource) bool {
		return r.firstWriter(src.Pkg.TypesInfo, src.Decl.Body, nil) != ""
	})
}

// ErrorStatus is why ret, a return of an action, may answer with a status
// of 400 or more, on which popmw.Transaction rolled the action's writes
// back even when the action returned nil: a Render or Redirect whose
// status is not a constant below 400, or a call in it that may write the
// response otherwise (a helper that renders). It reads "(the return)
// answers with status 422". "" when it cannot: nothing in it writes the
// response, so the status stays what it was, or it renders with a
// constant status from 200 to 399.
func (b *Buffalo) ErrorStatus(info *types.Info, ret *ast.ReturnStmt) string {
	r := b.response
	for _, e := range ret.Results {
		var fn *types.Func
		call, isCall := ast.Unparen(e).(*ast.CallExpr)
		if isCall {
			fn, _ = typeutil.Callee(info, call).(*types.Func)
		}
		if fn != nil && rules.IsBuffaloResponder(fn) && fn.Name() != "Response" && len(call.Args) > 0 {
			status, exact := int64(0), false
			if v := info.Types[call.Args[0]].Value; v != nil {
				status, exact = constant.Int64Val(constant.ToInt(v))
			}
			if !exact {
				return fmt.Sprintf("answers with a status (%s) txscope cannot tell is below 400", types.ExprString(call.Args[0]))
			}
			if status < 200 || status >= 400 {
				return fmt.Sprintf("answers with status %d", status)
			}
			for _, arg := range call.Args[1:] {
				if why := r.firstWriter(info, arg, nil); why != "" {
					return "may answer with any status (" + why + ")"
				}
			}
			continue
		}
		if why := r.firstWriter(info, e, nil); why != "" {
			return "may answer with any status (" + why + ")"
		}
	}
	return ""
}

// firstWriter is how the first call under n that may write the response
// does, skipping those in skip; "" when none may. `c.Response().Header()`
// only sets headers: that Response call does not count.
func (r *responseReach) firstWriter(info *types.Info, n ast.Node, skip map[ast.Expr]bool) string {
	headers := map[ast.Expr]bool{}
	why := ""
	ast.Inspect(n, func(x ast.Node) bool {
		call, ok := x.(*ast.CallExpr)
		if !ok || why != "" {
			return why == ""
		}
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Header" && len(call.Args) == 0 {
			headers[ast.Unparen(sel.X)] = true
		}
		if !skip[call] && !headers[call] {
			why, _ = r.call(info, call)
		}
		return why == ""
	})
	return why
}

// writesBefore finds the first call under body, other than the result of
// one of body's own returns, that may write the response: a status set
// there is the one popmw reads, whatever a later return renders. A
// return's own call (`return c.Render(…)`) ends the function: nothing of
// it comes after.
func (r *responseReach) writesBefore(info *types.Info, body *ast.BlockStmt) string {
	tail := map[ast.Expr]bool{}
	syntax.WalkReturns(body, func(ret *ast.ReturnStmt) {
		for _, e := range ret.Results {
			tail[ast.Unparen(e)] = true
		}
	})
	return r.firstWriter(info, body, tail)
}

// ContextTx reports whether n calls code that takes the request's
// transaction from the context, a helper that falls back to the pool
// (models.Tx(c)) included: skipped by popmw, such code gets the pool, not
// the transaction the action opens around its writes.
func (b *Buffalo) ContextTx(info *types.Info, n ast.Node) (string, bool) {
	why, found := "", false
	ast.Inspect(n, func(x ast.Node) bool {
		if call, ok := x.(*ast.CallExpr); ok && !found {
			why, found = b.strict.call(info, call)
		}
		return !found
	})
	return why, found
}

// passesThrough reports whether middleware mw, of the app's function,
// hands on the result of the handler it wraps as it is and writes no
// response before it: `func(next buffalo.Handler) buffalo.Handler { …;
// return func(c buffalo.Context) error { …; return next(c) } }`, next used
// only in such returns. Then what popmw sees after the action is the
// action's own result and status. It answers why not, "" when it does.
func (b *Buffalo) passesThrough(prog *load.Program, mw ast.Expr) string {
	info := b.Func.Pkg.TypesInfo
	var ft *ast.FuncType
	var body *ast.BlockStmt
	if lit, ok := ast.Unparen(mw).(*ast.FuncLit); ok {
		ft, body = lit.Type, lit.Body
	} else if fn := handlerFunc(info, mw); fn != nil {
		if src, ok := prog.Source(fn); ok {
			ft, body, info = src.Decl.Type, src.Decl.Body, src.Pkg.TypesInfo
		}
	}
	at := fmt.Sprintf("middleware %s at %s runs inside popmw.Transaction around the action", types.ExprString(mw), prog.Position(mw.Pos()))
	decided := "what it returns, and the status it leaves, decided whether popmw rolled the action's writes back"
	if body == nil {
		return fmt.Sprintf("%s and txscope cannot read it: %s", at, decided)
	}
	unread := fmt.Sprintf("%s and txscope cannot tell it hands the action's result on as it is (return next(c)): %s", at, decided)
	if len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) != 1 || len(body.List) == 0 {
		return unread
	}
	next := info.Defs[ft.Params.List[0].Names[0]]
	ret, ok := body.List[len(body.List)-1].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return unread
	}
	h, ok := ast.Unparen(ret.Results[0]).(*ast.FuncLit)
	if !ok || len(h.Type.Params.List) != 1 || len(h.Type.Params.List[0].Names) != 1 {
		return unread
	}
	c := info.Defs[h.Type.Params.List[0].Names[0]]
	passed := map[*ast.Ident]bool{} // next in `return next(c)`
	syntax.WalkReturns(h.Body, func(r *ast.ReturnStmt) {
		if len(r.Results) != 1 {
			return
		}
		if call, ok := ast.Unparen(r.Results[0]).(*ast.CallExpr); ok && len(call.Args) == 1 && syntax.ObjectOf(info, syntax.IdentOf(call.Args[0])) == c {
			if id := syntax.IdentOf(call.Fun); id != nil && info.Uses[id] == next {
				passed[id] = true
			}
		}
	})
	ok = len(passed) > 0
	ast.Inspect(body, func(n ast.Node) bool {
		if id, isID := n.(*ast.Ident); isID && info.Uses[id] == next && !passed[id] {
			ok = false
		}
		return ok
	})
	if !ok {
		return unread
	}
	if why := b.response.writesBefore(info, h.Body); why != "" {
		return fmt.Sprintf("%s and %s: a status it sets is the one popmw decided on", at, why)
	}
	return ""
}

// WritesResponse is why the action may have written the response before
// one of its returns: the first call other than a return's own result that
// may write it; "" when none does.
func (b *Buffalo) WritesResponse(a *Action) string {
	src, ok := b.response.prog.Source(a.Func)
	if !ok {
		return ""
	}
	return b.response.writesBefore(src.Pkg.TypesInfo, src.Decl.Body)
}
