package plan

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// BuffaloPlan is the migration of an app behind popmw.Transaction: the
// actions that only read leave the middleware (a Skip right after it, the
// one way Buffalo leaves a middleware out for some handlers) and take the
// pool where they took the transaction; those that write leave it too when
// a transaction of their own from their first write to their end, on the
// same pool, commits and rolls back as popmw's did (narrowed); the others
// keep it, each with the reason. It is made whole or not at all.
type BuffaloPlan struct {
	Buffalo *analysis.Buffalo
	Actions []ActionPlan
	// Unread are the actions whose bodies txscope could not read (a
	// handler of a library, a function literal): they keep the
	// transaction, for the reason each gives.
	Unread []*analysis.Action
	// Failed is why the migration could not be made (its edits did not
	// type-check): every action then keeps the transaction.
	Failed error
}

// ActionPlan is what happens to one action.
type ActionPlan struct {
	Action *analysis.Action
	Plan   Plan
}

// PlanBuffalo plans each action of an app.
func PlanBuffalo(prog *load.Program, b *analysis.Buffalo) *BuffaloPlan {
	bp := &BuffaloPlan{Buffalo: b}
	for _, a := range b.Actions {
		if a.Wrapped == nil {
			bp.Unread = append(bp.Unread, a)
			continue
		}
		bp.Actions = append(bp.Actions, ActionPlan{Action: a, Plan: planAction(prog, b, a)})
	}
	// Skip names the function: routed twice, it leaves the transaction at
	// both routes or at neither.
	for i, ap := range bp.Actions {
		for _, other := range bp.Actions {
			if Leaves(ap.Plan) && !Leaves(other.Plan) && other.Action.Func == ap.Action.Func {
				bp.Actions[i].Plan = ap.Plan.Keep("it is routed at %s too, where it keeps the transaction (%s), and Skip names the function, not the route",
					prog.Position(other.Action.Route.Pos()), other.Plan.Reason)
				break
			}
		}
	}
	return bp
}

func planAction(prog *load.Program, b *analysis.Buffalo, a *analysis.Action) Plan {
	p := Plan{Wrapped: a.Wrapped}
	switch {
	case a.Why != "":
		return p.Keep("%s", a.Why)
	case b.SkipWhy != "":
		return p.Keep("%s", b.SkipWhy)
	case a.Wrapped.Site.Tx == nil:
		// Its context is unnamed: nothing in it can take the transaction.
		p.Action, p.Start = ActionPooled, len(a.Wrapped.Stmts)
	default:
		p = Decide(prog, a.Wrapped, PlanOptions{noRebind: true})
	}
	switch p.Action {
	case ActionPooled:
		if b.Pool == nil && a.Accessor != nil {
			return p.Keep("%s", b.PoolWhy)
		}
		if len(p.Moves) == 0 {
			p.Moves = []string{"runs no query: popmw.Transaction is skipped for it"}
		}
	case ActionNarrowed:
		switch {
		case a.Wrapped.Class == analysis.ClassWriteOnly:
			p.Action, p.Start, p.Moves = ActionUnchanged, 0, nil
			p.Reason = "its first query writes: only cheap code runs before it in the transaction"
			return p
		case len(p.Moves) == 0:
			// What stays from the first query on is the whole of popmw's
			// transaction but cheap code: a Skip would gain nothing.
			p.Action, p.Start = ActionUnchanged, 0
			p.Reason = cheapBeforeFirstQuery(prog, p.Stmts())
			return p
		}
		if why := narrowVeto(prog, b, a, p); why != "" {
			return p.Keep("%s", why)
		}
		p.Moves = append(p.Moves, fmt.Sprintf("from %s on: in a transaction of its own, %s.Transaction; popmw.Transaction is skipped for it", prog.Position(p.Body()[p.Start].Pos()), poolText(b.Pool)))
	}
	return p
}

// poolText names the pool as its package's users do: models.DB.
func poolText(v *types.Var) string { return v.Pkg().Name() + "." + v.Name() }

// Leaves reports whether a plan takes the action out of popmw's
// transaction (a Skip names it).
func Leaves(p Plan) bool { return p.Action == ActionPooled || p.Action == ActionNarrowed }

// narrowVeto is why an action that writes cannot open its own transaction
// on popmw's pool around its statements from p.Start on, and run the rest
// on the pool: "" when that commits and rolls back as popmw's did. popmw
// rolled back when the action returned an error, and when the response's
// status after it was 400 or more (buffalo-pop v3 popmw/tx.go; 0, nothing
// written, commits). The transaction of its own rolls back on the error
// alone, so from its first write on no return may answer with an error
// status, nothing before a return may have written the response, and
// nothing between popmw and the action may change either after it.
func narrowVeto(prog *load.Program, b *analysis.Buffalo, a *analysis.Action, p Plan) string {
	info := a.Wrapped.Site.Func.Pkg.TypesInfo
	body := p.Body()
	block := body[p.Start:]
	if b.Pool == nil {
		return b.PoolWhy
	}
	if ok, why := analysis.OutsideTx(prog, b.Func.Pkg.TypesInfo, b.MW.Args[0]); !ok {
		return fmt.Sprintf("pop's Transaction on %s, in a transaction already, would run the writes in it and end it, and txscope cannot prove it is in none: %s", poolText(b.Pool), why)
	}
	if a.Around != "" {
		return a.Around
	}
	for _, s := range block {
		if how, ok := b.ContextTx(info, s); ok {
			return fmt.Sprintf("its write block %s: skipped by popmw.Transaction, that code gets %s, not the transaction around the writes", strings.TrimPrefix(how, "it "), poolText(b.Pool))
		}
	}
	acc := a.Accessor
	if acc == nil {
		return "it takes no transaction itself, so its writes have none to run in"
	}
	if i := slices.Index(body, ast.Stmt(acc.Stmt)); i < 0 || i >= p.Start || acc.Check != nil && slices.Index(body[:p.Start], ast.Stmt(acc.Check)) < 0 {
		return fmt.Sprintf("it takes the transaction at %s other than in a statement of its body before its first write", prog.Position(acc.Stmt.Pos()))
	}
	if pos, ok := setAgain(info, a.Wrapped.Site.Func.Decl.Body, acc); ok {
		return fmt.Sprintf("%s, its transaction, is set again at %s", acc.Var.Name(), prog.Position(pos))
	}
	if why := b.WritesResponse(a); why != "" {
		return fmt.Sprintf("%s before it returns: popmw.Transaction rolled the writes back on a status of 400 or more, which txscope cannot rule out", why)
	}
	stmts := p.Stmts()
	for _, s := range body[firstWrite(stmts):] {
		why := ""
		syntax.WalkReturns(s, func(r *ast.ReturnStmt) {
			if why == "" {
				if status := b.ErrorStatus(info, r); status != "" {
					why = fmt.Sprintf("the return at %s, after a write, %s: popmw.Transaction rolled the writes back on a status of 400 or more, which a transaction around them alone would commit", prog.Position(r.Pos()), status)
				}
			}
		})
		if why != "" {
			return why
		}
	}
	return ""
}

// setAgain finds an assignment to the accessor's variable other than the
// accessor, or its address taken.
func setAgain(info *types.Info, body *ast.BlockStmt, acc *analysis.Accessor) (token.Pos, bool) {
	pos := token.NoPos
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				if n != acc.Stmt && syntax.ObjectOf(info, syntax.IdentOf(lhs)) == acc.Var {
					pos = n.Pos()
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND && syntax.ObjectOf(info, syntax.IdentOf(n.X)) == acc.Var {
				pos = n.Pos()
			}
		}
		return pos == token.NoPos
	})
	return pos, pos != token.NoPos
}

// firstQuery is the node of the first call of stmts that touches the
// database.
func firstQuery(stmts []analysis.StmtEffect) ast.Node {
	for _, s := range stmts {
		for _, ce := range s.Calls {
			if ce.Effect != rules.Pure {
				return ce.Node
			}
		}
	}
	return stmts[len(stmts)-1].Stmt
}

// Leaving are the actions that leave popmw's transaction: pooled, and
// narrowed (which open their own around their writes).
func (bp *BuffaloPlan) Leaving() []ActionPlan {
	var out []ActionPlan
	if bp.Failed != nil {
		return nil
	}
	for _, ap := range bp.Actions {
		if Leaves(ap.Plan) {
			out = append(out, ap)
		}
	}
	return out
}

// ReportPlans are the actions' plans as they stand: kept with the failure
// when the migration failed.
func (bp *BuffaloPlan) ReportPlans() []ActionPlan {
	if bp.Failed == nil {
		return bp.Actions
	}
	out := make([]ActionPlan, len(bp.Actions))
	for i, ap := range bp.Actions {
		out[i] = ap
		if Leaves(ap.Plan) {
			out[i].Plan = ap.Plan.Keep("%v", bp.Failed)
		}
	}
	return out
}

// Touches reports whether the migration edits file (an absolute path).
func (bp *BuffaloPlan) Touches(prog *load.Program, file string) bool {
	pooled := bp.Leaving()
	if len(pooled) == 0 {
		return false
	}
	if prog.Fset.Position(bp.Buffalo.Use.Pos()).Filename == file {
		return true
	}
	for _, ap := range pooled {
		if ap.Action.Accessor != nil && prog.Fset.Position(ap.Action.Accessor.Stmt.Pos()).Filename == file {
			return true
		}
	}
	return false
}
