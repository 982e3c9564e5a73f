package analysis

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
)

// outcome is a condition's value on one path.
type outcome struct {
	st    *state
	truth bool
}

// cond evaluates a condition on the path st: decided where the reader
// knows the values, else both ways, each path remembering the test when
// it is one on the callback's error.
func (r *flow) cond(st *state, e ast.Expr) []outcome {
	switch e := ast.Unparen(e).(type) {
	case *ast.UnaryExpr:
		if e.Op == token.NOT {
			out := r.cond(st, e.X)
			for i := range out {
				out[i].truth = !out[i].truth
			}
			return out
		}
	case *ast.BinaryExpr:
		switch e.Op {
		case token.LAND, token.LOR:
			// a && b: b only where a holds; a || b: only where it does not.
			var out []outcome
			for _, o := range r.cond(st, e.X) {
				if o.truth == (e.Op == token.LOR) {
					out = append(out, o)
				} else {
					out = append(out, r.cond(o.st, e.Y)...)
				}
			}
			return out
		case token.EQL, token.NEQ:
			return r.compare(st, e)
		}
	case *ast.Ident:
		if c, ok := r.info.Uses[e].(*types.Const); ok && c.Val().String() == "true" {
			return []outcome{{st, true}}
		} else if ok && c.Val().String() == "false" {
			return []outcome{{st, false}}
		}
	}
	v := r.eval(st, e)
	if v.k == vTest {
		return r.fork(st, v.test)
	}
	return r.fork(st, r.opaqueTest(st, e))
}

// compare reads x == y and x != y: against nil, or the callback's error
// against a named error (err == ErrKeep).
func (r *flow) compare(st *state, e *ast.BinaryExpr) []outcome {
	var out []outcome
	switch {
	case IsNil(r.info, e.Y):
		out = r.nilTest(st, e.X)
	case IsNil(r.info, e.X):
		out = r.nilTest(st, e.Y)
	default:
		x, y := r.eval(st, e.X), r.eval(st, e.Y)
		var t *test
		switch {
		case x.fromCallback():
			t = r.namedTest(e, e.Y)
		case y.fromCallback():
			t = r.namedTest(e, e.X)
		default:
			t = r.opaqueTest(st, e)
		}
		out = r.fork(st, t)
	}
	if e.Op == token.NEQ {
		for i := range out {
			out[i].truth = !out[i].truth
		}
	}
	return out
}

// nilTest is x == nil: known, or both ways with x refined on each.
func (r *flow) nilTest(st *state, x ast.Expr) []outcome {
	v := r.eval(st, x)
	switch {
	case v.k == vNil:
		return []outcome{{st, true}}
	case v.isNonNil():
		return []outcome{{st, false}}
	}
	isNil, notNil := st.clone(), st
	if obj := syntax.ObjectOf(r.info, syntax.IdentOf(x)); obj != nil {
		isNil.vals[obj] = val{k: vNil}
		refined := v
		if refined.k == vMapped {
			refined.nonNil = true
		} else {
			refined = val{k: vOther, why: "a non-nil " + types.ExprString(x) + " at " + r.pos(x)}
		}
		notNil.vals[obj] = refined
	}
	return []outcome{{isNil, true}, {notNil, false}}
}

// fork is the condition both ways; t, when not nil, is the test each
// path took.
func (r *flow) fork(st *state, t *test) []outcome {
	yes, no := st.clone(), st
	if t != nil {
		yes.tests = append(yes.tests, taken{t, true})
		no.tests = append(no.tests, taken{t, false})
	}
	return []outcome{{yes, true}, {no, false}}
}

// opaqueTest is a condition on the callback's error that names no error
// (isRetryable(err)), nil when the condition does not look at it.
func (r *flow) opaqueTest(st *state, e ast.Expr) *test {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && st.vals[r.info.Uses[id]].fromCallback() {
			found = true
		}
		return !found
	})
	if !found {
		return nil
	}
	return &test{text: types.ExprString(e) + " at " + r.pos(e)}
}

// errorsTest is errors.Is(err, ErrKeep), or errors.As(err, &keep) with
// keep of the error type it tests for.
func (r *flow) errorsTest(call *ast.CallExpr, as bool) *test {
	target := call.Args[1]
	if u, ok := ast.Unparen(target).(*ast.UnaryExpr); ok && as && u.Op == token.AND {
		return r.typeTest(call, r.info.TypeOf(u.X))
	}
	if as {
		return &test{text: types.ExprString(call) + " at " + r.pos(call)}
	}
	return r.namedTest(call, target)
}

// namedTest compares the callback's error with the package-level error
// variable e names.
func (r *flow) namedTest(at, e ast.Expr) *test {
	t := &test{text: types.ExprString(at) + " at " + r.pos(at)}
	if v, ok := r.info.Uses[syntax.NameOf(e)].(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		t.special, t.name = true, v.Pkg().Path()+"."+v.Name()
	}
	return t
}

// typeTest tests the callback's error for the named type typ (or a
// pointer to it).
func (r *flow) typeTest(at ast.Expr, typ types.Type) *test {
	t := &test{text: types.ExprString(at) + " at " + r.pos(at)}
	if p, ok := types.Unalias(typ).(*types.Pointer); ok {
		typ = p.Elem()
	}
	if n, ok := types.Unalias(typ).(*types.Named); ok && n.Obj().Pkg() != nil {
		t.special, t.name = true, n.Obj().Pkg().Path()+"."+n.Obj().Name()
	}
	return t
}
