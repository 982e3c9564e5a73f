package rewrite

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rules"
)

// Actions a plan can take for a wrapped function.
const (
	ActionPooled    = "pooled"    // read-only: no transaction, queries on the pooled handle
	ActionNarrowed  = "narrowed"  // the prefix on the pool, the write block in the transaction
	ActionKept      = "kept"      // left as is, with the reason
	ActionUnchanged = "unchanged" // the transaction is already minimal
)

// Plan is what rewrite does with one wrapper call.
type Plan struct {
	Handler *Handler
	Action  string
	Reason  string
	// Start is the index of the first statement of the write block: the
	// statements before it move onto the pooled handle. len(Stmts) for pooled.
	Start int
	Moves []string
}

// PlanOptions are the planner's switches.
type PlanOptions struct {
	// Split allows a slow call after a write: the first block commits before it.
	Split bool
}

// PlanHandler decides, for one handler, what a behaviour-preserving rewrite
// can do. Anything it cannot prove keeps the handler, with the reason.
func PlanHandler(prog *Program, h *Handler, opts PlanOptions) Plan {
	p := Plan{Handler: h}
	w := h.Site.Wrapper
	if !w.RollsBack {
		return p.keep("%s", w.Contract)
	}
	if h.Site.Tx == nil {
		return p.keep("the callback's transaction parameter is unnamed")
	}
	for _, s := range h.Stmts {
		for _, ce := range s.Calls {
			if ce.Effect.HandsOff() {
				return p.keep("%s at %s", ce.Why, prog.Position(ce.Node.Pos()))
			}
		}
	}
	first := firstWrite(h.Stmts)
	start := first
	if first < len(h.Stmts) {
		start = pullReads(h.Site.Func.Pkg.TypesInfo, h.Stmts, first)
	}
	pulled := start
	start = keepTxOnlyCalls(h, start)
	if start == 0 {
		if pulled > 0 {
			return p.keep("the statement at %s needs the concrete transaction type (a helper's parameter or a tx-only method), so the reads before the first write cannot leave the transaction", prog.Position(h.Stmts[0].Stmt.Pos()))
		}
		p.Action = ActionUnchanged
		return p
	}
	for _, s := range h.Stmts[start:] {
		for _, ce := range s.Calls {
			if ce.Effect.Has(rules.Slow) && !opts.Split {
				return p.keep("slow call %s at %s would stay inside the write block (use --split to commit before it)", ce.Callee, prog.Position(ce.Node.Pos()))
			}
		}
	}
	for _, s := range h.Stmts[:start] {
		if pos, ok := ignoredReadError(h.Site.Func.Pkg.TypesInfo, s); ok {
			return p.keep("the error of the read at %s is ignored: in the transaction a failed statement failed the commit, on the pool the handler would carry on", prog.Position(pos))
		}
	}
	p.Start = start
	if start == len(h.Stmts) {
		p.Action = ActionPooled
	} else {
		p.Action = ActionNarrowed
		p.Moves = append(p.Moves, fmt.Sprintf("%d statement(s) before %s moved onto the pool", start, prog.Position(h.Stmts[start].Stmt.Pos())))
	}
	return p
}

func (p Plan) keep(format string, args ...any) Plan {
	p.Action, p.Reason = ActionKept, fmt.Sprintf(format, args...)
	return p
}

// firstWrite is the index of the first statement that must run in the
// transaction (write, unknown, lock, transaction state), len(stmts) if none.
func firstWrite(stmts []StmtEffect) int {
	for i, s := range stmts {
		if s.Effect.Writes() {
			return i
		}
	}
	return len(stmts)
}

// ignoredReadError finds a read in s whose error result is discarded.
func ignoredReadError(info *types.Info, s StmtEffect) (token.Pos, bool) {
	for _, ce := range s.Calls {
		call, isCall := ce.Node.(*ast.CallExpr)
		if !isCall || !ce.Effect.Has(rules.Read) {
			continue
		}
		if discardsError(info, s.Stmt, call) {
			return call.Pos(), true
		}
	}
	return token.NoPos, false
}
