package fuzz

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"

	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/plan"
)

// Store functions by effect, as the world package defines them.
var (
	txOnlyCalls = map[string]bool{"Write": true, "Bump": true, "Lock": true}
)

// staticProblems checks the rewritten handlers of one program against the
// plans: each handler has a plan, kept ones a reason and an untouched body,
// rewritten ones a changed body; writes and locking reads stay inside a
// WithTenant callback; slow calls and session checks are outside one unless
// the report says why not; pooled handles are never used inside one.
func staticProblems(res *rewrite.Result, pkgPath string, orig, got []byte) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	origFile, err := parser.ParseFile(token.NewFileSet(), "", orig, 0)
	if err != nil {
		return []string{fmt.Sprintf("generated file does not parse: %v", err)}
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", got, 0)
	if err != nil {
		return []string{fmt.Sprintf("rewritten file does not parse: %v", err)}
	}
	for _, decl := range file.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := fd.Name.Name
		pl, ok := findPlan(res, pkgPath, name)
		if !ok {
			add("%s: no plan", name)
			continue
		}
		changed := !bytes.Equal(funcText(orig, origFile, name), funcText(got, file, name))
		switch pl.Action {
		case plan.ActionKept, plan.ActionUnchanged:
			if pl.Action == plan.ActionKept && pl.Reason == "" {
				add("%s: kept without a reason", name)
			}
			if changed {
				add("%s: %s but its body changed", name, pl.Action)
			}
		case plan.ActionPooled, plan.ActionNarrowed:
			if !changed {
				add("%s: %s but its body is unchanged", name, pl.Action)
			}
		default:
			add("%s: unknown action %q", name, pl.Action)
		}
		for _, p := range placementProblems(fd, pl, hasTS002(res, pl)) {
			add("%s (%s): %s at %s", name, pl.Action, p.msg, fset.Position(p.pos))
		}
	}
	return problems
}

func findPlan(res *rewrite.Result, pkgPath, name string) (plan.Plan, bool) {
	for _, p := range res.Plans {
		if p.Wrapped.Site.Func.Pkg.PkgPath == pkgPath && p.Wrapped.Site.Func.Decl.Name.Name == name {
			return p, true
		}
	}
	return plan.Plan{}, false
}

// hasTS002 reports whether the report names a slow call in the handler.
func hasTS002(res *rewrite.Result, pl plan.Plan) bool {
	decl := pl.Wrapped.Site.Func.Decl
	for _, f := range res.Analysis.Findings {
		if f.Code == "TS002" && decl.Pos() <= f.Pos && f.Pos < decl.End() {
			return true
		}
	}
	return false
}

func funcText(src []byte, f *ast.File, name string) []byte {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name {
			return src[fd.Pos()-f.FileStart : fd.End()-f.FileStart]
		}
	}
	return nil
}

type placement struct {
	pos token.Pos
	msg string
}

// placementProblems checks where the world's calls and the pooled handles
// sit relative to the WithTenant and WithTenantCtx callbacks of fd.
func placementProblems(fd *ast.FuncDecl, pl plan.Plan, reportedSlow bool) []placement {
	var callbacks []*ast.FuncLit
	pooled := map[string]bool{}
	ast.Inspect(fd, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "WithTenant" || sel.Sel.Name == "WithTenantCtx") {
				for _, a := range n.Args {
					if lit, ok := a.(*ast.FuncLit); ok {
						callbacks = append(callbacks, lit)
					}
				}
			}
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 && qualifier(n.Rhs[0]) == "tenantpool" {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						pooled[id.Name] = true
					}
				}
			}
		}
		return true
	})
	inside := func(pos token.Pos) bool {
		for _, cb := range callbacks {
			if cb.Pos() <= pos && pos < cb.End() {
				return true
			}
		}
		return false
	}
	rewritten := pl.Action == plan.ActionPooled || pl.Action == plan.ActionNarrowed
	var out []placement
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			fn := worldCall(n)
			switch {
			// A lock a --recheck plan replays runs again inside (the
			// dynamic property checks the outcome).
			case txOnlyCalls[fn] && !inside(n.Pos()) && !(fn == "Lock" && len(pl.Replays) > 0):
				out = append(out, placement{n.Pos(), "world." + fn + " outside a transaction"})
			case fn == "Slow" && inside(n.Pos()) && pl.Action != plan.ActionKept && !reportedSlow:
				out = append(out, placement{n.Pos(), "unreported slow call inside a transaction"})
			case fn == "Session" && inside(n.Pos()) && rewritten:
				out = append(out, placement{n.Pos(), "world." + fn + " left inside the transaction of a rewritten handler"})
			}
		case *ast.Ident:
			if pooled[n.Name] && inside(n.Pos()) {
				out = append(out, placement{n.Pos(), "pooled handle " + n.Name + " used inside a transaction"})
			}
		}
		return true
	})
	return out
}

// worldCall is X in world.X(…), "" for any other call.
func worldCall(call *ast.CallExpr) string {
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == "world" {
			return sel.Sel.Name
		}
	}
	return ""
}

// qualifier is pkg in pkg.F(…).
func qualifier(e ast.Expr) string {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return ""
	}
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
		if id, ok := sel.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return ""
}
