package tenantpool_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
)

// TestQueryExecModesBehindPgBouncer shows which of pgx's
// default_query_exec_mode values work behind PgBouncer in transaction mode.
// Client a reads through tenantpool on the only server connection; client b
// then holds that connection in a transaction, so a's next read goes to a
// new one, where statements that a named and prepared on the first are
// missing.
func TestQueryExecModesBehindPgBouncer(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		wantCode string // SQLSTATE of the second read, "" for success
	}{
		{name: "exec", give: "exec"},
		{name: "simple protocol", give: "simple_protocol"},
		{name: "describe then exec", give: "describe_exec"},
		{name: "cached descriptions", give: "cache_describe"},
		{name: "cached statements (pgx's default)", give: "cache_statement", wantCode: "26000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t) // a database of its own: a pool of server connections of its own
			a := connect(t, f.db.AppBouncerURL+"&default_query_exec_mode="+tt.give)
			b := connect(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec")

			counts, err := countByTenant(ctx, tenantpool.For(a, "t04"))
			require.NoError(t, err)
			assert.Equal(t, map[string]int{"t04": 4}, counts)

			tx, err := b.Begin(ctx)
			require.NoError(t, err)
			defer tx.Rollback(ctx)
			_, err = tx.Exec(ctx, "select 1")
			require.NoError(t, err)

			counts, err = countByTenant(ctx, tenantpool.For(a, "t06"))
			if tt.wantCode != "" {
				wantPgError(tt.wantCode)(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, map[string]int{"t06": 6}, counts)
			assertServerConnections(t, f, 2)
		})
	}
}

// connect opens one pgx connection; *pgx.Conn is a tenantpool.Pool too.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
