package rewrite

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/edit"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rewrite/report"
	"github.com/txscope/txscope/rewrite/verify"
	"github.com/txscope/txscope/rules"
)

// Options are the switches of a rewrite run.
type Options struct {
	plan.PlanOptions
	// Only limits the run to handlers whose function name matches.
	Only *regexp.Regexp
	// Version is txscope's, written into the header of each file of the
	// runtime's copy.
	Version string
}

// RuntimeError stops a rewrite that would hand out the runtime's
// tenant-scoped handle where the runtime cannot be used.
type RuntimeError struct{ Err error }

func (e *RuntimeError) Error() string { return "rewrite: " + e.Err.Error() }
func (e *RuntimeError) Unwrap() error { return e.Err }

// Result is a rewrite run: the analysis, one plan per handler and the
// verified file edits.
type Result struct {
	Analysis *analysis.Analysis
	Plans    []plan.Plan
	Chains   []*plan.ChainPlan
	// Buffalo are the migrations of the apps behind popmw.Transaction.
	Buffalo []*plan.BuffaloPlan
	// Widen are the helpers whose tx parameter the edits widen.
	Widen *plan.Widen
	Edits []edit.FileEdit
}

// maxVerifyRounds bounds the plan → apply → verify loop: each round keeps
// at least one more handler, so it ends; the bound is a guard.
const maxVerifyRounds = 8

// PlanAll plans every handler: the plans Rewrite starts from, before any is
// applied or type-checked.
func PlanAll(prog *load.Program, opts Options) (*Result, error) {
	a, err := Check(prog)
	if err != nil {
		return nil, err
	}
	res := &Result{Analysis: a, Chains: planChains(prog, a, opts)}
	for _, b := range a.Buffalo {
		res.Buffalo = append(res.Buffalo, plan.PlanBuffalo(prog, b))
	}
	inChain := map[*ast.CallExpr]bool{}
	for _, cp := range res.Chains {
		inChain[cp.Middleware.RealSite().Call] = true
		for _, h := range cp.Middleware.Handlers {
			inChain[h.Site.Call] = true
		}
	}
	for _, h := range a.Handlers {
		if inChain[h.Site.Call] || (opts.Only != nil && !opts.Only.MatchString(h.Site.Name())) {
			continue
		}
		res.Plans = append(res.Plans, plan.Inline(prog, h, opts.PlanOptions))
	}
	return res, nil
}

// Rewrite plans every handler, applies the plans in memory and type-checks
// the result; a plan whose edit fails or does not type-check is kept with
// the reason and the others are applied again without it.
func Rewrite(prog *load.Program, opts Options) (*Result, error) {
	res, err := PlanAll(prog, opts)
	if err != nil {
		return nil, err
	}
	if rt := prog.Runtime; rt != nil && res.usesRuntime() {
		if prog.RuntimePackage(); rt.Unusable != nil {
			return nil, &RuntimeError{rt.Unusable}
		}
	}
	for round := 0; ; round++ {
		fixes := plan.WrapperFixes(prog, res.Plans, res.Analysis.Wrappers.List())
		widen := res.widenings()
		edits, failures, err := edit.Apply(prog, res.Plans, res.Chains, res.Buffalo, fixes, widen)
		if err != nil {
			return nil, err
		}
		rtEdits, err := edit.RuntimeEdits(prog, edits, opts.Version)
		if err != nil {
			return nil, &RuntimeError{err}
		}
		edits = append(edits, rtEdits...)
		stage := "the rewrite could not be made"
		if len(failures) == 0 {
			stage = "the rewrite does not type-check"
			failures = verify.Verify(prog, edits, res.Plans)
		}
		if len(failures) == 0 {
			res.Edits, res.Widen = edits, widen
			return res, nil
		}
		if round == maxVerifyRounds {
			return nil, fmt.Errorf("verify: rewrites still fail after %d rounds: %s", round, failures[0].Describe(prog))
		}
		for _, f := range failures {
			if res.dropBuffalo(f, stage) || res.dropWidenings(widen, f, stage) || res.dropChains(f) {
				continue
			}
			if f.Plan < 0 {
				return nil, fmt.Errorf("verify: %s", f.Describe(prog))
			}
			if p := res.Plans[f.Plan]; p.Action != plan.ActionKept {
				res.Plans[f.Plan] = p.Keep("%s: %v", stage, f.Err)
			}
		}
	}
}

// widenings are the helpers the plans need widened; a plan that relies
// on one that cannot be is kept (a chain with one fails), until every
// widening has its interface. (A Buffalo action's pop connection is its
// own pooled handle: it widens nothing.)
func (r *Result) widenings() *plan.Widen {
	for {
		plans := slices.Clone(r.Plans)
		for _, cp := range r.Chains {
			plans = append(plans, cp.ReportPlans()...)
		}
		widen := plan.Widenings(r.Analysis.Prog, plans)
		if len(widen.Failed) == 0 {
			return widen
		}
		r.unwiden(widen.Failed)
	}
}

// unwiden keeps the plans that rely on a failed widening and fails the
// chains with one.
func (r *Result) unwiden(failed map[plan.WidenKey]string) {
	for i, p := range r.Plans {
		r.Plans[i], _ = p.Unwiden(failed)
	}
	for _, cp := range r.Chains {
		if cp.Failed != nil {
			continue
		}
		for _, p := range cp.Plans {
			if kept, ok := p.Unwiden(failed); ok {
				cp.Failed = fmt.Errorf("%s", kept.Reason)
				break
			}
		}
	}
}

// dropWidenings fails the widenings a type error may come from: those
// that edit its file, or, for an error no plan and no chain's file holds,
// all of them (a changed parameter type breaks callers elsewhere).
func (r *Result) dropWidenings(widen *plan.Widen, f edit.Failure, stage string) bool {
	failed := map[plan.WidenKey]string{}
	for _, h := range widen.Helpers {
		if slices.Contains(h.Paths(r.Analysis.Prog), f.File) {
			failed[h.Key()] = fmt.Sprintf("%s: %v", stage, f.Err)
		}
	}
	if len(failed) == 0 && f.Plan < 0 && !slices.ContainsFunc(r.Chains, func(cp *plan.ChainPlan) bool { return cp.Failed == nil && cp.Touches(f.File) }) {
		for _, h := range widen.Helpers {
			failed[h.Key()] = fmt.Sprintf("%s: %s", stage, f.Describe(r.Analysis.Prog))
		}
	}
	if len(failed) == 0 {
		return false
	}
	r.unwiden(failed)
	return f.Plan < 0
}

// usesRuntime reports whether a plan or chain that changes code moves
// queries onto the runtime's handle (a plain wrapper's go onto its pool).
func (r *Result) usesRuntime() bool {
	for _, p := range r.AllPlans() {
		if (p.Action == plan.ActionPooled || p.Action == plan.ActionNarrowed) && load.UsesRuntime(p.Pooled) {
			return true
		}
	}
	return false
}

// Report is the analysis report with each handler's plan and a summary.
func (r *Result) Report() *report.Report {
	rep := report.FromAnalysis(r.Analysis)
	planned := map[*analysis.Wrapped]plan.Plan{}
	for _, p := range r.Plans {
		planned[p.Wrapped] = p
	}
	var handlers []report.HandlerReport
	for i, h := range r.Analysis.Handlers {
		p, ok := planned[h]
		if !ok {
			continue
		}
		hr := rep.Handlers[i]
		hr.Action, hr.Reason, hr.Moves = p.Action, p.Reason, p.Moves
		handlers = append(handlers, hr)
	}
	for _, cp := range r.Chains {
		for _, p := range cp.ReportPlans() {
			hr := report.ForHandler(r.Analysis, p.Wrapped)
			hr.Wrapper = rules.FuncName(cp.Middleware.Func)
			hr.Action, hr.Reason, hr.Moves = p.Action, p.Reason, p.Moves
			handlers = append(handlers, hr)
		}
	}
	for _, bp := range r.Buffalo {
		for _, ap := range bp.ReportPlans() {
			hr := report.ForHandler(r.Analysis, ap.Plan.Wrapped)
			hr.Action, hr.Reason, hr.Moves = ap.Plan.Action, ap.Plan.Reason, ap.Plan.Moves
			handlers = append(handlers, hr)
		}
	}
	all := r.AllPlans()
	rep.Handlers = handlers
	rep.Middleware = append(r.middlewareReports(), r.buffaloReports()...)
	rep.Helpers = r.helperReports(all)
	rep.Summary = countActions(all)
	rep.Runtime = r.runtimeReport()
	return rep
}

// helperReports name each widened helper, with how many handlers rely on
// it, and each helper left needing the concrete transaction, with why.
func (r *Result) helperReports(plans []plan.Plan) []report.HelperReport {
	prog := r.Analysis.Prog
	var out []report.HelperReport
	if r.Widen != nil {
		for _, h := range r.Widen.Helpers {
			p := h.Func.Signature().Params().At(h.Param)
			out = append(out, report.HelperReport{
				Func: plan.ShortName(rules.FuncName(h.Func)), Pos: prog.Position(h.Func.Pos()), Action: report.HelperWidened,
				Param: strings.TrimSpace(p.Name() + " " + types.TypeString(h.Tx, packageName)), To: h.To.String(), Handlers: h.Handlers,
			})
		}
	}
	left := map[token.Pos]int{}
	for _, p := range plans {
		counted := map[token.Pos]bool{}
		for _, u := range p.Unwidened {
			pos := u.Func.Pos()
			if counted[pos] {
				continue
			}
			counted[pos] = true
			i, ok := left[pos]
			if !ok {
				i, left[pos] = len(out), len(out)
				out = append(out, report.HelperReport{Func: plan.ShortName(rules.FuncName(u.Func)), Pos: prog.Position(pos), Action: report.HelperLeft, Param: types.TypeString(u.Tx, packageName), Reason: u.String()})
			}
			out[i].Handlers++
		}
	}
	return out
}

func packageName(p *types.Package) string { return p.Name() }

// runtimeReport names the runtime's files the edits add or update.
func (r *Result) runtimeReport() string {
	rt := r.Analysis.Prog.Runtime
	if rt == nil || !rt.Vendored() {
		return ""
	}
	var added, updated []string
	for _, e := range r.Edits {
		name, ok := rt.FileName(e.Path)
		if !ok {
			continue
		}
		if e.Create {
			added = append(added, name)
		} else {
			updated = append(updated, name)
		}
	}
	dir := r.Analysis.Prog.Rel(rt.Dir)
	var parts []string
	if len(added) > 0 {
		parts = append(parts, fmt.Sprintf("adds %s (%s)", dir, strings.Join(added, ", ")))
	}
	if len(updated) > 0 {
		parts = append(parts, fmt.Sprintf("updates %s (%s)", dir, strings.Join(updated, ", ")))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("runtime: %s: txscope's tenant-scoped handle as source, since the module does not require %s", strings.Join(parts, "; "), load.TxscopeModule)
}

// middlewareReports says how each middleware moved.
func (r *Result) middlewareReports() []report.MiddlewareReport {
	var out []report.MiddlewareReport
	for _, cp := range r.Chains {
		m := cp.Middleware
		mr := report.MiddlewareReport{Func: rules.FuncName(m.Func), Pos: r.Analysis.Prog.Position(m.Src.Decl.Pos()), Handlers: len(m.Handlers)}
		switch {
		case cp.Failed != nil:
			mr.Action, mr.Reason = string(plan.ActionKept), cp.Failed.Error()
		case cp.Reuse:
			mr.Action = "its handlers move to the existing " + cp.Variant
			if cp.Remove {
				mr.Action += "; the original is removed: nothing uses it any more"
			}
		case cp.Variant != "" || cp.TxCopy != "":
			mr.Action = "pooled variant " + cp.Variant
			if cp.TxCopy != "" {
				mr.Action = "pooled in place; the handlers that cannot move switch to the transactional copy " + cp.TxCopy
			}
			for _, p := range cp.Plans {
				if p.Action == plan.ActionKept {
					mr.LeftOnOriginal = append(mr.LeftOnOriginal, p.Wrapped.Site.Name()+": "+p.Reason)
				}
			}
			for _, o := range m.Opaque {
				mr.LeftOnOriginal = append(mr.LeftOnOriginal, fmt.Sprintf("%s at %s: the handler is not a function literal, so txscope cannot read it", o.Handler, r.Analysis.Prog.Position(o.Call.Pos())))
			}
		default:
			mr.Action = "pooled in place"
		}
		if cp.Failed == nil && len(cp.Outside) > 0 {
			mr.Action += "; code outside the loaded build keeps the original declarations: " + strings.Join(cp.Outside, ", ")
		}
		out = append(out, mr)
	}
	return out
}

// buffaloReports say, for each app behind popmw.Transaction, which actions
// leave its transaction and which stay, with why.
func (r *Result) buffaloReports() []report.MiddlewareReport {
	var out []report.MiddlewareReport
	prog := r.Analysis.Prog
	for _, bp := range r.Buffalo {
		b := bp.Buffalo
		mr := report.MiddlewareReport{Func: rules.FuncName(b.Wrapper.Func), Pos: prog.Position(b.Use.Pos()), Handlers: len(bp.Actions) + len(bp.Unread)}
		var pooled, narrowed []string
		for _, ap := range bp.Leaving() {
			if ap.Plan.Action == plan.ActionNarrowed {
				narrowed = append(narrowed, ap.Action.SkipName)
			} else {
				pooled = append(pooled, ap.Action.SkipName)
			}
		}
		var skipped []string
		if len(pooled) > 0 {
			skipped = append(skipped, fmt.Sprintf("%d read-only %s: %s", len(pooled), plural(len(pooled), "action"), strings.Join(pooled, ", ")))
		}
		if len(narrowed) > 0 {
			what := "actions that open their own transaction around their writes"
			if len(narrowed) == 1 {
				what = "action that opens its own transaction around its writes"
			}
			skipped = append(skipped, fmt.Sprintf("%d %s: %s", len(narrowed), what, strings.Join(narrowed, ", ")))
		}
		switch {
		case bp.Failed != nil:
			mr.Action, mr.Reason = string(plan.ActionKept), bp.Failed.Error()
		case len(skipped) == 0:
			mr.Action = "every action keeps the transaction"
		default:
			mr.Action = "skipped for " + strings.Join(skipped, "; and for ")
		}
		if len(b.Skipped) > 0 && bp.Failed == nil {
			mr.Action += "; already skipped: " + strings.Join(b.Skipped, ", ")
		}
		for _, ap := range bp.ReportPlans() {
			if p := ap.Plan; !plan.Leaves(p) {
				mr.LeftOnOriginal = append(mr.LeftOnOriginal, fmt.Sprintf("%s at %s: %s", p.Wrapped.Site.Name(), prog.Position(ap.Action.Route.Pos()), cmp.Or(p.Reason, string(p.Action))))
			}
		}
		for _, a := range bp.Unread {
			mr.LeftOnOriginal = append(mr.LeftOnOriginal, fmt.Sprintf("%s at %s: %s", a.Name, prog.Position(a.Route.Pos()), a.Why))
		}
		out = append(out, mr)
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func countActions(plans []plan.Plan) string {
	counts := map[plan.Action]int{}
	for _, p := range plans {
		counts[p.Action]++
	}
	var parts []string
	for _, a := range []plan.Action{plan.ActionPooled, plan.ActionNarrowed, plan.ActionKept, plan.ActionUnchanged} {
		parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
	}
	return strings.Join(parts, ", ")
}

// planChains finds the middleware and plans each migration.
func planChains(prog *load.Program, a *analysis.Analysis, opts Options) []*plan.ChainPlan {
	var out []*plan.ChainPlan
	for _, m := range a.Middleware {
		out = append(out, plan.PlanChain(prog, m, opts.PlanOptions))
	}
	return out
}

// dropChains fails every chain with an edit in the failure's file: a
// middleware and its handlers land together or not at all.
func (r *Result) dropChains(f edit.Failure) bool {
	dropped := false
	for _, cp := range r.Chains {
		if cp.Failed != nil || !cp.Touches(f.File) {
			continue
		}
		cp.Failed = fmt.Errorf("the migration does not type-check: %v", f.Err)
		dropped = true
	}
	if !dropped && f.Plan < 0 {
		// An error in a package that only imports edited code: a chain's
		// change of signature is the likely cause, so every chain goes.
		for _, cp := range r.Chains {
			if cp.Failed == nil {
				cp.Failed = fmt.Errorf("the migration breaks %s: %v", r.Analysis.Prog.Rel(f.File), f.Err)
				dropped = true
			}
		}
	}
	return dropped && f.Plan < 0
}

// dropBuffalo keeps the narrowed action a failure no handler's plan holds
// is in, or else fails every Buffalo migration with an edit in its file:
// an app's migration lands whole or not at all, but for the actions that
// open their own transaction, each of which may stay behind popmw alone.
func (r *Result) dropBuffalo(f edit.Failure, stage string) bool {
	if f.Plan >= 0 {
		return false
	}
	prog := r.Analysis.Prog
	for _, bp := range r.Buffalo {
		for i, ap := range bp.Actions {
			src := ap.Plan.Wrapped.Site.Func
			if bp.Failed == nil && ap.Plan.Action == plan.ActionNarrowed && f.Func != "" &&
				prog.Fset.Position(src.Decl.Pos()).Filename == f.File && verify.FuncKey(src.Decl) == f.Func {
				bp.Actions[i].Plan = ap.Plan.Keep("%s: %v", stage, f.Err)
				return true
			}
		}
	}
	dropped := false
	for _, bp := range r.Buffalo {
		if bp.Failed == nil && bp.Touches(r.Analysis.Prog, f.File) {
			bp.Failed = fmt.Errorf("%s: %v", stage, f.Err)
			dropped = true
		}
	}
	return dropped
}

// AllPlans are the inline handlers' plans followed by those of the handlers
// behind middleware, as they stand after verification.
func (r *Result) AllPlans() []plan.Plan {
	all := append([]plan.Plan{}, r.Plans...)
	for _, cp := range r.Chains {
		all = append(all, cp.ReportPlans()...)
	}
	for _, bp := range r.Buffalo {
		for _, ap := range bp.ReportPlans() {
			all = append(all, ap.Plan)
		}
	}
	return all
}

// Check is the analysis `txscope check` gates on: TS001 is dropped for a
// handler whose transaction is already minimal (what a rewrite leaves
// behind), so the gate passes after a rewrite; a Buffalo action too.
func Check(prog *load.Program) (*analysis.Analysis, error) {
	a, err := analysis.Analyze(prog)
	if err != nil {
		return nil, err
	}
	minimal := map[token.Pos]bool{}
	for _, h := range a.Handlers {
		if h.Behind == nil && !h.Site.Wrapper.Middleware && plan.Decide(prog, h, plan.PlanOptions{}).Action == plan.ActionUnchanged {
			minimal[h.Site.Call.Pos()] = true
		}
	}
	// The actions of one resource share their route's position.
	minimalActions := map[*analysis.Wrapped]bool{}
	for _, b := range a.Buffalo {
		for _, ap := range plan.PlanBuffalo(prog, b).Actions {
			minimalActions[ap.Action.Wrapped] = ap.Plan.Action == plan.ActionUnchanged
		}
	}
	var findings []analysis.Finding
	for _, f := range a.Findings {
		if f.Code != "TS001" || !minimal[f.Pos] && !minimalActions[f.Handler] {
			findings = append(findings, f)
		}
	}
	a.Findings = findings
	return a, nil
}
