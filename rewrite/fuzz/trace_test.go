package fuzz

import (
	"encoding/json"
	"fmt"
	"strings"
)

// event is a statement as the fake store ran it (fake.Event): its step,
// the tenant it ran under ("" for none), the transaction it ran in (0: none,
// alone on the raw pool) and where that was, and the marker of a write
// (Write) or of a read that guards or feeds one (Feeds).
type event struct {
	Step   string
	Tenant string
	Tx     int
	Where  string
	Write  string
	Feeds  string
}

// run is one line of a runner's faults output: the outcome of one run and
// its statements.
type run struct {
	outcome string
	trace   []event
}

// parseRuns splits a runner's faults output into its runs.
func parseRuns(out string) ([]run, error) {
	var runs []run
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		outcome, trace, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("runner line without statements: %s", line)
		}
		r := run{outcome: outcome}
		if err := json.Unmarshal([]byte(trace), &r.trace); err != nil {
			return nil, fmt.Errorf("statements of %s: %w", outcome, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// dynamicDiffs compares the runner's output before and after the rewrite:
// the outcomes of every run (outcomeDiffs) and, run by run, where each
// statement ran (traceProblems). At most one difference per handler is
// returned for each.
func dynamicDiffs(before, after string) ([]string, error) {
	b, err := parseRuns(before)
	if err != nil {
		return nil, err
	}
	a, err := parseRuns(after)
	if err != nil {
		return nil, err
	}
	outcomes := func(runs []run) string {
		var lines []string
		for _, r := range runs {
			lines = append(lines, r.outcome)
		}
		return strings.Join(lines, "\n")
	}
	diffs := outcomeDiffs(outcomes(b), outcomes(a))
	if len(a) != len(b) {
		return diffs, nil // outcomeDiffs says where they part
	}
	seen := map[string]bool{}
	for i := range b {
		name, _, _ := strings.Cut(b[i].outcome, " ")
		if seen[name] {
			continue
		}
		if problems := traceProblems(b[i].trace, a[i].trace); len(problems) > 0 {
			seen[name] = true
			head, _, _ := strings.Cut(b[i].outcome, ": ")
			diffs = append(diffs, fmt.Sprintf("statements of %s:\n%s", head, strings.Join(problems, "\n")))
		}
	}
	return diffs, nil
}

// traceProblems compares, statement by statement, where a run of the
// original (orig) and the same run of the rewrite (got) ran what both ran
// (a statement is its step: what it runs and how often that ran before).
// A statement that ran under a tenant in the original must run under the
// same one: not another, not none. A marked write whose guarding or
// feeding read ran in its transaction in the original must in the rewrite
// too: the same read, last before it, in the same transaction. (The
// generator puts the read, its test and the write next to each other, so
// the slow-call move, which may take a read away from the write it feeds
// when a slow call stands between them, never applies to them.)
func traceProblems(orig, got []event) []string {
	at := map[string]int{}
	for i, e := range got {
		at[e.Step] = i
	}
	var problems []string
	for i, o := range orig {
		j, ok := at[o.Step]
		if !ok {
			continue
		}
		g := got[j]
		if o.Tenant != "" && g.Tenant != o.Tenant {
			problems = append(problems, fmt.Sprintf("%s ran under tenant %q %s; in the original under %q %s", o.Step, g.Tenant, g.Where, o.Tenant, o.Where))
		}
		if o.Write == "" {
			continue
		}
		r := lastFeed(orig, i, o.Write)
		if r < 0 || orig[r].Tx == 0 || orig[r].Tx != o.Tx {
			continue
		}
		read := orig[r].Step
		switch s := lastFeed(got, j, o.Write); {
		case s < 0 || got[s].Step != read:
			problems = append(problems, fmt.Sprintf("%s no longer ran before the write it guards or feeds, %s", read, o.Step))
		case got[s].Tx == 0 || got[s].Tx != g.Tx:
			problems = append(problems, fmt.Sprintf("%s guards or feeds %s and ran in its transaction; now the read ran %s (transaction %d), the write %s (transaction %d)",
				read, o.Step, got[s].Where, got[s].Tx, g.Where, g.Tx))
		}
	}
	return problems
}

// lastFeed is the index of the last statement before trace[i] marked as
// guarding or feeding write w, -1 if none.
func lastFeed(trace []event, i int, w string) int {
	for k := i - 1; k >= 0; k-- {
		if trace[k].Feeds == w {
			return k
		}
	}
	return -1
}
