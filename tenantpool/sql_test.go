package tenantpool_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
	"github.com/txscope/txscope/tenantpool/sqlxpool"
)

// sqlQuerier is the database/sql interface that code written against
// *sql.DB and *sql.Tx takes (sqlc's DBTX without PrepareContext).
type sqlQuerier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

var _ sqlQuerier = (*tenantpool.SQLHandle)(nil)

func TestSQLHandle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db := f.sqlDB(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec")
	h := tenantpool.ForDB(db, "t03")

	t.Run("rows come back holding no connection", func(t *testing.T) {
		rows, err := h.QueryContext(ctx, "select id, name, null::text from items order by id")
		require.NoError(t, err)
		defer rows.Close()
		assert.Zero(t, db.Stats().InUse, "the transaction is over before the first row is read")

		columns, err := rows.ColumnTypes()
		require.NoError(t, err)
		var described []string
		for _, c := range columns {
			described = append(described, c.Name()+" "+c.DatabaseTypeName())
		}
		assert.Equal(t, []string{"id INT8", "name TEXT", "text TEXT"}, described)

		var names []string
		for rows.Next() {
			var id int64
			var name []byte
			var none sql.NullString
			require.NoError(t, rows.Scan(&id, &name, &none))
			assert.Positive(t, id)
			assert.False(t, none.Valid)
			names = append(names, string(name))
		}
		require.NoError(t, rows.Err())
		assert.Equal(t, []string{"item 1", "item 2", "item 3"}, names)
	})
	t.Run("a row", func(t *testing.T) {
		var n int
		require.NoError(t, h.QueryRowContext(ctx, "select count(*) from items").Scan(&n))
		assert.Equal(t, 3, n)
		assert.Zero(t, db.Stats().InUse)
	})
	t.Run("no row", func(t *testing.T) {
		var n int
		err := h.QueryRowContext(ctx, "select 1 from items where false").Scan(&n)
		assert.ErrorIs(t, err, sql.ErrNoRows)
	})
	t.Run("errors", func(t *testing.T) {
		var n int
		wantPgError("42601")(t, h.QueryRowContext(ctx, "selec 1").Scan(&n))
		_, err := h.QueryContext(ctx, "selec 1")
		wantPgError("42601")(t, err)
		_, err = h.ExecContext(ctx, "insert into items (tenant_id, name) values ('t04', 'foreign')")
		wantPgError("42501")(t, err)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err = h.QueryContext(cancelled, "select 1")
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, db.Stats().InUse)
	})
	t.Run("exec commits", func(t *testing.T) {
		res, err := h.ExecContext(ctx, "insert into items (tenant_id, name) values ('t03', 'new')")
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		counts, err := countByTenantSQL(ctx, h)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"t03": 4}, counts)
	})
	t.Run("unsupported tenant id", func(t *testing.T) {
		_, err := tenantpool.ForDB(db, 1.5).QueryContext(ctx, "select 1")
		assert.ErrorContains(t, err, "tenant id of type float64 cannot be rendered as text")
	})
}

// TestTenantIDTypes reads as tenants given in the types handlers hold them.
func TestTenantIDTypes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pool := f.pool(t, f.db.AppURL, 2)
	db := f.sqlDB(t, f.db.AppURL)
	xdb := sqlx.NewDb(db, "pgx")
	tests := []struct {
		name string
		give any
		want map[string]int
	}{
		{name: "string", give: "t05", want: map[string]int{"t05": 5}},
		{name: "int64", give: int64(42), want: map[string]int{intTenant: 3}},
		{name: "uuid.UUID", give: uuid.MustParse(uuidTenant), want: map[string]int{uuidTenant: 2}},
		{name: "unknown tenant", give: "t99", want: map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := countByTenant(ctx, tenantpool.For(pool, tt.give))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "pgx")
			got, err = countByTenantSQL(ctx, tenantpool.ForDB(db, tt.give))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "database/sql")
			got, err = countByTenantSqlx(ctx, sqlxpool.For(xdb, tt.give))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "sqlx")
		})
	}
}

// TestSQLHandleRefuses checks that the database/sql handle refuses what
// every handle refuses, before it takes a connection.
func TestSQLHandleRefuses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db := f.sqlDB(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec")
	h := tenantpool.ForDB(db, "t01")
	calls := map[string]func(sql string) error{
		"ExecContext": func(sql string) error { _, err := h.ExecContext(ctx, sql); return err },
		"QueryContext": func(sql string) error {
			_, err := h.QueryContext(ctx, sql)
			return err
		},
		"QueryRowContext": func(sql string) error { return h.QueryRowContext(ctx, sql).Scan(new(any)) },
	}
	for _, sql := range refused {
		for name, call := range calls {
			t.Run(name+": "+sql, func(t *testing.T) {
				require.ErrorIs(t, call(sql), tenantpool.ErrRefused)
			})
		}
	}
	assert.Zero(t, db.Stats().OpenConnections, "no connection may be opened for a refused call")
}
