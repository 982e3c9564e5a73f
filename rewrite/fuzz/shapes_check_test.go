package fuzz

import (
	"go/ast"
	"go/token"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/plan"
)

// Floors of a batch of issue 13's shapes: fewer means the batch no longer
// exercises what the dynamic property checks on them.
const (
	minShapesRewritten = 8 // handlers with a shape, pooled or narrowed
	minCtxRewritten    = 3 // of them with an own-context callback
	minGuardRewritten  = 2 // of them with a marked guard or feeding read
	minPrepRewritten   = 2 // of them with a prepared statement (narrowed)
	minTS005           = 1 // raw module: handlers kept by an unfiltered read
)

// assertShapes checks a batch of issue 13's shapes. Every Prepare and every
// statement run by a prepared name is classed as a write (a prepared
// INSERT is one; a name's SQL cannot be read, so its effect is unknown),
// and no handler with one is pooled. Enough handlers with the shapes are
// rewritten that the dynamic property meets them; in a raw module, onto
// the raw pool, and some are kept by an unfiltered read (TS005).
func assertShapes(t *testing.T, res *rewrite.Result, raw bool) {
	var rewritten, ctx, guard, prep, ts005 int
	for _, pl := range res.Plans {
		site := pl.Wrapped.Site
		name := site.Name()
		prepared := preparedCalls(site.Callback.Body)
		for _, call := range prepared {
			ce, ok := callEffect(pl, call)
			assert.True(t, ok && ce.Effect.Writes(), "%s: %s at %s classed %v, not as a write",
				name, ce.Callee, site.Func.Pkg.Fset.Position(call.Pos()), ce.Effect)
		}
		done := pl.Action == plan.ActionPooled || pl.Action == plan.ActionNarrowed
		if len(prepared) > 0 {
			assert.NotEqual(t, plan.ActionPooled, pl.Action, "%s runs a prepared statement", name)
		}
		own := ownContext(site.Call)
		marked := markedRead(site.Callback.Body)
		if done && (own || marked || len(prepared) > 0) {
			rewritten++
		}
		if done && own {
			ctx++
		}
		if done && marked {
			guard++
		}
		if done && len(prepared) > 0 {
			prep++
		}
		if pl.Action == plan.ActionKept && strings.Contains(pl.Reason, "(TS005)") {
			ts005++
		}
	}
	t.Logf("shapes (raw %v): %d rewritten, %d with their own context, %d with a marked guard, %d with a prepared statement; %d kept by TS005", raw, rewritten, ctx, guard, prep, ts005)
	assert.GreaterOrEqual(t, rewritten, minShapesRewritten, "handlers with a shape rewritten")
	assert.GreaterOrEqual(t, ctx, minCtxRewritten, "handlers with an own-context callback rewritten")
	assert.GreaterOrEqual(t, guard, minGuardRewritten, "handlers with a marked guard rewritten")
	assert.GreaterOrEqual(t, prep, minPrepRewritten, "handlers with a prepared statement rewritten")
	if raw {
		assert.GreaterOrEqual(t, ts005, minTS005, "handlers kept by an unfiltered read on the raw pool")
	}
}

// preparedName is a statement name preparedWrite and preparedRead give.
var preparedName = regexp.MustCompile(`^"p\d+"$`)

// preparedCalls are the Prepare calls in body and the statements run by a
// prepared statement's name (a literal, or a description's Name).
func preparedCalls(body *ast.BlockStmt) []*ast.CallExpr {
	var out []*ast.CallExpr
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		byName := false
		if len(call.Args) > 1 {
			switch a := call.Args[1].(type) {
			case *ast.BasicLit:
				byName = a.Kind == token.STRING && preparedName.MatchString(a.Value)
			case *ast.SelectorExpr:
				byName = a.Sel.Name == "Name"
			}
		}
		if sel.Sel.Name == "Prepare" || byName {
			out = append(out, call)
		}
		return true
	})
	return out
}

// callEffect is the classified effect of call in the plan's callback.
func callEffect(pl plan.Plan, call *ast.CallExpr) (ce analysis.CallEffect, ok bool) {
	for _, s := range pl.Wrapped.Stmts {
		for _, c := range s.Calls {
			if c.Node == call {
				return c, true
			}
		}
	}
	return ce, false
}

// ownContext reports whether the wrapper call is WithTenantCtx's.
func ownContext(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "WithTenantCtx"
}

// markedRead reports whether body has a read marked as feeding a write.
func markedRead(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && strings.Contains(lit.Value, "/* feeds:") {
			found = true
		}
		return !found
	})
	return found
}
