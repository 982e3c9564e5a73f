package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// editFile replaces old with new in dir/name, which must contain old.
func editFile(t *testing.T, dir, name, old, new string) {
	t.Helper()
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), old)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
}

// writeBaseline runs check --baseline-write in dir and returns the file.
func writeBaseline(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "baseline.yaml")
	stdout, stderr, code := runIn(dir, "check", "--baseline-write", file)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "(TS001)", "the report is printed as usual")
	assert.Equal(t, "txscope: wrote 5 findings (5 entries) to "+file+"\n", stderr)
	return file
}

const quoteSlowCall = `resp, err := s.pricing.Get("http://pricing.internal/quote")`

// TestBaselineRoundTrip writes a baseline and checks against it: nothing
// new, so exit 0, the baselined findings left out of the text report; a
// second write gives the same bytes.
func TestBaselineRoundTrip(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	file := writeBaseline(t, dir)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, `# txscope baseline: the findings `+"`txscope check --baseline FILE`"+` accepts.
# Written by `+"`txscope check --baseline-write FILE`"+`, sorted; an entry is the finding's
# code, its function and its statement (no line numbers), count when more than one.
# Delete the entries of what was fixed, or write the file again.
version: 1
findings:
  - code: TS001
    func: example.com/app/api.(*Server).CreateOrder
    stmt: return s.db.WithTenant(ctx, r.Header.Get("X-Tenant"), func(tx pgx.Tx) error {…})
  - code: TS001
    func: example.com/app/api.(*Server).Quote
    stmt: return s.db.WithTenant(ctx, r.Header.Get("X-Tenant"), func(tx pgx.Tx) error {…})
  - code: TS002
    func: example.com/app/api.(*Server).Quote
    stmt: resp, err := s.pricing.Get("http://pricing.internal/quote")
  - code: TS001
    func: example.com/app/api.(*Server).ShowCustomer
    stmt: err := s.db.WithTenant(ctx, r.Header.Get("X-Tenant"), func(tx pgx.Tx) error {…})
  - code: TS003
    func: example.com/app/db.(*DB).WithTenant
    stmt: _, err := tx.Exec(ctx, "select set_config('app.current_tenant_id', $1, false)", tenantID)
`, string(data))

	stdout, stderr, code := runIn(dir, "check", "--baseline", file)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "(TS00")
	assert.Contains(t, stdout, "api/api.go:22:9: (*Server).ShowCustomer: read-only\n", "handlers are still listed")
	assert.True(t, strings.HasSuffix(stdout, "baseline "+file+": 0 new, 5 baselined (not shown)\n"), stdout)

	again := writeBaseline(t, dir)
	data2, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, string(data), string(data2))
}

// TestBaselineMovedLine moves every finding down, reflows the slow call
// over lines with a comment in it and edits inside the callback: all
// still baselined.
func TestBaselineMovedLine(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	file := writeBaseline(t, dir)
	editFile(t, dir, "api/api.go", "type Server struct {", "// Server serves.\n//\n// It is the API.\n\nfunc unrelated() {}\n\ntype Server struct {")
	editFile(t, dir, "db/db.go", "type DB struct", "\n\n// DB is the database.\ntype DB struct")
	editFile(t, dir, "api/api.go", quoteSlowCall, "resp, err := s.pricing.Get( // the quote\n\t\t\t\"http://pricing.internal/quote\",\n\t\t)")
	editFile(t, dir, "api/api.go", "var name string", "var name, other string\n\t\t_ = other")

	stdout, stderr, code := runIn(dir, "check", "--baseline", file)
	require.Equal(t, exitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "0 new, 5 baselined")

	stdout, _, code = runIn(dir, "check")
	require.Equal(t, exitFindings, code)
	assert.Contains(t, stdout, "api/api.go:28:9: whole-request", "the findings did move")
}

// TestBaselineEditedStatement changes the statement of a baselined finding:
// it is new, and the old one no longer found.
func TestBaselineEditedStatement(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	file := writeBaseline(t, dir)
	editFile(t, dir, "api/api.go", quoteSlowCall, `resp, err := s.pricing.Get("http://pricing.internal/quote?fresh=1")`)

	stdout, stderr, code := runIn(dir, "check", "--baseline", file)
	require.Equal(t, exitFindings, code, stderr)
	var findings []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, "(TS0") {
			findings = append(findings, line)
		}
	}
	assert.Equal(t, []string{"api/api.go:51:16: slow call net/http.(*Client).Get inside a tenant transaction holds its connection (TS002)"}, findings)
	assert.Contains(t, stdout, "baseline "+file+": 1 new, 4 baselined (not shown), 1 no longer found (write the baseline again to drop them)\n")
}

// TestBaselineNewFinding adds a handler and a second identical slow call:
// both are new, and the JSON and SARIF reports say which are.
func TestBaselineNewFinding(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	file := writeBaseline(t, dir)
	editFile(t, dir, "api/api.go", quoteSlowCall, quoteSlowCall+"\n\t\tresp, err = s.pricing.Get(\"http://pricing.internal/quote\")")
	editFile(t, dir, "api/api.go", "func (s *Server) Quote(", `func (s *Server) Count(r *http.Request) error {
	return s.db.WithTenant(r.Context(), r.Header.Get("X-Tenant"), func(tx pgx.Tx) error {
		return tx.QueryRow(r.Context(), "SELECT count(*) FROM orders").Scan(new(int))
	})
}

func (s *Server) Quote(`)

	stdout, stderr, code := runIn(dir, "check", "--baseline", file)
	require.Equal(t, exitFindings, code, stderr)
	assert.Contains(t, stdout, "whole-request tenant transaction in (*Server).Count")
	assert.Contains(t, stdout, "2 new, 5 baselined")

	stdout, stderr, code = runIn(dir, "check", "--json", "--baseline", file)
	require.Equal(t, exitFindings, code, stderr)
	var rep struct {
		Findings []struct{ Code, Pos, Baseline string }
		Baseline struct {
			File           string
			New, Unchanged int
			Absent         []any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	states := map[string]string{}
	for _, f := range rep.Findings {
		states[f.Pos+" "+f.Code] = f.Baseline
	}
	assert.Equal(t, map[string]string{
		"api/api.go:22:9 TS001":  "unchanged",
		"api/api.go:36:9 TS001":  "unchanged",
		"api/api.go:46:9 TS001":  "new",
		"api/api.go:53:9 TS001":  "unchanged",
		"api/api.go:57:16 TS002": "unchanged",
		"api/api.go:58:15 TS002": "new",
		"db/db.go:18:15 TS003":   "unchanged",
	}, states)
	assert.Equal(t, file, rep.Baseline.File)
	assert.Equal(t, 2, rep.Baseline.New)
	assert.Equal(t, 5, rep.Baseline.Unchanged)
	assert.Empty(t, rep.Baseline.Absent)

	stdout, stderr, code = runIn(dir, "check", "--sarif", "--baseline", file)
	require.Equal(t, exitFindings, code, stderr)
	log, err := sarif.FromBytes([]byte(stdout))
	require.NoError(t, err)
	require.NoError(t, log.Validate())
	counts := map[string]int{}
	for _, r := range log.Runs[0].Results {
		require.NotNil(t, r.BaselineState)
		counts[*r.BaselineState]++
	}
	assert.Equal(t, map[string]int{"new": 2, "unchanged": 5}, counts)

	// Written again, the baseline counts the two identical calls.
	file2 := filepath.Join(t.TempDir(), "b.yaml")
	_, stderr, code = runIn(dir, "check", "--baseline-write", file2)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(file2)
	require.NoError(t, err)
	assert.Contains(t, string(data), "  - code: TS002\n    func: example.com/app/api.(*Server).Quote\n    stmt: resp, err = s.pricing.Get(\"http://pricing.internal/quote\")\n")
	_, _, code = runIn(dir, "check", "--baseline", file2)
	assert.Equal(t, exitOK, code)
}

// TestBaselineCount: a function with the same finding twice needs count 2.
func TestBaselineCount(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	editFile(t, dir, "api/api.go", quoteSlowCall, quoteSlowCall+"\n\t\t_, _ = s.pricing.Get(\"http://pricing.internal/quote\")\n\t\t_, _ = s.pricing.Get(\"http://pricing.internal/quote\")")
	file := filepath.Join(t.TempDir(), "b.yaml")
	_, stderr, code := runIn(dir, "check", "--baseline-write", file)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	twice := "    stmt: _, _ = s.pricing.Get(\"http://pricing.internal/quote\")\n    count: 2\n"
	require.Contains(t, string(data), twice)
	_, _, code = runIn(dir, "check", "--baseline", file)
	require.Equal(t, exitOK, code)

	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(data), "    count: 2\n", "", 1)), 0o644))
	stdout, _, code := runIn(dir, "check", "--baseline", file)
	require.Equal(t, exitFindings, code)
	assert.Contains(t, stdout, "api/api.go:53:10: slow call", "the second of the two is the new one")
	assert.NotContains(t, stdout, "api/api.go:52:10: slow call")
	assert.Contains(t, stdout, "1 new, 6 baselined")
}

// TestBaselineMalformed: a baseline that cannot be read stops the check
// with exit 2 and says where.
func TestBaselineMalformed(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/clean")
	file := filepath.Join(t.TempDir(), "b.yaml")
	require.NoError(t, os.WriteFile(file, []byte("version: 1\nfindings:\n  - code: TS001\n    fun: x\n"), 0o644))
	_, stderr, code := runIn(dir, "check", "--baseline", file)
	assert.Equal(t, exitError, code)
	assert.Equal(t, "txscope: "+file+":4:5: unknown key \"fun\" in a finding (code, func, file, stmt, count)\n", stderr)

	_, stderr, code = runIn(dir, "check", "--baseline", filepath.Join(dir, "missing.yaml"))
	assert.Equal(t, exitError, code)
	assert.Contains(t, stderr, "missing.yaml: no such file or directory")

	_, stderr, code = runIn(dir, "check", "--baseline", file, "--baseline-write", file)
	assert.Equal(t, exitError, code)
	assert.Contains(t, stderr, "none of the others can be")
}

// TestBaselineRelativeToDir: a relative FILE is in the -C directory.
func TestBaselineRelativeToDir(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	_, stderr, code := runIn(dir, "check", "--baseline-write", ".txscope-baseline.yaml")
	require.Equal(t, exitOK, code, stderr)
	assert.FileExists(t, filepath.Join(dir, ".txscope-baseline.yaml"))
	stdout, stderr, code := runIn(dir, "check", "--baseline", ".txscope-baseline.yaml")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "baseline .txscope-baseline.yaml: 0 new, 5 baselined")
}
