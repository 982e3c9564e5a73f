package tenantpool_test

// The tests of tenantpool/sqlxpool live here, beside the database/sql
// handle's that it is built on, to share their PostgreSQL and PgBouncer rig.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
	"github.com/txscope/txscope/tenantpool/sqlxpool"
)

// sqlxTx is the part of *sqlx.Tx that a sqlxpool.Handle has, with the same
// signatures: code written against *sqlx.Tx that uses only these compiles
// unchanged against the handle.
type sqlxTx interface {
	sqlx.Ext
	sqlx.ExtContext
	Get(dest any, query string, args ...any) error
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	Select(dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	NamedExec(query string, arg any) (sql.Result, error)
	NamedExecContext(ctx context.Context, query string, arg any) (sql.Result, error)
	NamedQuery(query string, arg any) (*sqlx.Rows, error)
	MustExec(query string, args ...any) sql.Result
	MustExecContext(ctx context.Context, query string, args ...any) sql.Result
	QueryRow(query string, args ...any) *sql.Row
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ sqlxTx     = (*sqlx.Tx)(nil)
	_ sqlxTx     = (*sqlxpool.Handle)(nil)
	_ sqlQuerier = (*sqlxpool.Handle)(nil)
)

// sqlxCalls are the ways a statement goes through a sqlxpool.Handle or an
// *sqlx.Tx, each reading the whole result and returning the first error
// its caller would see. withCtx marks those that take the context.
var sqlxCalls = []struct {
	name    string
	withCtx bool
	call    func(ctx context.Context, q sqlxTx, query string) error
}{
	{name: "Exec", call: func(_ context.Context, q sqlxTx, query string) error {
		_, err := q.Exec(query)
		return err
	}},
	{name: "ExecContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		_, err := q.ExecContext(ctx, query)
		return err
	}},
	{name: "MustExec", call: func(_ context.Context, q sqlxTx, query string) (err error) {
		defer recovered(&err)
		q.MustExec(query)
		return nil
	}},
	{name: "MustExecContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) (err error) {
		defer recovered(&err)
		q.MustExecContext(ctx, query)
		return nil
	}},
	{name: "NamedExec", call: func(_ context.Context, q sqlxTx, query string) error {
		_, err := q.NamedExec(query, map[string]any{})
		return err
	}},
	{name: "NamedExecContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		_, err := q.NamedExecContext(ctx, query, map[string]any{})
		return err
	}},
	{name: "Query", call: func(_ context.Context, q sqlxTx, query string) error {
		return drain(q.Query(query))
	}},
	{name: "QueryContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		return drain(q.QueryContext(ctx, query))
	}},
	{name: "QueryRow", call: func(_ context.Context, q sqlxTx, query string) error {
		var v any
		return q.QueryRow(query).Scan(&v)
	}},
	{name: "QueryRowContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		var v any
		return q.QueryRowContext(ctx, query).Scan(&v)
	}},
	{name: "Queryx", call: func(_ context.Context, q sqlxTx, query string) error {
		rows, err := q.Queryx(query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if _, err := rows.SliceScan(); err != nil {
				return err
			}
		}
		return rows.Err()
	}},
	{name: "QueryxContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		rows, err := q.QueryxContext(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := rows.MapScan(map[string]any{}); err != nil {
				return err
			}
		}
		return rows.Err()
	}},
	{name: "QueryRowx", call: func(_ context.Context, q sqlxTx, query string) error {
		var v any
		return q.QueryRowx(query).Scan(&v)
	}},
	{name: "QueryRowxContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		return q.QueryRowxContext(ctx, query).MapScan(map[string]any{})
	}},
	{name: "Get", call: func(_ context.Context, q sqlxTx, query string) error {
		var v any
		return q.Get(&v, query)
	}},
	{name: "GetContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		var v any
		return q.GetContext(ctx, &v, query)
	}},
	{name: "Select", call: func(_ context.Context, q sqlxTx, query string) error {
		var v []any
		return q.Select(&v, query)
	}},
	{name: "SelectContext", withCtx: true, call: func(ctx context.Context, q sqlxTx, query string) error {
		var v []any
		return q.SelectContext(ctx, &v, query)
	}},
	{name: "NamedQuery", call: func(_ context.Context, q sqlxTx, query string) error {
		rows, err := q.NamedQuery(query, map[string]any{})
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	}},
}

// recovered turns MustExec's panic into the error it panicked with.
func recovered(err *error) {
	if r := recover(); r != nil {
		*err = r.(error)
	}
}

// onTx runs fn on an *sqlx.Tx of db with tenant set in setting and rolls
// back: what the same call returns on the transaction the handle replaces.
func onTx(ctx context.Context, db *sqlx.DB, setting, tenant string, fn func(q sqlxTx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "select set_config($1, $2, true)", setting, tenant); err != nil {
		return err
	}
	return fn(tx)
}

// describe is an error's type and text, to compare errors unwrapped.
func describe(err error) string {
	if err == nil {
		return "no error"
	}
	return fmt.Sprintf("%T: %v", err, err)
}

// oneRowSQL is the visible tenants and their rows, as one row.
const oneRowSQL = "select coalesce(string_agg(distinct tenant_id, ','), '') as tenant_id, count(*) as count from items"

// namedCountSQL is countSQL with a named parameter.
const namedCountSQL = "select tenant_id, count(*) from items where name like :pattern group by tenant_id"

var namedArg = map[string]any{"pattern": "item %"}

// sqlxReads read the visible rows of each tenant through every read method
// of the handle and sqlx's package functions, scanning as sqlx code does.
var sqlxReads = []struct {
	name string
	read func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error)
}{
	{name: "Get", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var c tenantCount
		err := h.Get(&c, oneRowSQL)
		return tallyCounts([]tenantCount{c}), err
	}},
	{name: "GetContext", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var c tenantCount
		err := h.GetContext(ctx, &c, oneRowSQL)
		return tallyCounts([]tenantCount{c}), err
	}},
	{name: "Select", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var rows []tenantCount
		err := h.Select(&rows, countSQL)
		return tallyCounts(rows), err
	}},
	{name: "SelectContext", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		return countByTenantSqlx(ctx, h)
	}},
	{name: "Queryx StructScan", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		return structScanAll(h.Queryx(countSQL))
	}},
	{name: "QueryxContext MapScan", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		rows, err := h.QueryxContext(ctx, countSQL)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var all []tenantCount
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				return nil, err
			}
			all = append(all, tenantCount{Tenant: m["tenant_id"].(string), N: int(m["count"].(int64))})
		}
		return tallyCounts(all), rows.Err()
	}},
	{name: "Queryx SliceScan", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		rows, err := h.Queryx(countSQL)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var all []tenantCount
		for rows.Next() {
			s, err := rows.SliceScan()
			if err != nil {
				return nil, err
			}
			all = append(all, tenantCount{Tenant: s[0].(string), N: int(s[1].(int64))})
		}
		return tallyCounts(all), rows.Err()
	}},
	{name: "QueryRowx StructScan", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var c tenantCount
		err := h.QueryRowx(oneRowSQL).StructScan(&c)
		return tallyCounts([]tenantCount{c}), err
	}},
	{name: "QueryRowxContext MapScan", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		m := map[string]any{}
		if err := h.QueryRowxContext(ctx, oneRowSQL).MapScan(m); err != nil {
			return nil, err
		}
		return map[string]int{m["tenant_id"].(string): int(m["count"].(int64))}, nil
	}},
	{name: "QueryRowx SliceScan", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		s, err := h.QueryRowx(oneRowSQL).SliceScan()
		if err != nil {
			return nil, err
		}
		return map[string]int{s[0].(string): int(s[1].(int64))}, nil
	}},
	{name: "Query", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		rows, err := h.Query(countSQL)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return collectCounts(rows.Next, rows.Scan, rows.Err)
	}},
	{name: "QueryContext", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		return countByTenantSQL(ctx, h)
	}},
	{name: "QueryRow", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var c tenantCount
		err := h.QueryRow(oneRowSQL).Scan(&c.Tenant, &c.N)
		return tallyCounts([]tenantCount{c}), err
	}},
	{name: "QueryRowContext", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var c tenantCount
		err := h.QueryRowContext(ctx, oneRowSQL).Scan(&c.Tenant, &c.N)
		return tallyCounts([]tenantCount{c}), err
	}},
	{name: "NamedQuery", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		return structScanAll(h.NamedQuery(namedCountSQL, namedArg))
	}},
	{name: "NamedQueryContext", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		return structScanAll(h.NamedQueryContext(ctx, namedCountSQL, namedArg))
	}},
	{name: "sqlx.Get", read: func(_ context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var c tenantCount
		err := sqlx.Get(h, &c, oneRowSQL)
		return tallyCounts([]tenantCount{c}), err
	}},
	{name: "sqlx.SelectContext", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		var rows []tenantCount
		err := sqlx.SelectContext(ctx, h, &rows, countSQL)
		return tallyCounts(rows), err
	}},
	{name: "sqlx.NamedQueryContext", read: func(ctx context.Context, h *sqlxpool.Handle) (map[string]int, error) {
		return structScanAll(sqlx.NamedQueryContext(ctx, h, namedCountSQL, namedArg))
	}},
}

func structScanAll(rows *sqlx.Rows, err error) (map[string]int, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []tenantCount
	for rows.Next() {
		var c tenantCount
		if err := rows.StructScan(&c); err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	return tallyCounts(all), rows.Err()
}

// event is a row of events, whose tenant column defaults to the setting.
type event struct {
	Name string `db:"name"`
}

// sqlxWrites insert an event named name through every write method.
var sqlxWrites = []struct {
	name  string
	write func(ctx context.Context, h *sqlxpool.Handle, name string) (sql.Result, error)
}{
	{name: "Exec", write: func(_ context.Context, h *sqlxpool.Handle, name string) (sql.Result, error) {
		return h.Exec("insert into events (name) values ($1)", name)
	}},
	{name: "ExecContext", write: func(ctx context.Context, h *sqlxpool.Handle, name string) (sql.Result, error) {
		return h.ExecContext(ctx, "insert into events (name) values ($1)", name)
	}},
	{name: "MustExec", write: func(_ context.Context, h *sqlxpool.Handle, name string) (sql.Result, error) {
		return h.MustExec("insert into events (name) values ($1)", name), nil
	}},
	{name: "MustExecContext", write: func(ctx context.Context, h *sqlxpool.Handle, name string) (sql.Result, error) {
		return h.MustExecContext(ctx, "insert into events (name) values ($1)", name), nil
	}},
	{name: "NamedExec", write: func(_ context.Context, h *sqlxpool.Handle, name string) (sql.Result, error) {
		return h.NamedExec("insert into events (name) values (:name)", event{Name: name})
	}},
	{name: "NamedExecContext", write: func(ctx context.Context, h *sqlxpool.Handle, name string) (sql.Result, error) {
		return h.NamedExecContext(ctx, "insert into events (name) values (:name)", map[string]any{"name": name})
	}},
	{name: "sqlx.NamedExecContext", write: func(ctx context.Context, h *sqlxpool.Handle, name string) (sql.Result, error) {
		return sqlx.NamedExecContext(ctx, h, "insert into events (name) values (:name)", event{Name: name})
	}},
}

// TestSqlxHandleSeesItsTenantOnly runs every method of a sqlxpool.Handle
// behind PgBouncer in transaction mode, with every server connection
// carrying another tenant at session level: each read sees exactly its
// tenant's rows, each write lands in its tenant, and no write reaches
// another tenant's rows under the forced policy.
func TestSqlxHandleSeesItsTenantOnly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	url := f.db.AppBouncerURL + "&default_query_exec_mode=exec"
	poisonServerConnections(t, f.pool(t, url, 3), 3)
	db := f.sqlxDB(t, url)

	t.Run("the hazard: a bare read sees the leftover tenant", func(t *testing.T) {
		counts, err := countByTenantSqlx(ctx, db)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{poisonedTenant: 9}, counts, "the rig does not show the hazard")
	})

	h := sqlxpool.For(db, "t03")
	for _, r := range sqlxReads {
		t.Run("read: "+r.name, func(t *testing.T) {
			counts, err := r.read(ctx, h)
			require.NoError(t, err)
			assert.Equal(t, map[string]int{"t03": 3}, counts)
			assert.Zero(t, db.Stats().InUse)
		})
	}

	var names []string
	for _, w := range sqlxWrites {
		t.Run("write: "+w.name, func(t *testing.T) {
			res, err := w.write(ctx, h, w.name)
			require.NoError(t, err)
			n, err := res.RowsAffected()
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			names = append(names, w.name)
		})
	}
	t.Run("write: NamedExec of a slice", func(t *testing.T) {
		res, err := h.NamedExec("insert into events (name) values (:name)", []event{{Name: "batch 1"}, {Name: "batch 2"}})
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		names = append(names, "batch 1", "batch 2")
	})
	t.Run("writes are committed in their tenant", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, f.db.URL)
		require.NoError(t, err)
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, "select name, tenant_id from events")
		require.NoError(t, err)
		tenants, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Tenant string }])
		require.NoError(t, err)
		want := map[string]string{}
		for _, name := range names {
			want[name] = "t03"
		}
		got := map[string]string{}
		for _, e := range tenants {
			got[e.Name] = e.Tenant
		}
		assert.Equal(t, want, got)
	})
	t.Run("a write to another tenant's rows is refused by the policy", func(t *testing.T) {
		_, err := h.NamedExec("insert into items (tenant_id, name) values (:tenant_id, 'foreign')", map[string]any{"tenant_id": "t04"})
		wantPgError("42501")(t, err)
	})
	assertServerConnections(t, f, 3)
}

// TestSqlxHandleErrorsAreTheTransactions checks that every call returns
// the error the same call on an *sqlx.Tx with the tenant set returns, of
// the same type (the driver's, unwrapped), and leaves no connection in use.
func TestSqlxHandleErrorsAreTheTransactions(t *testing.T) {
	f := newFixture(t)
	db := f.sqlxDB(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		setting string
		ctx     func() (context.Context, context.CancelFunc)
		sql     string
		ctxOnly bool
		wantErr func(t *testing.T, call string, err error)
	}{
		{
			name: "bad SQL",
			sql:  "selec 1",
			wantErr: func(t *testing.T, _ string, err error) {
				_, ok := err.(*pgconn.PgError)
				assert.True(t, ok, "want *pgconn.PgError itself, got %T", err)
				wantPgError("42601")(t, err)
			},
		},
		{
			name:    "bad setting name",
			setting: "bad setting",
			sql:     "select 1",
			wantErr: func(t *testing.T, _ string, err error) { wantPgError("42704")(t, err) },
		},
		{
			name: "no row",
			sql:  "select 1 from items where false",
			wantErr: func(t *testing.T, call string, err error) {
				if strings.HasPrefix(call, "QueryRow") || strings.HasPrefix(call, "Get") {
					assert.True(t, err == sql.ErrNoRows, "want sql.ErrNoRows itself, got %v", err)
				} else {
					assert.NoError(t, err)
				}
			},
		},
		{
			name:    "error after the first row",
			sql:     "select 1 / (2 - i) from generate_series(1, 3) i",
			wantErr: func(t *testing.T, _ string, err error) { wantPgError("22012")(t, err) },
		},
		{
			name:    "row-level security refuses another tenant's row",
			sql:     "insert into items (tenant_id, name) values ('t04', 'foreign') returning id",
			wantErr: func(t *testing.T, _ string, err error) { wantPgError("42501")(t, err) },
		},
		{
			name:    "cancelled context",
			ctx:     func() (context.Context, context.CancelFunc) { return cancelled, func() {} },
			sql:     "select 1",
			ctxOnly: true,
			wantErr: func(t *testing.T, _ string, err error) { assert.Equal(t, context.Canceled, err) },
		},
		{
			name: "deadline during the statement",
			// The handle's BEGIN and set_config come before the statement:
			// enough time for them on a loaded machine, so the deadline
			// falls in the statement for the handle as for the tx.
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 500*time.Millisecond)
			},
			sql:     "select pg_sleep(5)",
			ctxOnly: true,
			wantErr: func(t *testing.T, _ string, err error) {
				assert.True(t, pgconn.Timeout(err), "want a timeout, got %v", err)
			},
		},
	}
	for _, tt := range tests {
		setting := tenantpool.DefaultSetting
		if tt.setting != "" {
			setting = tt.setting
		}
		h := sqlxpool.ForSetting(db, setting, "t01")
		for _, c := range sqlxCalls {
			if tt.ctxOnly && !c.withCtx {
				continue
			}
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				run := func(q sqlxTx) error {
					ctx, cancel := context.Background(), func() {}
					if tt.ctx != nil {
						ctx, cancel = tt.ctx()
					}
					defer cancel()
					if q == nil {
						return onTx(ctx, db, setting, "t01", func(tx sqlxTx) error { return c.call(ctx, tx, tt.sql) })
					}
					return c.call(ctx, q, tt.sql)
				}
				want := run(nil)
				got := run(h)
				assert.Equal(t, describe(want), describe(got), "the error of the same call on *sqlx.Tx")
				tt.wantErr(t, c.name, got)
				assertIdleSqlx(t, db)
			})
		}
	}
}

// assertIdleSqlx is assertIdle for an sqlx pool.
func assertIdleSqlx(t *testing.T, db *sqlx.DB) {
	t.Helper()
	assert.Eventually(t, func() bool { return db.Stats().InUse == 0 },
		5*time.Second, 10*time.Millisecond, "a connection is still in use")
	var n int
	assert.NoError(t, sqlxpool.For(db, "t02").Get(&n, "select count(*) from items"))
	assert.Equal(t, 2, n)
}

// TestSqlxHandleRefuses checks that the handle refuses transaction control
// and session-level settings, in named queries after binding too, and an
// unsupported tenant id, before it opens a connection.
func TestSqlxHandleRefuses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db := f.sqlxDB(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec") // database/sql connects on first use
	h := sqlxpool.For(db, "t01")
	for _, sql := range refused {
		for _, c := range sqlxCalls {
			t.Run(c.name+": "+sql, func(t *testing.T) {
				require.ErrorIs(t, c.call(ctx, h, sql), tenantpool.ErrRefused)
			})
		}
	}
	t.Run("a named session-level set_config", func(t *testing.T) {
		_, err := h.NamedExec("select set_config('app.current_tenant_id', :tenant, :local)",
			map[string]any{"tenant": "t02", "local": false})
		require.ErrorIs(t, err, tenantpool.ErrRefused)
		_, err = h.NamedQuery("select set_config('app.current_tenant_id', :tenant, :local)",
			map[string]any{"tenant": "t02", "local": "off"})
		require.ErrorIs(t, err, tenantpool.ErrRefused)
	})
	unsupported := sqlxpool.For(db, struct{ id int }{1})
	for _, c := range sqlxCalls {
		t.Run("unsupported tenant id: "+c.name, func(t *testing.T) {
			err := c.call(ctx, unsupported, "select 1")
			assert.ErrorContains(t, err, "tenant id of type struct { id int } cannot be rendered as text")
		})
	}
	assert.Zero(t, db.Stats().OpenConnections, "no connection may be opened for a refused call")
}

// TestSqlxConnectionHold checks that no call holds a connection once it
// returns, results included, and that each leaves its connection idle and
// reusable.
func TestSqlxConnectionHold(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db := f.sqlxDB(t, f.db.AppURL+"&default_query_exec_mode=exec")
	db.SetMaxOpenConns(2)
	h := sqlxpool.For(db, "t03")
	var pid int
	require.NoError(t, h.Get(&pid, "select pg_backend_pid()"))

	t.Run("rows come back holding no connection", func(t *testing.T) {
		rows, err := h.QueryxContext(ctx, "select id, name from items order by id")
		require.NoError(t, err)
		defer rows.Close()
		assert.Zero(t, db.Stats().InUse, "the transaction is over before the first row is read")
		var names []string
		for rows.Next() {
			var item struct {
				ID   int64  `db:"id"`
				Name string `db:"name"`
			}
			require.NoError(t, rows.StructScan(&item))
			names = append(names, item.Name)
		}
		require.NoError(t, rows.Err())
		assert.Equal(t, []string{"item 1", "item 2", "item 3"}, names)
	})
	t.Run("a row holds no connection before Scan", func(t *testing.T) {
		row := h.QueryRowxContext(ctx, "select count(*) from items")
		assert.Zero(t, db.Stats().InUse)
		var n int
		require.NoError(t, row.Scan(&n))
		assert.Equal(t, 3, n)
	})
	for _, c := range sqlxCalls {
		t.Run(c.name+" holds nothing once it returns", func(t *testing.T) {
			require.NoError(t, c.call(ctx, h, "select id from items"))
			assert.Zero(t, db.Stats().InUse)
		})
	}
	// A connection released inside a transaction would have been
	// discarded and replaced.
	var after int
	require.NoError(t, h.Get(&after, "select pg_backend_pid()"))
	assert.Equal(t, pid, after, "every call left its connection idle and reusable")
	assert.Equal(t, 1, db.Stats().OpenConnections)
}

// typesSQL returns a value of each kind a handler scans.
const typesSQL = `select i::int8 as i8, i::int4 as i4, 'x' || i as t, null::text as n, 1.50::numeric as num,
	i = 1 as b, '\x0102'::bytea as bin, '{"a": 1}'::jsonb as j, '2024-01-02 03:04:05+00'::timestamptz as ts,
	'2024-01-02'::date as d, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as u, array[i, 2]::int[] as arr,
	1.25::float8 as f
from generate_series(1, 2) i`

type typesRow struct {
	I8  int64          `db:"i8"`
	I4  int32          `db:"i4"`
	T   string         `db:"t"`
	N   sql.NullString `db:"n"`
	Num string         `db:"num"`
	B   bool           `db:"b"`
	Bin []byte         `db:"bin"`
	J   []byte         `db:"j"`
	TS  time.Time      `db:"ts"`
	D   time.Time      `db:"d"`
	U   string         `db:"u"`
	Arr string         `db:"arr"`
	F   float64        `db:"f"`
}

// scanned is what a handler's scans make of a query's result.
type scanned struct {
	Columns []string
	Structs []typesRow
	Maps    []map[string]any
	Slices  [][]any
	Row     typesRow
	RowMap  map[string]any
	Get     typesRow
	Select  []typesRow
}

// scanAll reads typesSQL through q with each of sqlx's scans.
func scanAll(t *testing.T, q sqlxTx) scanned {
	t.Helper()
	var s scanned
	scan := func(each func(rows *sqlx.Rows) error) {
		rows, err := q.Queryx(typesSQL)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			require.NoError(t, each(rows))
		}
		require.NoError(t, rows.Err())
	}
	scan(func(rows *sqlx.Rows) error {
		if s.Columns == nil {
			types, err := rows.ColumnTypes()
			require.NoError(t, err)
			for _, c := range types {
				nullable, ok := c.Nullable()
				s.Columns = append(s.Columns, fmt.Sprintf("%s %s %v %v %v", c.Name(), c.DatabaseTypeName(), c.ScanType(), nullable, ok))
			}
		}
		var r typesRow
		s.Structs = append(s.Structs, r)
		return rows.StructScan(&s.Structs[len(s.Structs)-1])
	})
	scan(func(rows *sqlx.Rows) error {
		m := map[string]any{}
		s.Maps = append(s.Maps, m)
		return rows.MapScan(m)
	})
	scan(func(rows *sqlx.Rows) error {
		v, err := rows.SliceScan()
		s.Slices = append(s.Slices, v)
		return err
	})
	require.NoError(t, q.QueryRowx(typesSQL).StructScan(&s.Row))
	s.RowMap = map[string]any{}
	require.NoError(t, q.QueryRowx(typesSQL).MapScan(s.RowMap))
	require.NoError(t, q.Get(&s.Get, typesSQL))
	require.NoError(t, q.Select(&s.Select, typesSQL))
	return s
}

// TestSqlxReplayScansAsTheDriver checks that StructScan, MapScan,
// SliceScan, Get and Select make of the handle's replayed results exactly
// what they make of the driver's rows on a transaction.
func TestSqlxReplayScansAsTheDriver(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db := f.sqlxDB(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec")
	var want scanned
	require.NoError(t, onTx(ctx, db, tenantpool.DefaultSetting, "t01", func(tx sqlxTx) error {
		want = scanAll(t, tx)
		return nil
	}))
	require.Len(t, want.Structs, 2)
	assert.Equal(t, []byte{1, 2}, want.Row.Bin)
	got := scanAll(t, sqlxpool.For(db, "t01"))
	assert.Equal(t, want, got)
}

// TestSqlxHandleMapperAndUnsafe checks that the handle binds and scans
// with its *sqlx.DB's mapper, driver name and Unsafe setting, as a
// transaction begun on it would.
func TestSqlxHandleMapperAndUnsafe(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db := f.sqlxDB(t, f.db.AppURL+"&default_query_exec_mode=exec")
	h := sqlxpool.For(db, "t03")

	t.Run("binding", func(t *testing.T) {
		assert.Equal(t, "pgx", h.DriverName())
		assert.Equal(t, "select $1, $2", h.Rebind("select ?, ?"))
		q, args, err := h.BindNamed("select :name, :name", event{Name: "a"})
		require.NoError(t, err)
		assert.Equal(t, "select $1, $2", q)
		assert.Equal(t, []any{"a", "a"}, args)
	})

	const extraSQL = "select name, id from items order by id limit 1"
	type nameOnly struct {
		Name string `db:"name"`
	}
	t.Run("a column the struct lacks", func(t *testing.T) {
		var n nameOnly
		want := onTx(ctx, db, tenantpool.DefaultSetting, "t03", func(tx sqlxTx) error { return tx.Get(&n, extraSQL) })
		require.Error(t, want)
		assert.Equal(t, describe(want), describe(h.Get(&n, extraSQL)))
		var all []nameOnly
		want = onTx(ctx, db, tenantpool.DefaultSetting, "t03", func(tx sqlxTx) error { return tx.Select(&all, extraSQL) })
		require.Error(t, want)
		assert.Equal(t, describe(want), describe(h.Select(&all, extraSQL)))
	})
	t.Run("Unsafe", func(t *testing.T) {
		for name, u := range map[string]*sqlxpool.Handle{
			"the handle's Unsafe":             h.Unsafe(),
			"a handle for the DB's Unsafe":    sqlxpool.For(db.Unsafe(), "t03"),
			"the Unsafe handle's safe origin": h,
		} {
			var n nameOnly
			var all []nameOnly
			errGet, errSelect := u.Get(&n, extraSQL), u.Select(&all, extraSQL)
			if u == h {
				assert.Error(t, errGet, name)
				assert.Error(t, errSelect, name)
				continue
			}
			require.NoError(t, errGet, name)
			require.NoError(t, errSelect, name)
			assert.Equal(t, "item 1", n.Name, name)
			assert.Equal(t, []nameOnly{{Name: "item 1"}}, all, name)
		}
	})
	t.Run("the DB's mapper", func(t *testing.T) {
		jdb := sqlx.NewDb(db.DB, "pgx")
		jdb.Mapper = reflectx.NewMapperFunc("json", strings.ToLower)
		j := sqlxpool.For(jdb, "t03")
		type tagged struct {
			ItemName string `json:"name"`
		}
		var got tagged
		require.NoError(t, j.Get(&got, "select name from items order by id limit 1"))
		assert.Equal(t, "item 1", got.ItemName)
		_, err := j.NamedExec("insert into events (name) values (:name)", tagged{ItemName: "json"})
		require.NoError(t, err)
		got = tagged{}
		require.NoError(t, sqlx.Get(j, &got, "select name from events where name = 'json'"))
		assert.Equal(t, "json", got.ItemName, "sqlx.Get scans with the handle's rows, which carry the mapper")

		// The limit the package documents: sqlx's package functions bind
		// with its default mapper for anything but its own DB and Tx.
		_, err = sqlx.NamedExec(j, "insert into events (name) values (:name)", tagged{ItemName: "default mapper"})
		assert.ErrorContains(t, err, "could not find name name")
	})
}

// drain reads rows to the end.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}
