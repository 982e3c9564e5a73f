package plan

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// swallowedReadError finds a read in stmts[:start] (the statements that
// leave the transaction) whose error can be non-nil on a path that does not
// end in returning a non-nil error: discarded (`_`, a bare call),
// swallowed (`if err != nil { return nil }`, `continue`, an errors.Is
// branch) or overwritten. In the transaction that failed statement aborted
// it, the commit failed and the handler returned an error; on the pool the
// handler would carry on.
func swallowedReadError(info *types.Info, body *ast.BlockStmt, stmts []analysis.StmtEffect, start int) (token.Pos, bool) {
	ef := errFlow{info: info}
	for _, s := range stmts {
		for _, ce := range s.Calls {
			if ce.Effect != rules.Pure || ce.Pooled {
				ef.busy = append(ef.busy, ce.Node)
			}
		}
	}
	for _, s := range stmts[:start] {
		for _, ce := range s.Calls {
			call, ok := ce.Node.(*ast.CallExpr)
			if ok && ce.Effect.Has(rules.Read) && !ef.returned(pathTo(body, call)) {
				return call.Pos(), true
			}
		}
	}
	return token.NoPos, false
}

// valueOnError finds a return, among the statements that leave the
// transaction, of a callback that returns a value beside its error, that
// may hand back an error with a value other than the zero one (`return n,
// err`, `return load(tx)`). What the wrapper returns with an error is its
// own (a value wrapper returns its zero value), so the code moved out of it
// is exact only when each such return gives zero values or a nil error.
func valueOnError(info *types.Info, cb *ast.FuncLit, moved []analysis.StmtEffect) *ast.ReturnStmt {
	sig, _ := info.TypeOf(cb).(*types.Signature)
	if sig == nil || sig.Results().Len() < 2 {
		return nil
	}
	var found *ast.ReturnStmt
	for _, s := range moved {
		syntax.WalkReturns(s.Stmt, func(r *ast.ReturnStmt) {
			if found == nil && !exactOnError(info, r) {
				found = r
			}
		})
	}
	return found
}

// exactOnError reports whether r returns a nil error, or zero values beside
// its error. A bare return of named results, or a call's results passed on
// (`return load(tx)`), may give a value with an error.
func exactOnError(info *types.Info, r *ast.ReturnStmt) bool {
	if len(r.Results) < 2 {
		return false
	}
	if analysis.IsNil(info, ast.Unparen(ErrorResult(r))) {
		return true
	}
	for _, e := range r.Results[:len(r.Results)-1] {
		if !zeroValue(info, e) {
			return false
		}
	}
	return true
}

// zeroValue reports whether e is written as its type's zero value: nil, a
// constant zero, false, "" or an empty struct or array literal.
func zeroValue(info *types.Info, e ast.Expr) bool {
	e = ast.Unparen(e)
	if analysis.IsNil(info, e) {
		return true
	}
	if v := info.Types[e].Value; v != nil {
		switch v.Kind() {
		case constant.Bool:
			return !constant.BoolVal(v)
		case constant.String:
			return constant.StringVal(v) == ""
		case constant.Int, constant.Float, constant.Complex:
			return constant.Sign(v) == 0
		}
		return false
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok || len(lit.Elts) > 0 {
		return false
	}
	switch info.TypeOf(lit).Underlying().(type) {
	case *types.Struct, *types.Array:
		return true
	}
	return false
}

// errFlow follows the error of a read to the callback's returns.
type errFlow struct {
	info *types.Info
	busy []ast.Node // calls that touch the database or call out
}

// returned reports whether every path on which the error of the call at
// the end of path is non-nil returns a non-nil error from the callback:
// `return read(…)`, or an err variable that reaches
// `if err != nil { … return err }` (which cannot fall through) or
// `return err` with nothing in between that leaves, touches err or runs
// another query.
func (ef errFlow) returned(path []ast.Node) bool {
	info := ef.info
	i := chainTop(path)
	errIdx := -1
	if top, ok := path[i].(ast.Expr); ok {
		errIdx = errorIndex(info, top)
	}
	if errIdx < 0 {
		return true // no error to lose (a row scanned later reports it)
	}
	for _, n := range path[:i] {
		if _, ok := n.(*ast.FuncLit); ok {
			return false // a return in there does not leave the callback
		}
	}
	switch p := path[i-1].(type) {
	case *ast.ReturnStmt:
		// The whole result list, or the error slot of `return v, read(…)`.
		return len(p.Results) == 1 || ast.Node(ErrorResult(p)) == path[i]
	case *ast.AssignStmt:
		if len(p.Rhs) != 1 || errIdx >= len(p.Lhs) {
			return false
		}
		id, _ := p.Lhs[errIdx].(*ast.Ident)
		if ifs, ok := path[i-2].(*ast.IfStmt); ok && ifs.Init == ast.Stmt(p) {
			return checkFails(info, ifs, errVar(info, id))
		}
		return ef.reachesReturn(path, i-1, errVar(info, id))
	case *ast.ValueSpec:
		if len(p.Values) != 1 || errIdx >= len(p.Names) || i < 4 {
			return false
		}
		return ef.reachesReturn(path, i-3, errVar(info, p.Names[errIdx]))
	}
	return false
}

// reachesReturn follows err from the statement path[k] through the rest
// of its block to a check that fails or a return of a non-nil error.
func (ef errFlow) reachesReturn(path []ast.Node, k int, err types.Object) bool {
	if err == nil {
		return false
	}
	uses := map[types.Object]bool{err: true}
	for _, s := range stmtsAfter(path, k) {
		if ifs, ok := s.(*ast.IfStmt); ok && (ifs.Init == nil || !syntax.Mentions(ef.info, ifs.Init, uses)) && checkFails(ef.info, s, err) {
			return true
		}
		if r, ok := s.(*ast.ReturnStmt); ok {
			return nonNilError(ef.info, ErrorResult(r), err)
		}
		if syntax.Mentions(ef.info, s, uses) || branches(s) || ef.queries(s) {
			return false
		}
	}
	return false // the block ends: the error is not returned from here
}

// queries reports whether s holds a call that touches the database or
// calls out: after a failed read in a transaction it would fail too.
func (ef errFlow) queries(s ast.Stmt) bool {
	for _, n := range ef.busy {
		if syntax.ContainsNode(s, n) {
			return true
		}
	}
	return false
}

// chainTop climbs from the call at the end of path through parentheses
// and method chains (`tx.QueryRow(…).Scan(…)`) to the call whose result
// carries the error; it returns that node's index in path.
func chainTop(path []ast.Node) int {
	i := len(path) - 1
	for i >= 1 {
		if _, ok := path[i-1].(*ast.ParenExpr); ok {
			i--
			continue
		}
		sel, ok := path[i-1].(*ast.SelectorExpr)
		if !ok || i < 2 {
			break
		}
		if call, ok := path[i-2].(*ast.CallExpr); !ok || call.Fun != ast.Expr(sel) {
			break
		}
		i -= 2
	}
	return i
}

// errVar is the variable an error result is bound to, nil for `_`.
func errVar(info *types.Info, id *ast.Ident) types.Object {
	if id == nil || id.Name == "_" {
		return nil
	}
	return syntax.ObjectOf(info, id)
}

// stmtsAfter is what follows path[k] in its block.
func stmtsAfter(path []ast.Node, k int) []ast.Stmt {
	list := syntax.StmtList(path[k-1])
	for j, s := range list {
		if ast.Node(s) == path[k] {
			return list[j+1:]
		}
	}
	return nil
}

// checkFails reports whether s is `if err != nil { … }` (or a condition
// that holds whenever err != nil) whose body leaves the callback with a
// non-nil error on every path.
func checkFails(info *types.Info, s ast.Stmt, err types.Object) bool {
	ifs, ok := s.(*ast.IfStmt)
	if !ok || err == nil || !holdsWhenNonNil(info, ifs.Cond, err) || !Terminates(ifs.Body.List) {
		return false
	}
	for _, obj := range Defs(info, ifs.Body, SrcSpanOf(ifs.Body)) {
		if obj == err {
			return false // reassigned before it is returned
		}
	}
	ok = true
	ast.Inspect(ifs.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.BranchStmt:
			ok = false // break, continue, goto: the path goes on without returning
		case *ast.ReturnStmt:
			ok = ok && nonNilError(info, ErrorResult(n), err)
		}
		return ok
	})
	return ok
}

// holdsWhenNonNil matches `err != nil`, `nil != err` and a disjunction
// with one of them.
func holdsWhenNonNil(info *types.Info, cond ast.Expr, err types.Object) bool {
	bin, ok := ast.Unparen(cond).(*ast.BinaryExpr)
	if !ok {
		return false
	}
	switch bin.Op {
	case token.LOR:
		return holdsWhenNonNil(info, bin.X, err) || holdsWhenNonNil(info, bin.Y, err)
	case token.NEQ:
		return isVar(info, bin.X, err) && analysis.IsNil(info, ast.Unparen(bin.Y)) ||
			isVar(info, bin.Y, err) && analysis.IsNil(info, ast.Unparen(bin.X))
	}
	return false
}

func isVar(info *types.Info, e ast.Expr, obj types.Object) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && syntax.ObjectOf(info, id) == obj
}

// ErrorResult is the expression a return gives the callback's error: the
// last of its results (`return nil, err` in a callback that also returns a
// value), or nil for a bare return.
func ErrorResult(r *ast.ReturnStmt) ast.Expr {
	if len(r.Results) == 0 {
		return nil
	}
	return r.Results[len(r.Results)-1]
}

// nonNilError reports whether e, returned where err is known non-nil, is
// a non-nil error: err itself, a package-level sentinel, a composite
// literal, a value of a concrete type (a *NotFound is a non-nil error even
// when the pointer is nil), or a constructor that never returns nil
// (fmt.Errorf, errors.New) or wraps a non-nil error.
func nonNilError(info *types.Info, e ast.Expr, err types.Object) bool {
	if e == nil {
		return false
	}
	if concreteValue(info, e) {
		return true
	}
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return syntax.ObjectOf(info, e) == err || isSentinel(syntax.ObjectOf(info, e))
	case *ast.SelectorExpr:
		return isSentinel(info.Uses[e.Sel])
	case *ast.CompositeLit:
		return true
	case *ast.UnaryExpr:
		_, lit := ast.Unparen(e.X).(*ast.CompositeLit)
		return e.Op == token.AND && lit
	case *ast.CallExpr:
		fn, _ := typeutil.Callee(info, e).(*types.Func)
		if fn == nil {
			return false
		}
		switch rules.FuncName(fn) {
		case "fmt.Errorf", "errors.New", "github.com/pkg/errors.New", "github.com/pkg/errors.Errorf":
			return true
		case "github.com/pkg/errors.Wrap", "github.com/pkg/errors.Wrapf",
			"github.com/pkg/errors.WithStack", "github.com/pkg/errors.WithMessage":
			return len(e.Args) > 0 && nonNilError(info, e.Args[0], err)
		}
		return rules.IsBuffaloContextError(fn)
	}
	return false
}

// concreteValue reports whether e is a single value of a non-interface
// type other than nil: converted to error, it is never a nil interface.
func concreteValue(info *types.Info, e ast.Expr) bool {
	t := info.TypeOf(e)
	if t == nil || types.IsInterface(t) || analysis.IsNil(info, ast.Unparen(e)) {
		return false
	}
	_, tuple := t.(*types.Tuple)
	return !tuple
}

// isSentinel matches a package-level error variable (`ErrNotFound`).
func isSentinel(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	return ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() && isError(v.Type())
}

// pathTo lists the nodes from root down to target.
func pathTo(root, target ast.Node) []ast.Node {
	var path []ast.Node
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil || len(path) > 0 && path[len(path)-1] == target {
			return false
		}
		if !syntax.ContainsNode(n, target) {
			return false
		}
		path = append(path, n)
		return n != target
	})
	return path
}

// errorIndex is the position of the error among e's results, or -1.
func errorIndex(info *types.Info, e ast.Expr) int {
	switch t := info.TypeOf(e).(type) {
	case *types.Tuple:
		for i := 0; i < t.Len(); i++ {
			if isError(t.At(i).Type()) {
				return i
			}
		}
	default:
		if t != nil && isError(t) {
			return 0
		}
	}
	return -1
}
