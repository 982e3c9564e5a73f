package analysis

import (
	"go/ast"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// eval is what e is worth on the path; calls in it take their effects
// (a commit) in order.
func (r *flow) eval(st *state, e ast.Expr) val {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if IsNil(r.info, e) {
			return val{k: vNil}
		}
		return st.vals[r.info.Uses[e]]
	case *ast.CallExpr:
		if e == st.at {
			st.reached = true
			return st.atVal
		}
		return r.call(st, e)
	case *ast.FuncLit:
		return val{} // run where it is called, not here
	}
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			r.eval(st, n)
			return false
		case *ast.FuncLit:
			return false
		}
		return true
	})
	return val{}
}

// call evaluates a call: the receiver and the arguments first, then what
// the callee does with them.
func (r *flow) call(st *state, call *ast.CallExpr) val {
	var recv ast.Expr
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		recv = sel.X
		r.eval(st, recv)
	}
	args := make([]val, len(call.Args))
	for i, a := range call.Args {
		args[i] = r.eval(st, a)
	}
	switch fn := typeutil.Callee(r.info, call).(type) {
	case *types.Builtin:
		if fn.Name() == "recover" {
			return val{k: vNil} // no panic runs on a path where the callback returned
		}
		return val{}
	case *types.Func:
		return r.funcCall(st, call, fn.Origin(), recv, args)
	}
	if st.reached && r.passesTx(call, nil) {
		r.giveUp(call, "it passes the transaction to a function value txscope cannot resolve")
		return val{}
	}
	return r.mapped(st, call, nil, args)
}

// funcCall is a call of fn. A commit or rollback is taken to succeed: the
// rewrite never commits nor rolls back what moves out, and one that fails
// is the database failing, as a pooled query would.
func (r *flow) funcCall(st *state, call *ast.CallExpr, fn *types.Func, recv ast.Expr, args []val) val {
	if recv != nil && fn.Signature().Recv() != nil && r.isTx(recv) {
		switch {
		case strings.HasPrefix(fn.Name(), "Commit"):
			if st.reached && st.commit == nil {
				st.commit = call
			}
			return val{k: vNil}
		case strings.HasPrefix(fn.Name(), "Rollback"):
			return val{k: vNil}
		}
		return val{}
	}
	switch rules.FuncName(fn) {
	case "errors.New":
		return val{k: vOther, why: r.where(call)}
	case "fmt.Errorf":
		if slices.ContainsFunc(args, val.fromCallback) {
			return val{k: vMapped, nonNil: true, why: r.where(call)}
		}
		return val{k: vOther, why: r.where(call)}
	case "errors.Join":
		switch {
		case slices.ContainsFunc(args, val.fromCallback):
			return val{k: vMapped, nonNil: true, why: r.where(call)}
		case !slices.ContainsFunc(args, func(v val) bool { return v.k != vNil }):
			return val{k: vNil}
		}
		return val{}
	case "errors.Is", "errors.As":
		if len(args) == 2 && args[0].fromCallback() {
			return val{k: vTest, test: r.errorsTest(call, fn.Name() == "As")}
		}
		return val{}
	}
	if st.reached && r.passesTx(call, recv) {
		r.giveUp(call, "it passes the transaction to "+shortFunc(fn)+", which txscope does not follow")
		return val{}
	}
	return r.mapped(st, call, fn, args)
}

// mapped is the result of a call given the callback's error: made from
// it, or unknown. M(run()) is a mapping the rewrite can repeat: M gets
// whatever the call returns, nil included.
func (r *flow) mapped(st *state, call *ast.CallExpr, fn *types.Func, args []val) val {
	if !slices.ContainsFunc(args, val.fromCallback) || !isErrorType(r.info.TypeOf(call)) {
		return val{}
	}
	v := val{k: vMapped, why: r.where(call)}
	if fn != nil && len(args) == 1 && args[0].k == vCallback && ast.Unparen(call.Args[0]) == st.at && isErrorMapper(fn) {
		v.with, v.src = fn, call
	}
	return v
}

// isErrorMapper matches a package-level func(error) error.
func isErrorMapper(fn *types.Func) bool {
	sig := fn.Signature()
	return sig.Recv() == nil && sig.TypeParams() == nil && sig.Params().Len() == 1 && sig.Results().Len() == 1 &&
		isErrorType(sig.Params().At(0).Type()) && isErrorType(sig.Results().At(0).Type())
}

func (r *flow) where(n ast.Node) string {
	return types.ExprString(n.(ast.Expr)) + " at " + r.pos(n)
}

// isTx reports whether e is the transaction: the one handed to the
// callback, or any value of a transaction type.
func (r *flow) isTx(e ast.Expr) bool {
	if r.handles[syntax.ObjectOf(r.info, syntax.RootIdent(e))] {
		return true
	}
	t := r.info.TypeOf(e)
	return t != nil && rules.IsTxType(t)
}

func (r *flow) passesTx(call *ast.CallExpr, recv ast.Expr) bool {
	if recv != nil && r.isTx(recv) {
		return true
	}
	return slices.ContainsFunc(call.Args, r.isTx)
}

func (r *flow) mentionsTx(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		if e, ok := x.(ast.Expr); ok && !found && r.isTx(e) {
			found = true
		}
		return !found
	})
	return found
}

func isPanic(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	b, ok := typeutil.Callee(info, call).(*types.Builtin)
	return ok && b.Name() == "panic"
}
