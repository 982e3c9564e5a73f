package plan

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/importfix"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// Action is what a plan does with a wrapped function.
type Action string

// Actions a plan can take for a wrapped function.
const (
	ActionPooled    Action = "pooled"    // read-only: no transaction, queries on the pooled handle
	ActionNarrowed  Action = "narrowed"  // the prefix on the pool, the write block in the transaction
	ActionKept      Action = "kept"      // left as is, with the reason
	ActionUnchanged Action = "unchanged" // the transaction is already minimal
)

// Plan is what rewrite does with one wrapper call.
type Plan struct {
	Wrapped *analysis.Wrapped
	Action  Action
	Reason  string
	// Start is the index of the first statement of the write block: the
	// statements before it move onto the pooled handle. len(Stmts) for pooled.
	// With Order it counts in Order.
	Start int
	// Order, when not nil, is the order the callback's top-level statements
	// run in after the rewrite, as indices into the callback's body: the
	// slow-call move puts the statements that leave the transaction first
	// and sinks the writes before them into the write block (Start on).
	Order []int
	// Replays are the reads --recheck runs again in the write block, and
	// Conflict the error they return on a change (nil: the runtime's
	// ErrConflict).
	Replays  []Replay
	Conflict types.Object
	// Splits are the cuts --split makes in the write block at slow calls.
	Splits []Split
	Moves  []string
	// Pooled is the pooled handle's expression template, over the wrapper
	// call's {recv}, {tenant} and {argN} (pooled and narrowed plans).
	Pooled string
	// WrapperCall is how a handler behind a middleware opens its own
	// transaction around its writes.
	WrapperCall *WrapperCall
	// Widen are the helpers the moved statements pass the pooled handle
	// to, whose tx parameter becomes a querier interface (Widenings).
	Widen []Widening
	// Unwidened are the helpers that kept a query in the transaction
	// because they need the concrete transaction type.
	Unwidened []Unwidened
	// Rebinds are the statements that bind a tx alias both the moved
	// statements and the write block use (q := store.New(tx)), as indices
	// into the callback's body: they move onto the pooled handle and run
	// again, as written, at the head of the write block.
	Rebinds []int
	// MapError is the wrapper's mapping of its callback's error
	// (Wrapper.MapsWith): the returns of what moves out go through it.
	MapError *types.Func
}

// PlanOptions are the planner's switches.
type PlanOptions struct {
	// Split allows a slow call after a write: the first block commits before it.
	Split bool
	// Recheck allows the slow-call move where it alone would weaken a
	// guarantee (a lock before the slow call, a stricter isolation level):
	// the write block re-reads what moved and fails on a change.
	Recheck bool
	// noRebind: behind a middleware or in a Buffalo action the write
	// block is built without Plan.Rebinds; a tx alias it uses keeps its
	// binding in it.
	noRebind bool
}

// Decide decides, for one handler, what a behaviour-preserving rewrite
// can do. Anything it cannot prove keeps the handler, with the reason.
func Decide(prog *load.Program, h *analysis.Wrapped, opts PlanOptions) Plan {
	p := Plan{Wrapped: h}
	w := h.Site.Wrapper
	if !w.RollsBack {
		return p.Keep("%s", w.Contract)
	}
	if h.Site.Tx == nil {
		return p.Keep("the callback's transaction parameter is unnamed")
	}
	for _, s := range h.Stmts {
		for _, ce := range s.Calls {
			switch {
			case ce.Effect.Has(rules.TxControl):
				return p.Keep("%s controls the transaction by hand at %s", ShortName(ce.Callee), prog.Position(ce.Node.Pos()))
			case ce.Effect.HandsOff():
				return p.Keep("%s at %s", ce.Why, prog.Position(ce.Node.Pos()))
			}
		}
	}
	slowLine := ""
	first := firstWrite(h.Stmts)
	start := first
	var txOnly txNeed
	// Each step moves the start back; what one brings into the block may
	// need another's.
	for prev := -1; prev != start; {
		prev = start
		if start < len(h.Stmts) {
			start = pullReads(h.Site.Func.Pkg.TypesInfo, h.Stmts, start, SrcSpanOf(h.Site.Func.Decl.Body))
		}
		start, p.Rebinds = keepAliases(prog, h, start, !opts.Split && !opts.noRebind)
		var need txNeed
		if start, need = keepTxOnlyCalls(prog, h, start); need.call != nil {
			txOnly = need
		}
		start = keepDecls(h.Stmts, start)
	}
	if txOnly.left != nil {
		p.Unwidened = append(p.Unwidened, *txOnly.left)
	}
	if opts.Split {
		splits, why := planSplits(prog, h, start)
		if why != "" {
			return p.Keep("%s", why)
		}
		p.Splits = splits
	} else if ce, ok := slowCall(h.Stmts[start:]); ok {
		mv, applies, why := planSlowMove(prog, h, start, opts.Recheck)
		switch {
		case !applies:
			return p.Keep("slow call %s at %s would stay inside the write block (use --split to commit before it)", ShortName(ce.Callee), prog.Position(ce.Node.Pos()))
		case why != "":
			p.Unwidened = append(p.Unwidened, mv.left...)
			return p.Keep("slow call %s at %s would stay inside the write block: %s (use --split to commit before it)", ShortName(ce.Callee), prog.Position(ce.Node.Pos()), why)
		}
		p.Order, start, slowLine, p.Replays = mv.order, mv.start, mv.line, mv.replays
		var stuck int
		if p.Rebinds, stuck = aliasBindings(prog, h, p.Order, start, !opts.noRebind); stuck >= 0 {
			s := h.Stmts[p.Order[stuck]].Stmt
			return p.Keep("slow call %s at %s would stay inside the write block: %s at %s binds a variable to the transaction that the write block uses, and moved before the transaction with the slow call it would hold the pooled handle", ShortName(ce.Callee), prog.Position(ce.Node.Pos()), stmtName(h.Stmts[p.Order[stuck]]), prog.Position(s.Pos()))
		}
		if len(p.Replays) > 0 && prog.Config.Conflict != "" {
			p.Conflict = analysis.LookupName(prog, prog.Config.Conflict)
		}
	}
	if txOnly.call != nil && start == 0 && len(p.Splits) == 0 {
		return p.Keep("%s at %s needs the concrete transaction type: its query stays in the transaction%s", types.ExprString(txOnly.call.Fun), prog.Position(txOnly.call.Pos()), txOnly.why())
	}
	if slowLine == "" && len(p.Splits) == 0 {
		if why := isolationKeepsReads(prog, h.Site); why != "" {
			if i := firstRead(h.Stmts[:start]); i >= 0 {
				return p.Keep("the read at %s would leave the transaction: %s", prog.Position(h.Stmts[i].Stmt.Pos()), why)
			}
		}
	}
	if start == 0 && len(p.Splits) == 0 {
		p.Action = ActionUnchanged
		p.Reason = minimalWhy(prog, h.Stmts, first)
		return p
	}
	if slowLine == "" && len(p.Splits) == 0 && start < len(h.Stmts) && queryFree(h.Stmts[:start]) {
		// Moving cheap code out of a write block would not shorten its
		// transaction: the diff would be churn. (A handler that runs no
		// query at all still gains: it stops taking a connection.)
		p.Action = ActionUnchanged
		p.Reason = cheapBeforeFirstQuery(prog, h.Stmts)
		return p
	}
	stmts := p.Stmts()
	if pos, ok := swallowedReadError(h.Site.Func.Pkg.TypesInfo, h.Site.Callback.Body, stmts, start); ok {
		return p.Keep("the error of the read at %s is ignored: in the transaction a failed statement failed the commit, on the pool the handler would carry on", prog.Position(pos))
	}
	if r := valueOnError(h.Site.Func.Pkg.TypesInfo, h.Site.Callback, stmts[:start]); r != nil {
		return p.Keep("the return at %s hands back a value beside an error that may be non-nil: moved out of %s, the caller would get that value where the wrapper returns its own on an error", prog.Position(r.Pos()), ShortName(rules.FuncName(w.Func)))
	}
	p.Start = start
	if why := p.honourContract(start); why != "" {
		return p.Keep("%s", why)
	}
	p.Widen = movedWidenings(prog, h, stmts[:start])
	p.Action = ActionNarrowed
	if start == len(h.Stmts) {
		p.Action = ActionPooled
	}
	if slowLine != "" {
		p.Moves = append(p.Moves, slowLine)
	}
	p.Moves = append(p.Moves, append(moves(prog, stmts[:start]), splitMoves(prog, h, p.Splits)...)...)
	for _, i := range p.Rebinds {
		def := Defs(h.Site.Func.Pkg.TypesInfo, h.Stmts[i].Stmt, SrcSpanOf(h.Site.Func.Decl.Body))[0]
		p.Moves = append(p.Moves, fmt.Sprintf("binding of %s at %s: onto the pool, and again at the head of the write block, on the transaction", def.Name(), prog.Position(h.Stmts[i].Stmt.Pos())))
	}
	p.Moves = append(p.Moves, p.contractMoves()...)
	return p
}

// Stmts are the handler's classified statements in the order the rewrite
// runs them (Order).
func (p Plan) Stmts() []analysis.StmtEffect {
	if p.Order == nil {
		return p.Wrapped.Stmts
	}
	out := make([]analysis.StmtEffect, len(p.Order))
	for i, j := range p.Order {
		out[i] = p.Wrapped.Stmts[j]
	}
	return out
}

// Body is the callback's top-level statements in the order the rewrite
// runs them (Order).
func (p Plan) Body() []ast.Stmt {
	return Reorder(p.Wrapped.Site.Callback.Body.List, p.Order)
}

// Reorder puts list in order (indices into list); a nil order keeps it.
func Reorder[T any](list []T, order []int) []T {
	if order == nil {
		return list
	}
	out := make([]T, len(order))
	for i, j := range order {
		out[i] = list[j]
	}
	return out
}

// Inline plans a handler that calls its wrapper itself: Decide, the
// vetoes of its wrapper (a configured middleware txscope cannot read, a
// tenant setting it cannot fix), and the pooled handle's template the edit
// writes.
func Inline(prog *load.Program, h *analysis.Wrapped, opts PlanOptions) Plan {
	w := h.Site.Wrapper
	if w.Middleware {
		return Plan{Wrapped: h, Action: ActionKept, Reason: "txscope could not read how the configured middleware opens its transaction, so it cannot migrate it"}
	}
	p := Decide(prog, h, opts)
	if p.Action != ActionPooled && p.Action != ActionNarrowed {
		return p
	}
	if why := cmp.Or(schemaVeto(prog), readsVeto(prog, p, w), nestedVeto(prog, h)); why != "" {
		return p.Keep("%s", why)
	}
	if why := w.SettingUnfixable(); NeedsSettingFix(w) && why != "" {
		return p.Keep("%s sets the tenant unsafely (%s) and txscope cannot fix it: %s", ShortName(rules.FuncName(w.Func)), strings.Join(SettingCodes(w), ", "), why)
	}
	tmpl, err := PooledTemplate(prog.Config, h.Site)
	if err != nil {
		return p.Keep("%v", err)
	}
	p.Pooled = tmpl
	if why := rawPoolVeto(prog, h, p); why != "" {
		return p.Keep("%s", why)
	}
	return p
}

// nestedVeto keeps a call of a wrapper that, on a handle already in a
// transaction, runs the callback in it and ends it (pop's Transaction),
// unless the handle is provably in none: moving statements out of the
// callback, or the call away, would change when that transaction ends.
func nestedVeto(prog *load.Program, h *analysis.Wrapped) string {
	w := h.Site.Wrapper
	sel, ok := ast.Unparen(h.Site.Call.Fun).(*ast.SelectorExpr)
	if !w.EndsOuter || !ok {
		return ""
	}
	if ok, why := analysis.OutsideTx(prog, h.Site.Func.Pkg.TypesInfo, sel.X); !ok {
		return fmt.Sprintf("%s on a connection already in a transaction runs the callback in it and commits or rolls it back at the end, and txscope cannot prove %s is in none: %s",
			ShortName(rules.FuncName(w.Func)), types.ExprString(sel.X), why)
	}
	return ""
}

// keepDecls leaves the bare declarations just before the write block
// (`var err error`) in it: moving them gains nothing, and the declarations
// a split block gets must not move on the next run.
func keepDecls(stmts []analysis.StmtEffect, start int) int {
	for start > 0 && start < len(stmts) && bareDecl(stmts[start-1].Stmt) {
		start--
	}
	return start
}

// bareDecl matches `var x, y T`: no value, nothing evaluated.
func bareDecl(s ast.Stmt) bool {
	d, ok := s.(*ast.DeclStmt)
	if !ok {
		return false
	}
	g, ok := d.Decl.(*ast.GenDecl)
	if !ok || g.Tok != token.VAR {
		return false
	}
	for _, spec := range g.Specs {
		if vs, ok := spec.(*ast.ValueSpec); !ok || len(vs.Values) > 0 {
			return false
		}
	}
	return true
}

// slowCall finds the first slow call in stmts.
func slowCall(stmts []analysis.StmtEffect) (analysis.CallEffect, bool) {
	for _, s := range stmts {
		for _, ce := range s.Calls {
			if ce.Effect.Has(rules.Slow) {
				return ce, true
			}
		}
	}
	return analysis.CallEffect{}, false
}

// moves names what leaves the transaction: each query onto the pooled
// handle, each slow call out of the transaction.
func moves(prog *load.Program, stmts []analysis.StmtEffect) []string {
	var out []string
	for _, s := range stmts {
		for _, ce := range s.Calls {
			switch {
			case ce.Effect.Has(rules.Slow):
				out = append(out, fmt.Sprintf("slow call %s at %s: out of the transaction", ShortName(ce.Callee), prog.Position(ce.Node.Pos())))
			case ce.Effect.Has(rules.Read):
				out = append(out, fmt.Sprintf("read %s at %s: onto the pool", ShortName(ce.Callee), prog.Position(ce.Node.Pos())))
			}
		}
	}
	return out
}

func (p Plan) Keep(format string, args ...any) Plan {
	p.Action, p.Reason, p.Moves, p.Order = ActionKept, fmt.Sprintf(format, args...), nil, nil
	return p
}

// queryFree reports whether stmts call nothing but pure code: no query,
// no slow call, no session check.
func queryFree(stmts []analysis.StmtEffect) bool {
	for _, s := range stmts {
		for _, ce := range s.Calls {
			if ce.Effect != rules.Pure {
				return false
			}
		}
	}
	return true
}

// cheapBeforeFirstQuery is why a handler whose transaction runs only cheap
// code before its first query is left as it is.
func cheapBeforeFirstQuery(prog *load.Program, stmts []analysis.StmtEffect) string {
	return fmt.Sprintf("its first query, at %s, stays in the transaction with its writes: only cheap code runs before it", prog.Position(firstQuery(stmts).Pos()))
}

// firstWrite is the index of the first statement that must run in the
// transaction (write, unknown, lock, transaction state), len(stmts) if none.
func firstWrite(stmts []analysis.StmtEffect) int {
	for i, s := range stmts {
		if s.Effect.Writes() {
			return i
		}
	}
	return len(stmts)
}

// firstRead is the index of the first statement of stmts that reads, or -1.
func firstRead(stmts []analysis.StmtEffect) int {
	for i, s := range stmts {
		if s.Effect.Has(rules.Read) {
			return i
		}
	}
	return -1
}

// minimalWhy is why a handler whose write block is its whole callback is
// left as it is.
func minimalWhy(prog *load.Program, stmts []analysis.StmtEffect, first int) string {
	if why := unknownFirst(prog, stmts, first); why != "" {
		return why
	}
	if first >= len(stmts) {
		return "the transaction is already minimal"
	}
	at := fmt.Sprintf("(%s, %s)", prog.Position(stmts[first].Stmt.Pos()), stmts[first].Effect)
	if first == 0 {
		return "the transaction is already minimal: its first statement " + at + " needs it"
	}
	return "the transaction is already minimal: its first write " + at + " needs it, and what runs before it stays with it (its values reach the write or decide whether it runs)"
}

// unknownFirst names the call that makes an unchanged handler's first
// statement need the transaction when txscope does not know its effect: it
// counts as a write, and the handler may only read.
func unknownFirst(prog *load.Program, stmts []analysis.StmtEffect, first int) string {
	if first >= len(stmts) || stmts[first].Effect&(rules.Write|rules.Locking|rules.TxState) != 0 {
		return ""
	}
	for _, ce := range stmts[first].Calls {
		if ce.Effect.Has(rules.Unknown) {
			return fmt.Sprintf("%s at %s is unknown (%s) and counts as a write; an effects rule in txscope.yaml can say what it does", ShortName(ce.Callee), prog.Position(ce.Node.Pos()), ce.Why)
		}
	}
	return ""
}

// ShortName drops the import path before a function's package name:
// "net/http.(*Client).Do" is "http.(*Client).Do" in the report.
func ShortName(fn string) string {
	head := fn
	if i := strings.IndexByte(fn, '('); i >= 0 {
		head = fn[:i]
	}
	slash := strings.LastIndexByte(head, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	path, rest := fn[:slash+1+dot], fn[slash+1+dot:]
	return importfix.AssumedName(path) + rest // github.com/jackc/pgx/v5 is pgx
}
