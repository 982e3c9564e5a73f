package tenantpool_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
)

// TestTenantSettingIsTransactionLocal uses a pool of one connection, so
// every statement shares it: a session-level leftover of a previous client
// does not reach a tenantpool read, and the read leaves nothing behind.
func TestTenantSettingIsTransactionLocal(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const leftover = "select set_config('app.current_tenant_id', 't02', false)"
	const current = "select coalesce(current_setting('app.current_tenant_id', true), '')"

	t.Run("pgx", func(t *testing.T) {
		pool := f.pool(t, f.db.AppURL, 1)
		_, err := pool.Exec(ctx, leftover)
		require.NoError(t, err)

		counts, err := countByTenant(ctx, tenantpool.For(pool, "t05"))
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"t05": 5}, counts)

		var after string
		require.NoError(t, pool.QueryRow(ctx, current).Scan(&after))
		assert.Equal(t, "t02", after)
	})
	t.Run("database/sql", func(t *testing.T) {
		db := f.sqlDB(t, f.db.AppURL)
		db.SetMaxOpenConns(1)
		_, err := db.ExecContext(ctx, leftover)
		require.NoError(t, err)

		counts, err := countByTenantSQL(ctx, tenantpool.ForDB(db, "t05"))
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"t05": 5}, counts)

		var after string
		require.NoError(t, db.QueryRowContext(ctx, current).Scan(&after))
		assert.Equal(t, "t02", after)
	})
	t.Run("no tenant, no rows", func(t *testing.T) {
		pool := f.pool(t, f.db.AppURL, 1)
		counts, err := countByTenant(ctx, pool)
		require.NoError(t, err)
		assert.Empty(t, counts, "a bare read under the application role sees nothing")
	})
}
