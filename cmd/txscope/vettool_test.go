package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

// goIn runs the go command in dir.
func goIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return o.String(), e.String(), code
}

// checkFindings are the finding lines `txscope check` prints in dir.
func checkFindings(t *testing.T, bin, dir string, args ...string) []string {
	t.Helper()
	check := exec.Command(bin, append(append([]string{"check"}, args...), "./...")...)
	check.Dir = dir
	out, _ := check.Output()
	var want []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasSuffix(l, ")") && strings.Contains(l, "(TS") {
			want = append(want, l)
		}
	}
	require.NotEmpty(t, want)
	return want
}

// assertVetHas checks that go vet's output holds each of txscope check's
// findings, the same message at the same position (go vet's may go on
// with why there is no fix).
func assertVetHas(t *testing.T, vetOut string, findings []string) {
	t.Helper()
	for _, w := range findings {
		pos, msg, _ := strings.Cut(w, ": ")
		msg = strings.TrimSuffix(msg, ")")
		msg = msg[:strings.LastIndex(msg, " (")]
		assert.Contains(t, vetOut, pos+": "+msg, "go vet misses %s", w)
	}
}

// TestVettool runs the built binary as go vet's -vettool and go fix's
// -fixtool on the bundled example: the same findings as txscope check, and
// the local fixes as a diff, neither writing anything.
func TestVettool(t *testing.T) {
	bin := txscopeBinary(t)
	dir, err := filepath.Abs("../../fixtures/example")
	require.NoError(t, err)

	want := checkFindings(t, bin, dir)
	_, stderr, code := goIn(t, dir, "vet", "-vettool="+bin, "./...")
	assert.Equal(t, 1, code, stderr)
	assertVetHas(t, stderr, want)
	assert.Contains(t, stderr, "api/sales.go:43:2: whole-request tenant transaction in (*Server).ShowCustomerSales (read-only): it only reads, so it needs no transaction; the fix is a middleware migration")

	stdout, stderr, code := goIn(t, dir, "fix", "-fixtool="+bin, "-diff", "./...")
	assert.Equal(t, 1, code, "a non-empty diff exits 1: %s", stderr)
	assert.Contains(t, stdout, "+\t\"github.com/txscope/txscope/tenantpool\"")
	assert.Contains(t, stdout, "+\tq := tenantpool.For(s.db.Pool, tenantID)")
	assert.Contains(t, stdout, "+\tif _, err := tx.Exec(ctx, \"select set_config('app.current_tenant_id', $1, true)\", tenantID); err != nil {")
	assert.NotContains(t, stdout, "sales.go", "a middleware migration is not a local fix")

	// -diff wrote nothing: the module is as it was.
	st := exec.Command("git", "status", "--porcelain", ".")
	st.Dir = dir
	status, err := st.Output()
	require.NoError(t, err)
	assert.Empty(t, string(status))
}

// TestVettoolModule runs go vet and go fix with the built binary on
// testdata/vetmodule.txtar, where the handlers' helper is in another
// package than they are: go vet analyses a package at a time, so Show is
// found read-only only if store.Name's fact crossed, as txscope check
// finds it. The build tags go vet is given choose the files (Nightly's is
// behind one), and the Analyzer's flags, -txscope.config and
// -txscope.codes, reach the tool through go vet and go fix.
func TestVettoolModule(t *testing.T) {
	bin := txscopeBinary(t)
	ar, err := txtar.ParseFile("testdata/vetmodule.txtar")
	require.NoError(t, err)
	dir := t.TempDir()
	writeModule(t, repoRoot(t), dir, ar)

	const show = "api/api.go:17:9: whole-request tenant transaction in (*Server).Show (read-only): it only reads, so it needs no transaction (TS001)"
	const nightly = "api/nightly.go:14:9: whole-request tenant transaction in (*Server).Nightly (read-only)"
	want := checkFindings(t, bin, dir)
	require.Contains(t, want, show)
	_, stderr, code := goIn(t, dir, "vet", "-vettool="+bin, "./...")
	assert.Equal(t, 1, code, stderr)
	assertVetHas(t, stderr, want)
	assert.NotContains(t, stderr, nightly)

	tagged := checkFindings(t, bin, dir, "--tags", "integration")
	_, stderr, code = goIn(t, dir, "vet", "-tags=integration", "-vettool="+bin, "./...")
	assert.Equal(t, 1, code, stderr)
	assertVetHas(t, stderr, tagged)
	assert.Contains(t, stderr, nightly)

	// ci/txscope.yaml makes store.Name slow: a relative path is taken from
	// the module root, wherever the go command runs the tool.
	_, stderr, code = goIn(t, dir, "vet", "-vettool="+bin, "-txscope.config=ci/txscope.yaml", "./...")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "api/api.go:19:15: slow call example.com/app/store.Name inside a tenant transaction holds its connection (TS002)")

	_, stderr, code = goIn(t, dir, "vet", "-vettool="+bin, "-txscope.codes=TS003", "./...")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "db/db.go:30:15: tenant setting app.current_tenant_id is set at session level")
	assert.NotContains(t, stderr, "TS001")

	_, stderr, code = goIn(t, dir, "vet", "-vettool="+bin, "-txscope.codes=TS002", "./...")
	assert.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)

	_, stderr, code = goIn(t, dir, "vet", "-vettool="+bin, "-txscope.codes=TS999", "./...")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, `unknown finding code "TS999"`)

	stdout, stderr, code := goIn(t, dir, "fix", "-fixtool="+bin, "-diff", "-txscope.codes=TS003", "./...")
	assert.Equal(t, 1, code, "a non-empty diff exits 1: %s", stderr)
	assert.Contains(t, stdout, "+\tif _, err := tx.Exec(ctx, \"select set_config('app.current_tenant_id', $1, true)\", tenantID); err != nil {")
	assert.NotContains(t, stdout, "api.go", "TS001's fix is left out")

	stdout, stderr, code = goIn(t, dir, "fix", "-fixtool="+bin, "-diff", "-tags=integration", "./...")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "nightly.go")
}
