package tenantpool_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
)

func TestSendBatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pool := f.pool(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec", 2)
	h := tenantpool.For(pool, "t03")

	t.Run("results in order, callbacks on Close", func(t *testing.T) {
		b := &pgx.Batch{}
		b.Queue("insert into items (tenant_id, name) values ('t03', 'new') returning name")
		b.Queue("select count(*) from items")
		var names []string
		b.Queue("select name from items where name = $1", "new").Query(func(rows pgx.Rows) (err error) {
			names, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		br := h.SendBatch(ctx, b)

		var inserted string
		require.NoError(t, br.QueryRow().Scan(&inserted))
		assert.Equal(t, "new", inserted)
		rows, err := br.Query()
		require.NoError(t, err)
		counts, err := pgx.CollectRows(rows, pgx.RowTo[int])
		require.NoError(t, err)
		assert.Equal(t, []int{4}, counts, "the batch sees its own insert and the tenant's rows only")
		assert.Nil(t, names, "the callback runs on Close")
		require.NoError(t, br.Close())
		assert.Equal(t, []string{"new"}, names)
		assert.Zero(t, pool.Stat().AcquiredConns())
	})
	t.Run("one transaction: a failure undoes the batch", func(t *testing.T) {
		b := &pgx.Batch{}
		b.Queue("insert into items (tenant_id, name) values ('t03', 'lost')")
		b.Queue("selec 1")
		err := h.SendBatch(ctx, b).Close()
		wantPgError("42601")(t, err)

		var n int
		require.NoError(t, h.QueryRow(ctx, "select count(*) from items where name = 'lost'").Scan(&n))
		assert.Zero(t, n)
		assert.Zero(t, pool.Stat().AcquiredConns())
	})
	t.Run("the policy checks writes", func(t *testing.T) {
		_, err := h.Exec(ctx, "insert into items (tenant_id, name) values ('t04', 'foreign')")
		wantPgError("42501")(t, err)
	})
}

// TestCopyFrom copies into the table without row-level security, whose
// tenant column takes the setting, which is how the test sees it was set.
// PostgreSQL refuses COPY FROM into tables under row-level security.
func TestCopyFrom(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pool := f.pool(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec", 2)
	h := tenantpool.For(pool, "t07")

	n, err := h.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"name"},
		pgx.CopyFromRows([][]any{{"a"}, {"b"}}))
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	rows, err := pool.Query(ctx, "select tenant_id from events order by id")
	require.NoError(t, err)
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{"t07", "t07"}, tenants)
	assert.Zero(t, pool.Stat().AcquiredConns())

	tests := []struct {
		name     string
		table    string
		wantCode string
	}{
		{name: "table under row-level security", table: "items", wantCode: "0A000"},
		{name: "missing table", table: "missing", wantCode: "42P01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.CopyFrom(ctx, pgx.Identifier{tt.table}, []string{"name"}, pgx.CopyFromRows([][]any{{"x"}}))
			wantPgError(tt.wantCode)(t, err)
			assertIdle(t, pool)
		})
	}
}

// dbtx is the interface that sqlc generates for pgx v5 code.
type dbtx interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
	SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
}

var (
	_ dbtx            = (*tenantpool.Handle)(nil)
	_ tenantpool.Pool = (*pgxpool.Pool)(nil)
	_ tenantpool.Pool = (*pgx.Conn)(nil)
)

func TestNamedArgs(t *testing.T) {
	f := newFixture(t)
	pool := f.pool(t, f.db.AppURL, 1)
	var n int
	err := tenantpool.For(pool, "t05").QueryRow(context.Background(),
		"select count(*) from items where name <> @name", pgx.NamedArgs{"name": "item 1"}).Scan(&n)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
}
