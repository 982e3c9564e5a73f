package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExplain prints a handler whole: each statement with its effect, the
// SQL text and preset of a query on the tx, the summary of a helper, the
// plan and why (with the helper widened to take the pooled handle), and
// the findings of the function; and a kept handler's reason.
func TestExplain(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	stdout, stderr, code := runIn(dir, "explain", "ShowCustomer")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, `api/api.go:22:9: (*Server).ShowCustomer (example.com/app/api)
  wrapper: example.com/app/db.(*DB).WithTenant
  class: read-only
  statements:
    1. api/api.go:23:3: read, on the pool
       if err := session(ctx, tx, r.Header.Get("X-Session")); err != nil {…}
       - example.com/app/api.session: read: via example.com/app/api.session: SQL text
    2. api/api.go:26:3: pure, on the pool
       var name string
    3. api/api.go:27:3: read, on the pool
       return tx.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", r.PathValue("id")).Scan(&name)
       - github.com/jackc/pgx/v5.Tx.QueryRow: read: SQL text "SELECT name FROM customers WHERE id = $1" (preset github.com/jackc/pgx/v5.Tx.QueryRow)
  plan: pooled
    why: no statement writes, locks, changes transaction state or hands the tx off, so none needs the transaction: the queries run on the tenant-scoped pooled handle
    move: read api.session at api/api.go:23:13: onto the pool
    move: read pgx.Tx.QueryRow at api/api.go:27:10: onto the pool
    widen: api.session's tx pgx.Tx, to an interface the pooled handle satisfies too
  findings in (*Server).ShowCustomer:
    api/api.go:22:9: whole-request tenant transaction in (*Server).ShowCustomer (read-only): it only reads, so it needs no transaction (TS001)
`, stdout)
	assert.Empty(t, stderr)

	for _, name := range []string{"(*Server).ShowCustomer", "Server.ShowCustomer", "api.Server.ShowCustomer", "example.com/app/api.(*Server).ShowCustomer"} {
		again, _, code := runIn(dir, "explain", name)
		assert.Equal(t, exitOK, code)
		assert.Equal(t, stdout, again, name)
	}

	quote, _, code := runIn(dir, "explain", "Quote")
	require.Equal(t, exitOK, code)
	assert.Contains(t, quote, "       - net/http.(*Client).Get: slow: slow call (net/http.(*Client).Get)\n")
	assert.Contains(t, quote, "  plan: pooled\n")
	assert.Contains(t, quote, "    move: slow call http.(*Client).Get at api/api.go:51:16: out of the transaction\n")

	signup, _, code := runIn(fixtureModule(t, "rewrite/slow_kept"), "explain", "Signup")
	require.Equal(t, exitOK, code)
	assert.Contains(t, signup, "  plan: kept\n    why: slow call http.(*Client).Post at api/order.go:37:16 would stay inside the write block (use --split to commit before it)\n")
}

// TestExplainPlans: a pooled and a narrowed handler say where each
// statement runs, why and what moves.
func TestExplainPlans(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "rewrite/dryrun")
	stdout, stderr, code := runIn(dir, "explain", "Audit")
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{
		"    1. api/show.go:25:3: read, moves onto the pool\n       if err := store.CheckSession(ctx, tx, sessionID); err != nil {…}\n",
		"    2. api/show.go:28:3: write, stays in the transaction\n",
		"  plan: narrowed\n    why: statement 2 (api/show.go:28:3, write) is the first that needs the transaction; statement 1 runs on the pool before it begins\n",
		"    move: read store.CheckSession at api/show.go:25:13: onto the pool\n",
	} {
		assert.Contains(t, stdout, want)
	}
	stdout, _, code = runIn(dir, "explain", "Show")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "    4. api/show.go:18:3: pure, on the pool\n       return err\n")
	assert.Contains(t, stdout, "  plan: pooled\n")
	assert.NotContains(t, stdout, "Audit", "Show names Show only")
}

func TestExplainUnknown(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	_, stderr, code := runIn(dir, "explain", "Nope")
	assert.Equal(t, exitError, code)
	assert.Equal(t, "txscope: explain: Nope is not a wrapped function; the wrapped functions are (*Server).CreateOrder, (*Server).Quote, (*Server).ShowCustomer\n", stderr)

	_, stderr, code = runIn(dir, "explain")
	assert.Equal(t, exitError, code)
	assert.True(t, strings.HasPrefix(stderr, "txscope: requires at least 1 arg"), stderr)
}
