package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/fixtures/pgtest"
)

// TestRewriteDB plans against a live schema with FORCEd row-level security
// and a policy on two settings: a read of that table stays in the
// transaction (the handle sets the tenant only), the others move.
func TestRewriteDB(t *testing.T) {
	cluster := pgtest.Start(t, pgtest.Options{})
	if cluster == nil {
		return
	}
	db := cluster.NewDatabase(t)
	dir := fixtureModule(t, "rewrite/schema_two_settings")
	migrations := filepath.Join(dir, "db", "migrations")
	migration, err := os.ReadFile(filepath.Join(migrations, "001_init.up.sql"))
	require.NoError(t, err)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, string(migration)+"; ALTER TABLE orders FORCE ROW LEVEL SECURITY")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, os.RemoveAll(migrations))

	stdout, stderr, code := runIn(dir, "rewrite", "--dry-run", "--db", db.AppURL)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "(*Server).Lookup: read-only: pooled")
	assert.Contains(t, stderr, "(*Server).OrderCount: read-only: kept: the read store.CountOrders at api/show.go:33:13 would leave the transaction, but public.orders has row-level security on app.current_tenant_id and app.current_user_id; the handle does not set app.current_user_id: it stays")
	assert.Contains(t, stdout, "+\tq := tenantpool.For(s.db.Pool, tenantID)")
}

// TestCheckDB runs `check --db` against a real PostgreSQL holding the same
// schema as the module's migrations: the live schema takes their place,
// the connecting role decides TS009, and the URL's password appears
// nowhere in the output.
func TestCheckDB(t *testing.T) {
	cluster := pgtest.Start(t, pgtest.Options{})
	if cluster == nil {
		return
	}
	db := cluster.NewDatabase(t)
	dir := fixtureModule(t, "check/schema_contradicts_config")
	migration, err := os.ReadFile(filepath.Join(dir, "migrations", "0001_init.up.sql"))
	require.NoError(t, err)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, string(migration))
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	// The migrations must not be what is read: the database is.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "migrations")))

	withPassword := func(raw string) string {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
		return u.String()
	}

	t.Run("application role", func(t *testing.T) {
		stdout, stderr, code := runIn(dir, "check", "--db", withPassword(db.AppURL))
		require.Equal(t, exitFindings, code, stderr)
		assert.Contains(t, stdout, "txscope.yaml:2:34: txscope.yaml says tenant.rls: false, but the schema has row-level security on public.documents, public.orders")
		assert.Contains(t, stdout, "public.products has a tenant_id column but no row-level security")
		assert.Contains(t, stdout, "policy owner_only on public.documents reads app.current_user_id")
		assert.NotContains(t, stdout, "(TS009)", "the application role is subject to row-level security")
		assert.NotContains(t, stdout+stderr, "s3cret-pw")
	})
	t.Run("superuser", func(t *testing.T) {
		stdout, stderr, code := runIn(dir, "check", "--db", withPassword(db.URL))
		require.Equal(t, exitFindings, code, stderr)
		t.Log(stdout)
		assert.Contains(t, stdout, "is a superuser: row-level security on public.documents, public.orders does not apply to it")
		assert.NotContains(t, stdout+stderr, "s3cret-pw")
	})
	t.Run("a role with BYPASSRLS", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, db.URL)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, "CREATE ROLE bypasser LOGIN BYPASSRLS")
		require.NoError(t, err)
		require.NoError(t, conn.Close(ctx))
		u, err := url.Parse(db.AppURL)
		require.NoError(t, err)
		u.User = url.User("bypasser")
		stdout, stderr, code := runIn(dir, "check", "--db", u.String())
		require.Equal(t, exitFindings, code, stderr)
		assert.Contains(t, stdout, "the database role bypasser has BYPASSRLS")
	})
	t.Run("unreachable", func(t *testing.T) {
		u, err := url.Parse(withPassword(db.URL))
		require.NoError(t, err)
		u.Host = "127.0.0.1:1"
		_, stderr, code := runIn(dir, "check", "--db", u.String())
		assert.Equal(t, exitError, code)
		assert.Contains(t, stderr, "txscope: load: schema: ")
		assert.NotContains(t, stderr, "s3cret-pw")
	})
}
