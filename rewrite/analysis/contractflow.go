package analysis

import (
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"slices"

	"github.com/txscope/txscope/rewrite/internal/syntax"
)

// The flow reader follows a callback's error through a function's body,
// path by path: what each variable holds, the tests taken on the error,
// the commit made and the deferred calls run at the return. A statement it
// does not model after the callback ran stops it, named in the reason.

// valKind is what the reader knows of a value.
type valKind int

const (
	vUnknown  valKind = iota // anything, nil included
	vNil                     // nil
	vCallback                // the callback's error as it is: not nil on the paths read
	vMapped                  // made from the callback's error
	vOther                   // an error that is not nil and not the callback's
	vTest                    // a bool: the outcome of a test on the callback's error
)

type val struct {
	k      valKind
	nonNil bool // vMapped: never nil (fmt.Errorf, errors.Join)
	// with is M of M(e), a package-level func(error) error applied to the
	// callback's error as it is, and src that call: a mapping a rewrite
	// can apply to what it moves out.
	with *types.Func
	src  ast.Expr
	why  string // vMapped, vOther: the expression and where, for the report
	test *test  // vTest
}

func (v val) fromCallback() bool { return v.k == vCallback || v.k == vMapped }

func (v val) isNonNil() bool {
	return v.k == vCallback || v.k == vOther || v.k == vMapped && v.nonNil
}

// test is a test on the callback's error: special when it compares it
// with a named error (errors.Is, errors.As, ==), opaque otherwise.
type test struct {
	special bool
	name    string // the error's importpath.Name, when special
	text    string // "errors.Is(err, ErrKeep) at db/db.go:20:5"
}

type taken struct {
	t     *test
	truth bool
}

// state is one path through the body.
type state struct {
	vals    map[types.Object]val
	at      ast.Expr // the call whose value is atVal: the callback's, or the literal's that runs it
	atVal   val
	reached bool     // at has run
	commit  ast.Node // the commit made after at, nil when none
	tests   []taken
	defers  []*ast.CallExpr
}

func (st *state) clone() *state {
	c := *st
	c.vals = maps.Clone(st.vals)
	c.tests = slices.Clone(st.tests)
	c.defers = slices.Clone(st.defers)
	return &c
}

// special is the test against a named error this path took as true.
func (st *state) special() (*test, bool) {
	for _, t := range st.tests {
		if t.t.special && t.truth {
			return t.t, true
		}
	}
	return nil, false
}

// opaque is a test on the error this path took that names no error.
func (st *state) opaque() (*test, bool) {
	for _, t := range st.tests {
		if !t.t.special {
			return t.t, true
		}
	}
	return nil, false
}

// ret is a path's end: the function returned val at at.
type ret struct {
	st  *state
	val val
	at  ast.Node
}

// flow reads one function of the wrapper for one call of its callback.
type flow struct {
	cr      *contractReader
	info    *types.Info
	cbCall  *ast.CallExpr
	handles map[types.Object]bool // the transaction handed to the callback
	failed  *contract
}

// maxPaths bounds the paths the reader follows through one body.
const maxPaths = 64

// frame is the function being run: the wrapper's or a deferred literal.
type frame struct {
	named    []types.Object // the named results, nil when unnamed
	deferred bool
	rets     []ret    // function: the paths that returned after at
	out      []*state // deferred: the paths that finished it
}

// from runs body once for each seed and returns the paths that return
// after the seed's at has run.
func (r *flow) from(body *ast.BlockStmt, ftype *ast.FuncType, seeds []*state) []ret {
	fr := &frame{named: namedResults(r.info, ftype)}
	for _, st := range seeds {
		for _, obj := range fr.named {
			st.vals[obj] = zeroVal(obj.Type())
		}
		for _, end := range r.block(fr, []*state{st}, body.List) {
			r.finish(fr, end, body, nil) // ran off the end: a function with no results
		}
		if r.failed != nil {
			return nil
		}
	}
	return fr.rets
}

func namedResults(info *types.Info, ftype *ast.FuncType) []types.Object {
	if ftype.Results == nil {
		return nil
	}
	var out []types.Object
	for _, f := range ftype.Results.List {
		for _, name := range f.Names {
			out = append(out, info.Defs[name])
		}
	}
	return out
}

// zeroVal is what a variable declared without a value holds.
func zeroVal(t types.Type) val {
	switch types.Unalias(t).Underlying().(type) {
	case *types.Interface, *types.Pointer, *types.Signature, *types.Map, *types.Slice, *types.Chan:
		return val{k: vNil}
	}
	return val{}
}

func (r *flow) block(fr *frame, sts []*state, list []ast.Stmt) []*state {
	for _, s := range list {
		var next []*state
		for _, st := range sts {
			next = append(next, r.stmt(fr, st, s)...)
		}
		if r.failed != nil {
			return nil
		}
		if len(next) > maxPaths {
			r.giveUp(s, "it has more paths than txscope follows")
			return nil
		}
		sts = next
	}
	return sts
}

// stmt runs s on the path st and returns the paths that carry on after it.
func (r *flow) stmt(fr *frame, st *state, s ast.Stmt) []*state {
	one := []*state{st}
	switch s := s.(type) {
	case *ast.ExprStmt:
		if isPanic(r.info, s.X) {
			if st.reached {
				r.giveUp(s, "it panics")
			}
			return nil
		}
		r.eval(st, s.X)
		return one
	case *ast.AssignStmt:
		r.assign(st, s)
		return one
	case *ast.DeclStmt:
		r.decl(st, s)
		return one
	case *ast.IncDecStmt, *ast.EmptyStmt:
		return one
	case *ast.LabeledStmt:
		return r.stmt(fr, st, s.Stmt)
	case *ast.BlockStmt:
		return r.block(fr, one, s.List)
	case *ast.IfStmt:
		if s.Init != nil {
			r.stmt(fr, st, s.Init)
		}
		var out []*state
		for _, o := range r.cond(st, s.Cond) {
			switch {
			case o.truth:
				out = append(out, r.block(fr, []*state{o.st}, s.Body.List)...)
			case s.Else != nil:
				out = append(out, r.stmt(fr, o.st, s.Else)...)
			default:
				out = append(out, o.st)
			}
		}
		return out
	case *ast.SwitchStmt:
		if s.Tag == nil {
			if s.Init != nil {
				r.stmt(fr, st, s.Init)
			}
			return r.switchStmt(fr, st, s)
		}
	case *ast.ReturnStmt:
		if fr.deferred {
			fr.out = append(fr.out, st)
		} else {
			r.finish(fr, st, s, s.Results)
		}
		return nil
	case *ast.DeferStmt:
		// Its arguments (a context, the tx) change nothing read here.
		st.defers = append(st.defers, s.Call)
		return one
	case *ast.GoStmt:
		if !st.reached || !r.mentionsTx(s) {
			return one
		}
	}
	if !st.reached && !syntax.ContainsNode(s, st.at) && !containsDefer(s) {
		// Before the callback runs, what the reader does not model only
		// decides whether it runs: a path that returns here is not its
		// error's.
		return one
	}
	r.giveUp(s, "txscope does not follow "+stmtKind(s)+" there")
	return nil
}

func stmtKind(s ast.Stmt) string {
	switch s.(type) {
	case *ast.ForStmt, *ast.RangeStmt:
		return "a loop"
	case *ast.SwitchStmt, *ast.TypeSwitchStmt:
		return "a switch with a tag"
	case *ast.SelectStmt:
		return "a select"
	case *ast.GoStmt:
		return "a goroutine given the transaction"
	case *ast.SendStmt:
		return "a send on a channel"
	case *ast.BranchStmt:
		return "a jump"
	}
	return "this statement"
}

func containsDefer(s ast.Stmt) bool {
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.DeferStmt:
			found = true
		case *ast.FuncLit:
			return false
		}
		return !found
	})
	return found
}

// switchStmt runs a switch without a tag as the if-else chain it is.
func (r *flow) switchStmt(fr *frame, st *state, s *ast.SwitchStmt) []*state {
	var out []*state
	pending := []*state{st}
	var dflt *ast.CaseClause
	for _, c := range s.Body.List {
		cc := c.(*ast.CaseClause)
		if cc.List == nil {
			dflt = cc
			continue
		}
		var next []*state
		for _, p := range pending {
			for _, o := range r.anyOf(p, cc.List) {
				if o.truth {
					out = append(out, r.block(fr, []*state{o.st}, cc.Body)...)
				} else {
					next = append(next, o.st)
				}
			}
		}
		pending = next
	}
	for _, p := range pending {
		if dflt != nil {
			out = append(out, r.block(fr, []*state{p}, dflt.Body)...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// anyOf is `case a, b:`: true when one of them is, tried in order.
func (r *flow) anyOf(st *state, list []ast.Expr) []outcome {
	os := r.cond(st, list[0])
	if len(list) == 1 {
		return os
	}
	var out []outcome
	for _, o := range os {
		if o.truth {
			out = append(out, o)
		} else {
			out = append(out, r.anyOf(o.st, list[1:])...)
		}
	}
	return out
}

// finish ends a path at a return: its results are evaluated, the named
// ones assigned, and the deferred calls run, which may change them.
func (r *flow) finish(fr *frame, st *state, at ast.Node, results []ast.Expr) {
	var v val
	for i, e := range results {
		x := r.eval(st, e)
		if len(results) != len(fr.named) && len(fr.named) > 0 {
			x = val{} // return f() of a function with several results
		}
		if i < len(fr.named) {
			st.vals[fr.named[i]] = x
		}
		v = x
	}
	if len(results) == 0 && len(fr.named) > 0 {
		v = st.vals[fr.named[len(fr.named)-1]]
	}
	if !st.reached {
		return // it returns before the callback runs: not its error's path
	}
	for _, end := range r.runDefers(st) {
		out := v
		if len(fr.named) > 0 {
			out = end.vals[fr.named[len(fr.named)-1]]
		}
		fr.rets = append(fr.rets, ret{st: end, val: out, at: at})
	}
}

// runDefers runs the path's deferred calls, last first.
func (r *flow) runDefers(st *state) []*state {
	defers := st.defers
	st.defers = nil
	sts := []*state{st}
	for i := len(defers) - 1; i >= 0 && r.failed == nil; i-- {
		call := defers[i]
		lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit)
		if !ok {
			for _, s := range sts {
				r.eval(s, call)
			}
			continue
		}
		var next []*state
		for _, s := range sts {
			df := &frame{deferred: true}
			next = append(next, r.block(df, []*state{s}, lit.Body.List)...)
			next = append(next, df.out...)
		}
		sts = next
	}
	return sts
}

func (r *flow) assign(st *state, s *ast.AssignStmt) {
	if len(s.Lhs) == len(s.Rhs) {
		vals := make([]val, len(s.Rhs))
		for i, e := range s.Rhs {
			vals[i] = r.eval(st, e)
		}
		if s.Tok != token.ASSIGN && s.Tok != token.DEFINE {
			return // x += y: not an error
		}
		for i, lhs := range s.Lhs {
			r.set(st, lhs, vals[i])
		}
		return
	}
	// v, ok := err.(*KeepError): ok tests the callback's error.
	if ta, ok := ast.Unparen(s.Rhs[0]).(*ast.TypeAssertExpr); ok && len(s.Lhs) == 2 {
		if x := r.eval(st, ta.X); x.fromCallback() {
			r.set(st, s.Lhs[0], val{})
			r.set(st, s.Lhs[1], val{k: vTest, test: r.typeTest(ta, r.info.TypeOf(ta.Type))})
			return
		}
	}
	v := r.eval(st, s.Rhs[0])
	for _, lhs := range s.Lhs {
		r.set(st, lhs, val{})
	}
	// v, err := fn(ctx, tx): a call's error is its last result.
	if _, isCall := ast.Unparen(s.Rhs[0]).(*ast.CallExpr); isCall && (s.Tok == token.ASSIGN || s.Tok == token.DEFINE) {
		last := s.Lhs[len(s.Lhs)-1]
		if t := r.info.TypeOf(last); t != nil && types.Identical(t, types.Universe.Lookup("error").Type()) {
			r.set(st, last, v)
		}
	}
}

func (r *flow) set(st *state, lhs ast.Expr, v val) {
	if obj := syntax.ObjectOf(r.info, syntax.IdentOf(lhs)); obj != nil {
		st.vals[obj] = v
	}
}

func (r *flow) decl(st *state, s *ast.DeclStmt) {
	g, ok := s.Decl.(*ast.GenDecl)
	if !ok || g.Tok != token.VAR {
		return
	}
	for _, spec := range g.Specs {
		vs := spec.(*ast.ValueSpec)
		for i, name := range vs.Names {
			obj := r.info.Defs[name]
			switch {
			case obj == nil:
			case len(vs.Values) == len(vs.Names):
				st.vals[obj] = r.eval(st, vs.Values[i])
			case len(vs.Values) == 0:
				st.vals[obj] = zeroVal(obj.Type())
			default:
				st.vals[obj] = val{}
			}
		}
		if len(vs.Values) == 1 && len(vs.Names) > 1 {
			r.eval(st, vs.Values[0])
		}
	}
}
