package analysis

import (
	"fmt"
	"go/ast"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// The functions between the wrapper's body and the callback's call: how
// each literal runs, and what its result is worth to the one around it.

// funcBody is the body of a declaration or literal.
func funcBody(n ast.Node) *ast.BlockStmt {
	body, _ := funcParts(n)
	return body
}

// inGoroutine gives up on a literal run by a go statement: the wrapper
// goes on without waiting for it.
func (r *flow) inGoroutine(outer *ast.BlockStmt, lit *ast.FuncLit) {
	path := pathTo(outer, lit)
	if len(path) >= 3 {
		if g, ok := path[len(path)-3].(*ast.GoStmt); ok && g.Call.Fun == lit {
			r.giveUp(g, "the callback runs in a goroutine")
		}
	}
}

// assignsOutside gives up on a literal that assigns a variable declared
// outside it: its effect on the enclosing function is not followed.
func (r *flow) assignsOutside(lit *ast.FuncLit) {
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		a, ok := n.(*ast.AssignStmt)
		if !ok || r.failed != nil {
			return r.failed == nil
		}
		for _, lhs := range a.Lhs {
			v, ok := r.info.Uses[syntax.IdentOf(lhs)].(*types.Var)
			if ok && v.Parent() != nil && v.Parent() != v.Pkg().Scope() && (v.Pos() < lit.Pos() || v.Pos() >= lit.End()) {
				r.giveUp(a, "the function literal around it assigns "+v.Name()+", declared outside it")
				return false
			}
		}
		return true
	})
}

// callbackTx is the transaction the call hands the callback: the root of
// its argument of a transaction-like type.
func callbackTx(info *types.Info, cbVar types.Object, call *ast.CallExpr) types.Object {
	sig := syntax.FuncSignature(cbVar.Type())
	for i, a := range call.Args {
		if sig != nil && i < sig.Params().Len() && txLike(sig.Params().At(i).Type(), nil) {
			return syntax.ObjectOf(info, syntax.RootIdent(a))
		}
	}
	return nil
}

func funcParts(n ast.Node) (*ast.BlockStmt, *ast.FuncType) {
	switch f := n.(type) {
	case *ast.FuncDecl:
		return f.Body, f.Type
	case *ast.FuncLit:
		return f.Body, f.Type
	}
	return nil, nil
}

// invocation finds where the function literal lit, in the function whose
// body is outer, runs, and what the value of that call is worth given
// the literal's result: called in place, held in a variable called once
// (`run := func() error {…}` … `run()`), or handed to a runner that rolls
// back and returns the error (pgx.BeginFunc, a module wrapper).
func (r *flow) invocation(outer *ast.BlockStmt, lit *ast.FuncLit) (*ast.CallExpr, func(val) val) {
	same := func(v val) val { return v }
	path := pathTo(outer, lit)
	if len(path) >= 2 {
		switch parent := path[len(path)-2].(type) {
		case *ast.CallExpr:
			if parent.Fun == lit {
				return parent, same
			}
			return parent, r.runner(parent, lit)
		case *ast.AssignStmt:
			if len(parent.Lhs) == 1 && len(parent.Rhs) == 1 {
				return r.onlyCall(outer, syntax.ObjectOf(r.info, syntax.IdentOf(parent.Lhs[0])), lit), same
			}
		case *ast.ValueSpec:
			if len(parent.Names) == 1 && len(parent.Values) == 1 {
				return r.onlyCall(outer, r.info.Defs[parent.Names[0]], lit), same
			}
		}
	}
	r.giveUp(lit, "the function literal around it is not called in a way txscope follows")
	return nil, nil
}

// onlyCall is the one call of the variable v, which holds lit and is
// used for nothing else.
func (r *flow) onlyCall(outer *ast.BlockStmt, v types.Object, lit *ast.FuncLit) *ast.CallExpr {
	var calls []*ast.CallExpr
	uses := 0
	ast.Inspect(outer, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if id := syntax.IdentOf(n.Fun); id != nil && v != nil && r.info.Uses[id] == v {
				calls = append(calls, n)
			}
		case *ast.Ident:
			if v != nil && r.info.Uses[n] == v {
				uses++
			}
		}
		return true
	})
	switch {
	case v == nil || uses != len(calls):
		r.giveUp(lit, "the function literal around it is held in a variable used other than by calling it")
	case len(calls) != 1:
		r.giveUp(lit, fmt.Sprintf("the function literal around it is called %d times", len(calls)))
	default:
		return calls[0]
	}
	return nil
}

// runner is what a call running the literal as its callback returns: a
// library function that rolls back on its callback's error and returns
// it, or a module function whose own contract says so (and maps it as
// that one does).
func (r *flow) runner(call *ast.CallExpr, lit *ast.FuncLit) func(val) val {
	fn, _ := typeutil.Callee(r.info, call).(*types.Func)
	if fn == nil {
		r.giveUp(call, "it runs in a function value txscope cannot resolve")
		return nil
	}
	fn = fn.Origin()
	if cb, _ := callbackParam(fn.Signature()); cb < 0 || cb >= len(call.Args) || ast.Unparen(call.Args[cb]) != lit {
		r.giveUp(call, "it runs in "+shortFunc(fn)+", which is not a transaction runner txscope knows")
		return nil
	}
	if rules.RollsBackCallback(fn) {
		return func(v val) val { return v }
	}
	c := r.cr.runnerContract(fn)
	switch {
	case c == nil:
		r.giveUp(call, "it runs in "+shortFunc(fn)+", which is not a transaction runner txscope knows")
		return nil
	case !c.rollsBack:
		r.giveUp(call, "it runs in "+shortFunc(fn)+": "+c.why)
		return nil
	case len(c.commits) > 0:
		r.giveUp(call, "it runs in "+shortFunc(fn)+", which commits when its callback returns "+c.commits[0].Name)
		return nil
	}
	return func(v val) val {
		switch {
		case !v.fromCallback():
			return v
		case c.mapsWith != nil && v.k == vCallback:
			return val{k: vMapped, with: c.mapsWith, src: call, why: r.where(call)}
		case c.maps != "":
			return val{k: vMapped, why: "through " + shortFunc(fn) + ", which " + c.maps}
		}
		return v
	}
}

// runnerContract is the contract of a module function that takes a
// callback with a transaction and runs it: nil when it is none, or too
// deep to read.
func (cr *contractReader) runnerContract(fn *types.Func) *contract {
	if c, ok := cr.runners[fn]; ok {
		return c
	}
	cr.runners[fn] = nil // a cycle reads as unknown
	src, ok := cr.prog.Source(fn)
	cb, _ := callbackParam(fn.Signature())
	if !ok || cb < 0 || cr.depth >= maxContractDepth {
		return nil
	}
	cr.depth++
	c := cr.read(src, fn.Signature().Params().At(cb))
	cr.depth--
	cr.runners[fn] = &c
	return &c
}
