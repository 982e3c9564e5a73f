package analysis

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"github.com/txscope/txscope/rules/sqllex"
	"golang.org/x/tools/go/types/typeutil"
)

// runsOnceWhy says why the callback may not run exactly once per call of
// the wrapper ("" when it does): inlining its body, or moving it onto a
// pool, assumes that. The contract reader has followed the function
// literals and goroutines around the call; a second call, or a loop
// around the call, is what remains.
func runsOnceWhy(prog *load.Program, body *ast.BlockStmt, calls []*ast.CallExpr) string {
	if len(calls) > 1 {
		return fmt.Sprintf("the wrapper calls its callback more than once (at %s and %s), so the callback's body does not run once per call", prog.Position(calls[0].Pos()), prog.Position(calls[1].Pos()))
	}
	why := ""
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			if why == "" && syntax.ContainsNode(n, calls[0]) {
				why = fmt.Sprintf("the wrapper calls its callback in a loop (%s), so the callback's body may run more than once", prog.Position(n.Pos()))
			}
		}
		return why == ""
	})
	return why
}

// extraTxUse describes the first use of the tx in body other than the
// calls in allowed (the callback's first, then the setting's) and Commit or Rollback:
// a statement the wrapper runs in every transaction, which a handle that
// runs the callback's reads on their own would not. "" when there is none.
func extraTxUse(prog *load.Program, info *types.Info, body *ast.BlockStmt, txVar types.Object, allowed ...*ast.CallExpr) string {
	ok := map[*ast.Ident]bool{}
	mark := func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			if id, isID := n.(*ast.Ident); isID && info.Uses[id] == txVar {
				ok[id] = true
			}
			return true
		})
	}
	for _, call := range allowed {
		if call != nil {
			mark(call)
		}
	}
	cb := allowed[0]
	ast.Inspect(body, func(n ast.Node) bool {
		// A call given the callback's result ends the transaction with it
		// (finish(tx, fn(tx))): that is the wrapper's contract, read or
		// stated under commits:, not a statement of its own.
		if call, isCall := n.(*ast.CallExpr); isCall && slices.Contains(call.Args, ast.Expr(cb)) {
			mark(call)
		}
		return true
	})
	ast.Inspect(body, func(n ast.Node) bool {
		call, isCall := n.(*ast.CallExpr)
		if !isCall {
			return true
		}
		if text, _, isSQL := sqlArg(info, call); isSQL {
			if _, sets := rules.SQLIsolation(text.Text); sets {
				mark(call) // the level it sets is the wrapper's Isolation
				return true
			}
		}
		sel, isSel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if fn, _ := typeutil.Callee(info, call).(*types.Func); isSel && fn != nil && fn.Signature().Recv() != nil &&
			(fn.Name() == "Commit" || fn.Name() == "Rollback") && syntax.ObjectOf(info, syntax.IdentOf(sel.X)) == txVar {
			mark(sel.X)
		}
		return true
	})
	var use *ast.Ident
	ast.Inspect(body, func(n ast.Node) bool {
		if id, isID := n.(*ast.Ident); isID && use == nil && info.Uses[id] == txVar && !ok[id] {
			use = id
		}
		return use == nil
	})
	if use == nil {
		return ""
	}
	// The innermost call around the use says what it does.
	var what ast.Expr = use
	ast.Inspect(body, func(n ast.Node) bool {
		if call, isCall := n.(*ast.CallExpr); isCall && syntax.ContainsNode(call, use) {
			what = call
		}
		return true
	})
	return fmt.Sprintf("%s at %s", shortExpr(what), prog.Position(use.Pos()))
}

// shortExpr is e's source, cut to a readable length.
func shortExpr(e ast.Expr) string {
	text := types.ExprString(e)
	if len(text) > 60 {
		text = text[:60] + " …"
	}
	return text
}

// boundArg is the argument of call that the bind parameter in value ($N,
// or the Nth '?' of the statement) receives: the parameters follow the SQL
// argument at sqlIndex. nil when it cannot be told (named parameters,
// a spread slice, no parameter in value).
func boundArg(call *ast.CallExpr, sqlIndex int, statement string, value []sqllex.Token) ast.Expr {
	if sqlIndex < 0 || call.Ellipsis.IsValid() {
		return nil
	}
	for _, t := range value {
		if t.Kind != sqllex.Param {
			continue
		}
		n := 0
		switch {
		case t.Text == "?":
			toks, err := sqllex.Lex(statement)
			if err != nil {
				return nil
			}
			for _, q := range toks {
				if q.Kind == sqllex.Param && q.Text == "?" && q.Start <= t.Start {
					n++
				}
			}
		case strings.HasPrefix(t.Text, "$"):
			n, _ = strconv.Atoi(t.Text[1:])
		}
		if n < 1 || sqlIndex+n >= len(call.Args) {
			return nil
		}
		return call.Args[sqlIndex+n]
	}
	return nil
}
