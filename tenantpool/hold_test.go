package tenantpool_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
)

// TestConnectionHold checks with pgxpool.Stat that each call holds exactly
// one connection, and only until its result is consumed.
func TestConnectionHold(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pool := f.pool(t, f.db.AppURL+"&default_query_exec_mode=exec", 4)
	h := tenantpool.For(pool, "t03")
	acquired := func() int32 { return pool.Stat().AcquiredConns() }

	t.Run("rows hold one connection until Close", func(t *testing.T) {
		rows, err := h.Query(ctx, "select id from items")
		require.NoError(t, err)
		assert.EqualValues(t, 1, acquired())
		require.True(t, rows.Next())
		assert.EqualValues(t, 1, acquired())
		rows.Close()
		assert.Zero(t, acquired())
		assert.NoError(t, rows.Err())
	})
	t.Run("reading the last row releases the connection", func(t *testing.T) {
		rows, err := h.Query(ctx, "select id from items")
		require.NoError(t, err)
		n := 0
		for rows.Next() {
			n++
		}
		assert.NoError(t, rows.Err())
		assert.Equal(t, 3, n)
		assert.Zero(t, acquired())
	})
	t.Run("a row holds one connection until Scan", func(t *testing.T) {
		row := h.QueryRow(ctx, "select count(*) from items")
		assert.EqualValues(t, 1, acquired())
		var n int
		require.NoError(t, row.Scan(&n))
		assert.Equal(t, 3, n)
		assert.Zero(t, acquired())
	})
	t.Run("batch results hold one connection until Close", func(t *testing.T) {
		b := &pgx.Batch{}
		b.Queue("select 1")
		b.Queue("select 2")
		br := h.SendBatch(ctx, b)
		assert.EqualValues(t, 1, acquired())
		require.NoError(t, br.Close())
		assert.Zero(t, acquired())
	})
	t.Run("exec holds nothing once it returns", func(t *testing.T) {
		_, err := h.Exec(ctx, "select 1")
		require.NoError(t, err)
		assert.Zero(t, acquired())
	})
	// A connection released inside a transaction would have been
	// destroyed and replaced.
	assert.EqualValues(t, 1, pool.Stat().NewConnsCount(), "every call left its connection idle and reusable")
}
