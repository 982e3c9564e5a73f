package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/types"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rewrite/report"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

type explainOptions struct {
	loadFlags
	split   bool
	recheck bool
}

func newExplainCmd() *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain [flags] FUNC [packages]",
		Short: "Explain a wrapped function: each statement's effect, the evidence, the plan",
		Long: `explain prints, for each tenant wrapper call in the functions that FUNC
names, the wrapper and the class, then every statement of the callback with
its effect and the evidence for it: the calls that gave it (callee, their
effect and why: the SQL text, the driver preset, an effects rule of
txscope.yaml, the summary of a helper), then the plan rewrite would make
(pooled, narrowed, kept, unchanged), why, where each statement runs
after it and what moves, and the findings in the function.

FUNC is a function or method as the report names it, with or without its
package path: '(*Server).Show', Server.Show, Show, example.com/app/api.Show.
Packages default to ./... as for check. The plan is the one rewrite makes,
verified: a rewrite that does not type-check shows as kept, with the error.

Exit status: 0, or 2 on error (FUNC matches no wrapped function).`,
		Example: `  txscope explain '(*Server).Quote'
  txscope explain -C services/api ShowCustomer ./internal/...`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args[0], args[1:])
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.split, "split", false, "plan as rewrite --split does")
	cmd.Flags().BoolVar(&o.recheck, "recheck", false, "plan as rewrite --recheck does")
	return cmd
}

func (o *explainOptions) run(cmd *cobra.Command, name string, patterns []string) error {
	prog, err := o.load(cmd, patterns, true)
	if err != nil {
		return err
	}
	a, plans, rewriteErr := o.plans(prog)
	if a == nil {
		return rewriteErr
	}
	var matched []*analysis.Wrapped
	for _, h := range a.Handlers {
		if funcMatches(name, h) {
			matched = append(matched, h)
		}
	}
	if len(matched) == 0 {
		var names []string
		for _, h := range a.Handlers {
			names = append(names, h.Site.Name())
		}
		slices.Sort(names)
		names = slices.Compact(names)
		if len(names) == 0 {
			return fmt.Errorf("explain: %s: no tenant wrapper calls found", name)
		}
		return fmt.Errorf("explain: %s is not a wrapped function; the wrapped functions are %s", name, strings.Join(names, ", "))
	}
	rep := report.FromAnalysis(a)
	out := cmd.OutOrStdout()
	for i, h := range matched {
		if i > 0 {
			io.WriteString(out, "\n")
		}
		p, ok := plans[h]
		e := explainer{prog: prog, w: out}
		e.handler(h, p, ok, rewriteErr)
		e.findings(rep, h)
	}
	return nil
}

// plans runs the rewrite (in memory) for its verified plans; when the
// rewrite as a whole fails, the plans are the planner's, unverified.
func (o *explainOptions) plans(prog *load.Program) (*analysis.Analysis, map[*analysis.Wrapped]plan.Plan, error) {
	opts := plan.PlanOptions{Split: o.split, Recheck: o.recheck}
	out := map[*analysis.Wrapped]plan.Plan{}
	res, err := rewrite.Rewrite(prog, rewrite.Options{PlanOptions: opts, Version: version()})
	if err == nil {
		for _, p := range res.AllPlans() {
			out[p.Wrapped] = p
		}
		return res.Analysis, out, nil
	}
	var rt *rewrite.RuntimeError
	if !errors.As(err, &rt) && !strings.HasPrefix(err.Error(), "verify:") {
		return nil, nil, err
	}
	planned, perr := rewrite.PlanAll(prog, rewrite.Options{PlanOptions: opts, Version: version()})
	if perr != nil {
		return nil, nil, perr
	}
	for _, p := range planned.AllPlans() {
		out[p.Wrapped] = p
	}
	return planned.Analysis, out, err
}

// funcMatches reports whether name names the handler's function: the
// report's name or the package-qualified one, or a dot-separated tail of
// either, with the receiver's parentheses and star optional.
func funcMatches(name string, h *analysis.Wrapped) bool {
	plain := func(s string) string { return strings.NewReplacer("(", "", ")", "", "*", "").Replace(s) }
	full := h.Site.Func.Pkg.PkgPath + "." + h.Site.Name()
	if name == h.Site.Name() || name == full {
		return true
	}
	q, f := plain(name), plain(full)
	return q == f || strings.HasSuffix(f, "."+q) || strings.HasSuffix(f, "/"+q)
}

type explainer struct {
	prog *load.Program
	w    io.Writer
}

func (e explainer) printf(format string, args ...any) { fmt.Fprintf(e.w, format, args...) }

func (e explainer) handler(h *analysis.Wrapped, p plan.Plan, planned bool, rewriteErr error) {
	e.printf("%s: %s (%s)\n", e.prog.Position(h.Site.Call.Pos()), h.Site.Name(), h.Site.Func.Pkg.PkgPath)
	w := h.Site.Wrapper
	e.printf("  wrapper: %s", rules.FuncName(w.Func))
	if h.Behind != nil {
		e.printf(" (middleware %s)", rules.FuncName(h.Behind.Func))
	}
	if !w.RollsBack && w.Contract != "" {
		e.printf(": %s", w.Contract)
	}
	for _, ce := range w.Commits {
		e.printf("\n  commits when the callback returns %s: %s", ce.Name, ce.Why)
	}
	if w.MapsWith != nil {
		e.printf("\n  returns the callback's error through %s", rules.FuncName(w.MapsWith))
	} else if w.MapsError != "" {
		e.printf("\n  %s", w.MapsError)
	}
	e.printf("\n  class: %s\n", h.Class)
	e.printf("  statements:\n")
	if len(h.Stmts) == 0 {
		e.printf("    (none)\n")
	}
	place := placements(h, p, planned)
	for i, s := range h.Stmts {
		e.printf("    %d. %s: %s", i+1, e.prog.Position(s.Stmt.Pos()), s.Effect)
		if place[i] != "" {
			e.printf(", %s", place[i])
		}
		e.printf("\n       %s\n", report.StmtText(e.prog, s.Stmt))
		for _, ce := range s.Calls {
			if ce.Callee == "" && ce.Why == "" {
				continue
			}
			e.printf("       - %s: %s", e.callee(ce), ce.Effect)
			if ev := e.evidence(h, ce); ev != "" {
				e.printf(": %s", ev)
			}
			e.printf("\n")
		}
	}
	if !planned {
		e.printf("  plan: none")
		if rewriteErr != nil {
			e.printf(" (the rewrite as a whole fails: %v)", rewriteErr)
		}
		e.printf("\n")
		return
	}
	e.printf("  plan: %s\n", p.Action)
	e.printf("    why: %s\n", planWhy(e.prog, h, p))
	for _, m := range p.Moves {
		e.printf("    move: %s\n", m)
	}
	widened := map[plan.WidenKey]bool{}
	for _, w := range p.Widen {
		if p.Action != plan.ActionKept && !widened[w.Key()] {
			widened[w.Key()] = true
			param := w.Func.Signature().Params().At(w.Param)
			e.printf("    widen: %s's %s %s, to an interface the pooled handle satisfies too\n", plan.ShortName(rules.FuncName(w.Func)), param.Name(), types.TypeString(w.Tx, func(p *types.Package) string { return p.Name() }))
		}
	}
	if rewriteErr != nil {
		e.printf("    note: not type-checked, since the rewrite as a whole fails: %v\n", rewriteErr)
	}
}

func (e explainer) callee(ce analysis.CallEffect) string {
	if ce.Callee != "" {
		return ce.Callee
	}
	if ce.Node != nil {
		return "at " + e.prog.Position(ce.Node.Pos())
	}
	return "?"
}

// evidence is why a call has its effect: the analysis's reason, with the
// SQL text and the preset when the call runs SQL on the tx.
func (e explainer) evidence(h *analysis.Wrapped, ce analysis.CallEffect) string {
	var parts []string
	if ce.Session {
		parts = append(parts, "configured session check")
	}
	if ce.Pooled {
		parts = append(parts, "a query on the pool, not the tx")
	}
	why := ce.Why
	call, _ := ce.Node.(*ast.CallExpr)
	info := h.Site.Func.Pkg.TypesInfo
	if call != nil {
		if fn, _ := typeutil.Callee(info, call).(*types.Func); fn != nil {
			rule, preset := rules.Preset(fn)
			kind := "preset " + rules.FuncName(fn)
			if !preset {
				rule, preset = rules.GenericMethod(fn)
				kind = "generic rule for " + fn.Name()
			}
			switch {
			case preset && why == "SQL text" && rule.SQLArg >= 0 && rule.SQLArg < len(call.Args):
				if text, ok := analysis.ReadSQL(info, e.prog, call.Args[rule.SQLArg]); ok {
					why = fmt.Sprintf("SQL text %q (%s)", text.Text, kind)
				}
			case preset && (why == "driver method" || strings.HasPrefix(why, "SQL text is not")):
				why += " (" + kind + ")"
			}
		}
	}
	if why != "" {
		parts = append(parts, why)
	}
	return strings.Join(parts, "; ")
}

// placements says where each statement runs after the plan.
func placements(h *analysis.Wrapped, p plan.Plan, planned bool) []string {
	out := make([]string, len(h.Stmts))
	if !planned {
		return out
	}
	for i := range h.Stmts {
		switch p.Action {
		case plan.ActionPooled:
			out[i] = "on the pool"
		case plan.ActionNarrowed:
			if i < p.Start {
				out[i] = "moves onto the pool"
			} else {
				out[i] = "stays in the transaction"
			}
		default:
			out[i] = "stays in the transaction"
		}
	}
	for _, s := range p.Splits {
		for i := s.Slow; i < s.Resume && i < len(out); i++ {
			out[i] = "out of the transaction (split)"
		}
	}
	return out
}

// staysWhy is why statements before the first write stay in its transaction.
const staysWhy = "a read whose value feeds the writes or decides whether they run must see their snapshot, a call may need the concrete tx type, a bare var declaration stays with its block"

// planWhy explains the plan's action from the statements.
func planWhy(prog *load.Program, h *analysis.Wrapped, p plan.Plan) string {
	first := -1
	for i, s := range h.Stmts {
		if s.Effect.Writes() || s.Effect.HandsOff() {
			first = i
			break
		}
	}
	switch p.Action {
	case plan.ActionKept:
		return p.Reason
	case plan.ActionPooled:
		return "no statement writes, locks, changes transaction state or hands the tx off, so none needs the transaction: the queries run on the tenant-scoped pooled handle"
	case plan.ActionNarrowed:
		if first >= 0 {
			why := fmt.Sprintf("statement %d (%s, %s) is the first that needs the transaction; %s on the pool before it begins",
				first+1, prog.Position(h.Stmts[first].Stmt.Pos()), h.Stmts[first].Effect, stmtRange(1, p.Start, "runs", "run"))
			if p.Start < first {
				why += fmt.Sprintf(", and %s with the write block: %s", stmtRange(p.Start+1, first, "stays", "stay"), staysWhy)
			}
			return why
		}
		return fmt.Sprintf("the first %d statement(s) run on the pool, the rest in the transaction", p.Start)
	case plan.ActionUnchanged:
		if first < 0 {
			return "the transaction is already minimal"
		}
		why := fmt.Sprintf("the transaction is already minimal: statement %d (%s, %s) needs it", first+1, prog.Position(h.Stmts[first].Stmt.Pos()), h.Stmts[first].Effect)
		if slices.ContainsFunc(h.Stmts[:first], func(s analysis.StmtEffect) bool { return s.Effect&(rules.Read|rules.Slow) != 0 }) {
			return why + fmt.Sprintf(", and %s with it: %s", stmtRange(1, first, "stays", "stay"), staysWhy)
		}
		return why + " and nothing before it reads"
	}
	if p.Reason != "" {
		return p.Reason
	}
	return string(p.Action)
}

// stmtRange is "statement 2 runs" or "statements 2–4 run".
func stmtRange(from, to int, one, many string) string {
	if from == to {
		return fmt.Sprintf("statement %d %s", from, one)
	}
	return fmt.Sprintf("statements %d–%d %s", from, to, many)
}

// findings prints the findings in the handler's function.
func (e explainer) findings(rep *report.Report, h *analysis.Wrapped) {
	fn, _ := h.Site.Func.Pkg.TypesInfo.Defs[h.Site.Func.Decl.Name].(*types.Func)
	if fn == nil {
		return
	}
	name := rules.FuncName(fn)
	var lines []string
	for _, d := range rep.Findings {
		if d.Fingerprint.Func == name {
			lines = append(lines, "    "+d.String())
		}
	}
	if len(lines) == 0 {
		e.printf("  findings in %s: none\n", h.Site.Name())
		return
	}
	e.printf("  findings in %s:\n%s\n", h.Site.Name(), strings.Join(lines, "\n"))
}
