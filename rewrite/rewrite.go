package rewrite

import (
	"fmt"

	"github.com/txscope/txscope/rules"
	"regexp"
	"strings"
)

// Options are the switches of a rewrite run.
type Options struct {
	PlanOptions
	// Only limits the run to handlers whose function name matches.
	Only *regexp.Regexp
}

// Result is a rewrite run: the analysis, one plan per handler and the
// verified file edits.
type Result struct {
	Analysis *Analysis
	Plans    []Plan
	Edits    []FileEdit
}

// maxVerifyRounds bounds the plan → apply → verify loop: each round keeps
// at least one more handler, so it ends; the bound is a guard.
const maxVerifyRounds = 8

// Rewrite plans every handler, applies the plans in memory and type-checks
// the result; a plan whose edit fails or does not type-check is kept with
// the reason and the others are applied again without it.
func Rewrite(prog *Program, opts Options) (*Result, error) {
	a, err := Analyze(prog)
	if err != nil {
		return nil, err
	}
	res := &Result{Analysis: a}
	for _, h := range a.Handlers {
		if opts.Only != nil && !opts.Only.MatchString(h.Site.Name()) {
			continue
		}
		p := PlanHandler(prog, h, opts.PlanOptions)
		if w := h.Site.Wrapper; (p.Action == ActionPooled || p.Action == ActionNarrowed) && needsSettingFix(w) && !settingFixable(w) {
			p = p.keep("%s sets the tenant unsafely (%s) and txscope cannot fix it: %s", shortName(rules.FuncName(w.Func)), strings.Join(settingCodes(w), ", "), unfixableWhy(w))
		}
		res.Plans = append(res.Plans, p)
	}
	for round := 0; ; round++ {
		edits, failures, err := Apply(prog, res.Plans)
		if err != nil {
			return nil, err
		}
		stage := "the rewrite could not be made"
		if len(failures) == 0 {
			stage = "the rewrite does not type-check"
			failures = Verify(prog, edits, res.Plans)
		}
		if len(failures) == 0 {
			res.Edits = edits
			return res, nil
		}
		if round == maxVerifyRounds {
			return nil, fmt.Errorf("verify: rewrites still fail after %d rounds: %v", round, failures[0].err)
		}
		for _, f := range failures {
			if p := res.Plans[f.plan]; p.Action != ActionKept {
				res.Plans[f.plan] = p.keep("%s: %v", stage, f.err)
			}
		}
	}
}

// Report is the analysis report with each handler's plan and a summary.
func (r *Result) Report() *Report {
	rep := r.Analysis.Report()
	planned := map[*Handler]Plan{}
	for _, p := range r.Plans {
		planned[p.Handler] = p
	}
	var handlers []HandlerReport
	for i, h := range r.Analysis.Handlers {
		p, ok := planned[h]
		if !ok {
			continue
		}
		hr := rep.Handlers[i]
		hr.Action, hr.Reason, hr.Moves = p.Action, p.Reason, p.Moves
		handlers = append(handlers, hr)
	}
	rep.Handlers = handlers
	rep.Summary = countActions(r.Plans)
	return rep
}

func countActions(plans []Plan) string {
	counts := map[string]int{}
	for _, p := range plans {
		counts[p.Action]++
	}
	var parts []string
	for _, a := range []string{ActionPooled, ActionNarrowed, ActionKept, ActionUnchanged} {
		parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
	}
	return strings.Join(parts, ", ")
}
