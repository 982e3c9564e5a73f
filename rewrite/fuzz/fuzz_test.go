// Package fuzz checks txscope's rewrite on generated handlers: statically
// (placement of writes, locks, slow calls, session checks and pooled
// handles; type-checking; a second run changing nothing) and dynamically
// (the original and the rewritten handlers, run against an in-memory
// transactional store with a fault injected at every step, return and
// commit the same, and every statement runs under the tenant it ran under
// before, and a read that guards or feeds a write in the write's
// transaction).
package fuzz

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/plan"
)

var (
	dynamic     = flag.Bool("fuzzdynamic", false, "also run the dynamic property on each fuzz input (a build per input)")
	seedStart   = flag.Uint64("seedstart", 1000, "first generator seed of TestSeeds")
	seedBatches = flag.Int("seedbatches", 1, "how many batches of seeds TestSeeds runs")
	slowStart   = flag.Uint64("slowseedstart", 2000, "first generator seed of TestSeeds' slow-shape batches")
	shapeStart  = flag.Uint64("shapeseedstart", 3000, "first generator seed of TestSeeds' batches of issue 13's shapes")
)

// fuzzModules are the fuzz target's modules, one per process and kind
// (index 1 raw): workers run inputs one at a time.
var fuzzModules [2]*module

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, fm := range fuzzModules {
		if fm != nil {
			os.RemoveAll(fm.dir)
		}
	}
	os.Exit(code)
}

func FuzzRewrite(f *testing.F) {
	for _, seed := range []uint64{1, 7, 42} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		raw := rawSeed(seed)
		kind := 0
		if raw {
			kind = 1
		}
		if fuzzModules[kind] == nil {
			dir, err := os.MkdirTemp("", "txscope-fuzz-")
			require.NoError(t, err)
			fuzzModules[kind], err = newModule(dir, raw)
			require.NoError(t, err)
		}
		p, err := generate(seed, "h0")
		require.NoError(t, err)
		// A quarter of the inputs allow a slow call after a write (--split).
		// --split changes what commits by contract (the first block commits
		// even when the slow call after it fails, as the report says), so
		// the dynamic property, which asks for the original's outcomes,
		// runs on the others only.
		split := seed%4 == 0
		opts := rewrite.Options{PlanOptions: plan.PlanOptions{Split: split}}
		check(t, fuzzModules[kind], []program{p}, opts, *dynamic && !split)
	})
}

// seedCount is how many generator seeds TestSeeds runs in one module.
const seedCount = 30

// minMoved is how many handlers of a slow-shape batch at least get the
// slow-call move (a narrowed plan with Order): fewer means the batch no
// longer exercises it.
const minMoved = 8

// TestSeeds runs a deterministic set of seeds through both properties a
// batch at once: one module, one rewrite, one build before and one after.
// Each general batch (-seedstart) is followed by one whose callbacks all
// have the slow-call shape (-slowseedstart), where a read, the slow call on
// it and the writes after move, and by two of issue 13's shapes
// (-shapeseedstart, shapesBatch). -seedbatches runs more of each.
func TestSeeds(t *testing.T) {
	m, err := newModule(t.TempDir(), false)
	require.NoError(t, err)
	rawModule, err := newModule(t.TempDir(), true)
	require.NoError(t, err)
	batchIn := func(m *module, name string, first uint64, slowRate, shapes float64, opts rewrite.Options) *rewrite.Result {
		var res *rewrite.Result
		t.Run(fmt.Sprintf("%s%d", name, first), func(t *testing.T) {
			var progs []program
			for i := range seedCount {
				p, err := generateWith(first+uint64(i), fmt.Sprintf("h%02d", i), slowRate, shapes)
				require.NoError(t, err)
				progs = append(progs, p)
			}
			res = check(t, m, progs, opts, true)
		})
		return res
	}
	batch := func(name string, first uint64, slowRate float64, opts rewrite.Options) *rewrite.Result {
		return batchIn(m, name, first, slowRate, 0, opts)
	}
	for b := range *seedBatches {
		batch("seeds", *seedStart+uint64(b*seedCount), 0, rewrite.Options{})
		shapes := *shapeStart + uint64(b*seedCount)
		if res := batchIn(m, "shapes", shapes, slowShapeRate, shapeRate, rewrite.Options{}); res != nil {
			assertShapes(t, res, false)
		}
		if res := batchIn(rawModule, "raw", shapes, slowShapeRate, shapeRate, rewrite.Options{}); res != nil {
			assertShapes(t, res, true)
		}
		slow := *slowStart + uint64(b*seedCount)
		if res := batch("slow", slow, 1, rewrite.Options{}); res != nil {
			moved, all := movedPlans(res)
			t.Logf("slow batch %d: %d of %d handlers narrowed with the slow-call move", b, moved, all)
			assert.GreaterOrEqual(t, moved, minMoved, "handlers of the slow batch given the slow-call move")
		}
		// The same programs with --recheck: what the move alone would
		// weaken (a FOR UPDATE read, a read of an earlier note) moves with
		// replays, and with nothing changing under it a replay always
		// agrees, so the outcomes are the original's.
		if res := batch("recheck", slow, 1, rewrite.Options{PlanOptions: plan.PlanOptions{Recheck: true}}); res != nil {
			replayed := 0
			for _, p := range res.Plans {
				if len(p.Replays) > 0 {
					replayed++
				}
			}
			t.Logf("recheck batch %d: %d handlers with replays", b, replayed)
			assert.GreaterOrEqual(t, replayed, minReplayed, "handlers of the recheck batch given replays")
		}
	}
}

// minReplayed is how many handlers of a recheck batch at least get
// replays: fewer means the batch no longer exercises them.
const minReplayed = 1

// movedPlans counts the narrowed plans that reorder the callback (the
// slow-call move) among all.
func movedPlans(res *rewrite.Result) (moved, all int) {
	for _, p := range res.Plans {
		all++
		if p.Action == plan.ActionNarrowed && p.Order != nil {
			moved++
		}
	}
	return moved, all
}

// check runs txscope on the programs and asserts the properties; with run
// set it also compares the runner's output before and after the rewrite.
// It returns the rewrite's result, nil if it stopped before one.
func check(t *testing.T, m *module, progs []program, opts rewrite.Options, run bool) *rewrite.Result {
	require.NoError(t, m.setPrograms(progs))
	var beforeBin string
	if run {
		var err error
		beforeBin, err = m.build("before.bin")
		require.NoError(t, err, "the generated module must build")
	}
	res, err := m.txscope(opts)
	require.NoError(t, err, "txscope on the generated module")
	t.Log(res.Report().Summary)
	edits := map[string][]byte{}
	for _, e := range res.Edits {
		edits[e.Rel] = e.New
	}
	for _, p := range progs {
		got, ok := edits[handlersFile(p)]
		if !ok {
			got = p.src
		}
		problems := staticProblems(res, modulePath+"/"+p.pkg, p.src, got)
		assert.Empty(t, problems, "static properties of %s\n%s", p.pkg, explain(p, res, got))
	}
	require.NoError(t, m.apply(res.Edits))
	again, err := m.txscope(opts)
	require.NoError(t, err, "txscope on the rewritten module (it must type-check)")
	for _, e := range again.Edits {
		assert.Fail(t, "a second run changed "+e.Rel, e.Diff())
	}
	if !run {
		return res
	}
	afterBin, err := m.build("after.bin")
	require.NoError(t, err, "the rewritten module must build")
	diffs, err := m.dynamicDiffs(beforeBin, afterBin, opts.Recheck)
	require.NoError(t, err, "the runners must run")
	for _, d := range diffs {
		p := programOf(progs, d)
		assert.Fail(t, "the rewrite changed an outcome or where a statement ran", "%s\n%s", d, explain(p, res, edits[handlersFile(p)]))
	}
	return res
}

// dynamicDiffs runs both runners (outcomes) and compares what they did
// (dynamicDiffs).
func (m *module) dynamicDiffs(beforeBin, afterBin string, recheck bool) ([]string, error) {
	before, after, err := m.outcomes(beforeBin, afterBin, recheck)
	if err != nil {
		return nil, err
	}
	return dynamicDiffs(before, after)
}

// outcomeDiffs pairs the runner's lines before and after; at most one
// difference per handler is returned.
func outcomeDiffs(before, after string) []string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	seen := map[string]bool{}
	var out []string
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(b) {
			x = b[i]
		}
		if i < len(a) {
			y = a[i]
		}
		name, _, _ := strings.Cut(x+y, " ")
		if x != y && !seen[name] {
			seen[name] = true
			out = append(out, fmt.Sprintf("before: %s\nafter:  %s", x, y))
		}
	}
	return out
}

func programOf(progs []program, diff string) program {
	for _, p := range progs {
		if strings.HasPrefix(diff, "before: "+p.pkg+".") || strings.Contains(diff, "after:  "+p.pkg+".") || strings.HasPrefix(diff, "statements of "+p.pkg+".") {
			return p
		}
	}
	return progs[0]
}

// explain renders what a reader needs to minimise a failure: the plans,
// the input and the rewrite of the program.
func explain(p program, res *rewrite.Result, got []byte) string {
	var b strings.Builder
	for _, pl := range res.Plans {
		if pl.Wrapped.Site.Func.Pkg.PkgPath == modulePath+"/"+p.pkg {
			fmt.Fprintf(&b, "plan %s: %s %s\n", pl.Wrapped.Site.Func.Decl.Name.Name, pl.Action, pl.Reason)
		}
	}
	b.WriteString("--- input\n" + string(p.src))
	if got != nil {
		b.WriteString("--- rewritten\n" + string(got))
	}
	return b.String()
}
