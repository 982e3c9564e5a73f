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
)

// TestVettool runs the built binary as go vet's -vettool and go fix's
// -fixtool on the bundled example: the same findings as txscope check, and
// the local fixes as a diff, neither writing anything.
func TestVettool(t *testing.T) {
	bin := txscopeBinary(t)
	dir, err := filepath.Abs("../../fixtures/example")
	require.NoError(t, err)
	goRun := func(args ...string) (stdout, stderr string, code int) {
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

	check := exec.Command(bin, "check", "./...")
	check.Dir = dir
	out, _ := check.Output()
	var want []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasSuffix(l, ")") && strings.Contains(l, "(TS") {
			want = append(want, l)
		}
	}
	require.NotEmpty(t, want)

	_, stderr, code := goRun("vet", "-vettool="+bin, "./...")
	assert.Equal(t, 1, code, stderr)
	for _, w := range want {
		pos, msg, _ := strings.Cut(w, ": ")
		msg = strings.TrimSuffix(msg, ")")
		msg = msg[:strings.LastIndex(msg, " (")]
		assert.Contains(t, stderr, pos+": "+msg, "go vet misses %s", w)
	}
	assert.Contains(t, stderr, "api/sales.go:43:2: whole-request tenant transaction in (*Server).ShowCustomerSales (read-only): it only reads, so it needs no transaction; the fix is a middleware migration")

	stdout, stderr, code := goRun("fix", "-fixtool="+bin, "-diff", "./...")
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
