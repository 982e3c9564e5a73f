package rewrite_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/fixtures/gen/gen"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/report"
)

// benchHandlers sizes the benchmark tree: large enough that the analysis,
// not process start-up, dominates; small enough to generate in a second.
const benchHandlers = 250

// benchTree generates a module in the incident's shape and compiles it once
// so that loading reads export data from a warm build cache, as the
// command does on a developer's machine.
func benchTree(b *testing.B) string {
	b.Helper()
	repo, err := filepath.Abs("..")
	require.NoError(b, err)
	dir := b.TempDir()
	_, err = gen.Generate(dir, gen.Options{Handlers: benchHandlers, Packages: benchHandlers / 50, Repo: repo})
	require.NoError(b, err)
	build := exec.Command("go", "build", "./...")
	build.Dir = dir
	out, err := build.CombinedOutput()
	require.NoError(b, err, "%s", out)
	return dir
}

// BenchmarkLoad is the load stage alone: go list and type-checking.
func BenchmarkLoad(b *testing.B) {
	dir := benchTree(b)
	for b.Loop() {
		_, err := load.Load(load.LoadOptions{Dir: dir})
		require.NoError(b, err)
	}
}

// BenchmarkCheck is `txscope check`: load, find, classify, report.
func BenchmarkCheck(b *testing.B) {
	dir := benchTree(b)
	for b.Loop() {
		prog, err := load.Load(load.LoadOptions{Dir: dir})
		require.NoError(b, err)
		a, err := rewrite.Check(prog)
		require.NoError(b, err)
		require.NotEmpty(b, report.FromAnalysis(a).Findings)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/benchHandlers, "µs/handler")
}

// BenchmarkRewrite is `txscope rewrite --dry-run`: load with the pooled
// handle's package, plan, apply, verify and diff.
func BenchmarkRewrite(b *testing.B) {
	dir := benchTree(b)
	for b.Loop() {
		prog, err := load.Load(load.LoadOptions{Dir: dir, Runtime: true})
		require.NoError(b, err)
		res, err := rewrite.Rewrite(prog, rewrite.Options{})
		require.NoError(b, err)
		require.NotEmpty(b, res.Edits)
		for _, e := range res.Edits {
			_ = e.Diff()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/benchHandlers, "µs/handler")
}
