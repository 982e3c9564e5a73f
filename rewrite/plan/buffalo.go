package plan

import (
	"go/ast"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
)

// BuffaloPlan is the migration of an app behind popmw.Transaction: the
// actions that only read leave the middleware (a Skip right after it, the
// one way Buffalo leaves a middleware out for some handlers) and take the
// pool where they took the transaction; the others keep it, each with the
// reason. It is made whole or not at all.
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
			if ap.Plan.Action == ActionPooled && other.Plan.Action != ActionPooled && other.Action.Func == ap.Action.Func {
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
		p = Decide(prog, a.Wrapped, PlanOptions{})
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
		if a.Wrapped.Class == analysis.ClassWriteOnly {
			p.Action, p.Start, p.Moves = ActionUnchanged, 0, nil
			p.Reason = "its first query writes: only cheap code runs before it in the transaction"
			return p
		}
		return p.Keep("it writes at %s, and txscope does not narrow a Buffalo action: popmw.Transaction also rolls the writes back when the response status is 400 or more, which a transaction around them alone would not do",
			prog.Position(firstWriteCall(a.Wrapped.Stmts).Pos()))
	}
	return p
}

// firstWriteCall is the node of the first call that must stay in the
// transaction.
func firstWriteCall(stmts []analysis.StmtEffect) ast.Node {
	s := stmts[firstWrite(stmts)]
	for _, ce := range s.Calls {
		if ce.Effect.Writes() {
			return ce.Node
		}
	}
	return s.Stmt
}

// Pooled are the actions that leave the transaction.
func (bp *BuffaloPlan) Pooled() []ActionPlan {
	var out []ActionPlan
	if bp.Failed != nil {
		return nil
	}
	for _, ap := range bp.Actions {
		if ap.Plan.Action == ActionPooled {
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
		if ap.Plan.Action == ActionPooled {
			out[i].Plan = ap.Plan.Keep("%v", bp.Failed)
		}
	}
	return out
}

// Touches reports whether the migration edits file (an absolute path).
func (bp *BuffaloPlan) Touches(prog *load.Program, file string) bool {
	pooled := bp.Pooled()
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
