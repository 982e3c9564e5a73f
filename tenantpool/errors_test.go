package tenantpool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
)

// handleCalls are the ways a statement goes through a Handle, each
// returning the error its caller would see.
var handleCalls = []struct {
	name string
	call func(ctx context.Context, h *tenantpool.Handle, sql string) error
}{
	{name: "Exec", call: func(ctx context.Context, h *tenantpool.Handle, sql string) error {
		_, err := h.Exec(ctx, sql)
		return err
	}},
	{name: "Query", call: func(ctx context.Context, h *tenantpool.Handle, sql string) error {
		rows, err := h.Query(ctx, sql)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		return rows.Err()
	}},
	{name: "QueryRow", call: func(ctx context.Context, h *tenantpool.Handle, sql string) error {
		var v any
		return h.QueryRow(ctx, sql).Scan(&v)
	}},
	{name: "SendBatch", call: func(ctx context.Context, h *tenantpool.Handle, sql string) error {
		b := &pgx.Batch{}
		b.Queue(sql)
		return h.SendBatch(ctx, b).Close()
	}},
}

// TestErrorsReleaseTheConnection checks that every failure reaches the
// caller and leaves the pool with no connection acquired and able to serve
// the next call.
func TestErrorsReleaseTheConnection(t *testing.T) {
	f := newFixture(t)
	pool := f.pool(t, f.db.AppURL+"&default_query_exec_mode=exec", 2)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		handle  *tenantpool.Handle
		ctx     func() (context.Context, context.CancelFunc)
		sql     string
		wantErr func(t *testing.T, err error)
	}{
		{
			name:    "bad SQL",
			handle:  tenantpool.For(pool, "t01"),
			sql:     "selec 1",
			wantErr: wantPgError("42601"),
		},
		{
			name:    "bad setting name",
			handle:  tenantpool.ForSetting(pool, "bad setting", "t01"),
			sql:     "select 1",
			wantErr: wantPgError("42704"),
		},
		{
			name:   "cancelled context",
			handle: tenantpool.For(pool, "t01"),
			ctx:    func() (context.Context, context.CancelFunc) { return cancelled, func() {} },
			sql:    "select 1",
			wantErr: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, context.Canceled)
			},
		},
		{
			name:   "deadline during the statement",
			handle: tenantpool.For(pool, "t01"),
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			},
			sql: "select pg_sleep(5)",
			wantErr: func(t *testing.T, err error) {
				assert.True(t, pgconn.Timeout(err), "want a timeout, got %v", err)
			},
		},
	}
	for _, tt := range tests {
		for _, c := range handleCalls {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				ctx, cancel := context.Background(), func() {}
				if tt.ctx != nil {
					ctx, cancel = tt.ctx()
				}
				defer cancel()
				err := c.call(ctx, tt.handle, tt.sql)
				require.Error(t, err)
				tt.wantErr(t, err)
				assertIdle(t, pool)
			})
		}
	}
}

func TestClosedPool(t *testing.T) {
	f := newFixture(t)
	pool := f.pool(t, f.db.AppURL, 2)
	h := tenantpool.For(pool, "t01")
	require.NoError(t, handleCalls[0].call(context.Background(), h, "select 1"))
	pool.Close()
	for _, c := range handleCalls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(context.Background(), h, "select 1")
			assert.ErrorContains(t, err, "closed pool")
			assert.Zero(t, pool.Stat().AcquiredConns())
		})
	}
}

func TestUnsupportedTenantIDTakesNoConnection(t *testing.T) {
	f := newFixture(t)
	pool := f.pool(t, f.db.AppURL, 2)
	h := tenantpool.For(pool, struct{ id int }{1})
	for _, c := range handleCalls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(context.Background(), h, "select 1")
			assert.ErrorContains(t, err, "tenant id of type struct { id int } cannot be rendered as text")
		})
	}
	_, err := h.CopyFrom(context.Background(), pgx.Identifier{"items"}, []string{"name"}, pgx.CopyFromRows(nil))
	assert.ErrorContains(t, err, "cannot be rendered as text")
	assert.Zero(t, pool.Stat().AcquireCount(), "no connection may be taken without a tenant")
}

// wantPgError expects a PostgreSQL error with the SQLSTATE code.
func wantPgError(code string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var pgErr *pgconn.PgError
		if assert.True(t, errors.As(err, &pgErr), "want a PostgreSQL error, got %v", err) {
			assert.Equal(t, code, pgErr.Code, pgErr.Message)
		}
	}
}

// assertIdle checks that no connection stays acquired and that the pool
// still serves a tenantpool call. A connection broken by a cancelled
// statement is destroyed in the background, so that one may take a moment.
func assertIdle(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	assert.Eventually(t, func() bool { return pool.Stat().AcquiredConns() == 0 },
		5*time.Second, 10*time.Millisecond, "a connection is still acquired")
	var n int
	assert.NoError(t, tenantpool.For(pool, "t02").QueryRow(context.Background(), "select count(*) from items").Scan(&n))
	assert.Equal(t, 2, n)
}
