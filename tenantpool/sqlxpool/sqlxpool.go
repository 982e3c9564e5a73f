// Package sqlxpool is tenantpool's handle for sqlx: statements on an
// *sqlx.DB with the tenant of PostgreSQL row-level security set for each
// statement, and for nothing else. It is a package of its own so that only
// code that uses sqlx depends on it.
//
//	x := sqlxpool.For(s.db, tenantID) // s.db is a *sqlx.DB
//	err := x.GetContext(ctx, &c, "select * from customers where id = $1", id)
//
// Each call runs as tenantpool's database/sql handle (tenantpool.ForDB)
// runs it, on the *sqlx.DB's database/sql pool: a short transaction,
// BEGIN, select set_config($setting, $tenant, true), the statement, COMMIT,
// so the setting overrides whatever another client left on the connection
// and is gone when the call ends, behind PgBouncer in transaction mode too.
// Results are read whole inside the transaction and handed back as
// *sqlx.Rows and *sqlx.Row (or *sql.Rows and *sql.Row) that hold no
// connection; StructScan, MapScan and SliceScan make of them exactly what
// they make of the driver's rows on a transaction, and Get and Select scan
// them as sqlx does. Errors are the driver's, unwrapped, as on an
// *sqlx.Tx; a statement with transaction control or a session-level
// setting fails with tenantpool.ErrRefused before a connection is taken
// (a named query as bound), as does a tenant id that cannot be rendered.
//
// A Handle has the query methods of *sqlx.Tx with their signatures, so
// code written against *sqlx.Tx that uses only these, or against sqlx.Ext,
// sqlx.ExtContext, sqlx.Queryer(Context) or sqlx.Execer(Context), compiles
// unchanged against it: Get, Select, Exec, MustExec, NamedExec, Queryx,
// QueryRowx, Query, QueryRow (each with its Context form), NamedQuery,
// Rebind, BindNamed and DriverName; NamedQueryContext too, which *sqlx.DB
// has and *sqlx.Tx does not. As db.Beginx does, the handle takes the
// *sqlx.DB's mapper and Unsafe setting when it is made; Unsafe returns an
// unsafe copy of the handle.
//
// What differs from *sqlx.Tx:
//
//   - No Commit, Rollback, Prepare, Preparex, PrepareNamed, Stmt, Stmtx or
//     NamedStmt (nor their Context forms): there is no transaction to end,
//     and a prepared statement would outlive the call's.
//   - No atomicity or consistent view across calls: each commits on its
//     own. Writes that must succeed or fail together belong in one
//     transaction.
//   - Results are read whole before the call returns: a statement that
//     fails after some rows fails in Queryx or Query, not in the rows' Err;
//     QueryRowx, QueryRow and Get read the first row only, as on a
//     transaction. Page large results.
//   - sqlx's package functions bind named queries with sqlx's default
//     mapper for anything but its own DB and Tx: sqlx.NamedExec(h, …) and
//     sqlx.NamedQuery(h, …) ignore a mapper set on the *sqlx.DB, where
//     h.NamedExec and h.NamedQuery use it. sqlx.Get(h, …) and
//     sqlx.Select(h, …) scan with it.
//
// Behind a transaction-mode pooler, open the pool with pgx's stdlib driver
// and default_query_exec_mode=exec (or simple_protocol), as the package
// tenantpool explains.
package sqlxpool

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"

	"github.com/txscope/txscope/tenantpool"
)

// Handle runs statements on an sqlx pool, each in its own short
// transaction with the tenant set. A Handle is cheap; make one per
// request. It is safe for concurrent use.
type Handle struct {
	sql *tenantpool.SQLHandle
	db  *sqlx.DB
	// replay hands buffered results back as sqlx's types, with db's
	// mapper and Unsafe setting: sqlx makes them only from a *sql.DB.
	replay *sqlx.DB
}

// The interfaces sqlx's package functions (Get, Select, NamedExec, …) take.
var (
	_ sqlx.Ext            = (*Handle)(nil)
	_ sqlx.ExtContext     = (*Handle)(nil)
	_ sqlx.Queryer        = (*Handle)(nil)
	_ sqlx.QueryerContext = (*Handle)(nil)
	_ sqlx.Execer         = (*Handle)(nil)
	_ sqlx.ExecerContext  = (*Handle)(nil)
)

// For returns a handle that runs statements on db as tenant, set in
// tenantpool.DefaultSetting. The tenant id may be a string, an integer, a
// uuid.UUID or any value with a driver.Valuer or String method, on the
// value or its pointer (*big.Int).
func For(db *sqlx.DB, tenant any) *Handle {
	return ForSetting(db, tenantpool.DefaultSetting, tenant)
}

// ForSetting is For with the configuration parameter that the policies
// read.
func ForSetting(db *sqlx.DB, setting string, tenant any) *Handle {
	h := &Handle{db: db, replay: &sqlx.DB{DB: tenantpool.ReplayDB()}}
	var pool *sql.DB
	// A nil db fails where it is used, as an *sqlx.DB would, not here.
	if db != nil {
		pool = db.DB
		h.replay.Mapper = db.Mapper
		// Unsafe is all a *sqlx.DB may differ by from its Unsafe copy.
		if *db == *db.Unsafe() {
			h.replay = h.replay.Unsafe()
		}
	}
	h.sql = tenantpool.ForDBSetting(pool, setting, tenant)
	return h
}

// Unsafe returns a handle whose results scan into structs that lack some of
// their columns, as *sqlx.Tx's Unsafe does.
func (h *Handle) Unsafe() *Handle {
	u := *h
	u.replay = h.replay.Unsafe()
	return &u
}

// DriverName is the driver name of the handle's *sqlx.DB.
func (h *Handle) DriverName() string { return h.db.DriverName() }

// Rebind rewrites query's ? bindvars into the driver's, as the *sqlx.DB's
// Rebind does.
func (h *Handle) Rebind(query string) string { return h.db.Rebind(query) }

// BindNamed binds query's named parameters to fields of arg, with the
// *sqlx.DB's bindvars and mapper.
func (h *Handle) BindNamed(query string, arg any) (string, []any, error) {
	return h.db.BindNamed(query, arg)
}

// ExecContext runs query with the tenant set and commits.
func (h *Handle) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return h.sql.ExecContext(ctx, query, args...)
}

// Exec is ExecContext with context.Background().
func (h *Handle) Exec(query string, args ...any) (sql.Result, error) {
	return h.ExecContext(context.Background(), query, args...)
}

// MustExecContext is ExecContext, panicking on error.
func (h *Handle) MustExecContext(ctx context.Context, query string, args ...any) sql.Result {
	return sqlx.MustExecContext(ctx, h, query, args...)
}

// MustExec is Exec, panicking on error.
func (h *Handle) MustExec(query string, args ...any) sql.Result {
	return sqlx.MustExec(h, query, args...)
}

// NamedExecContext binds query's named parameters to arg (BindNamed) and
// runs it with ExecContext.
func (h *Handle) NamedExecContext(ctx context.Context, query string, arg any) (sql.Result, error) {
	q, args, err := h.BindNamed(query, arg)
	if err != nil {
		return nil, err
	}
	return h.ExecContext(ctx, q, args...)
}

// NamedExec is NamedExecContext with context.Background().
func (h *Handle) NamedExec(query string, arg any) (sql.Result, error) {
	return h.NamedExecContext(context.Background(), query, arg)
}

// QueryxContext runs query with the tenant set, reads all its rows and
// commits. The rows it returns hold no connection.
func (h *Handle) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	res := h.sql.ReadContext(ctx, -1, query, args...)
	if err := res.Err(); err != nil {
		return nil, err
	}
	return h.replay.QueryxContext(context.Background(), "", res)
}

// Queryx is QueryxContext with context.Background().
func (h *Handle) Queryx(query string, args ...any) (*sqlx.Rows, error) {
	return h.QueryxContext(context.Background(), query, args...)
}

// QueryRowxContext runs query with the tenant set, reads its first row and
// commits. Scan and StructScan return sql.ErrNoRows when there is no row,
// and the statement's error when it failed.
func (h *Handle) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	return h.replay.QueryRowxContext(context.Background(), "", h.sql.ReadContext(ctx, 1, query, args...))
}

// QueryRowx is QueryRowxContext with context.Background().
func (h *Handle) QueryRowx(query string, args ...any) *sqlx.Row {
	return h.QueryRowxContext(context.Background(), query, args...)
}

// QueryContext is QueryxContext's result as *sql.Rows.
func (h *Handle) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return h.sql.QueryContext(ctx, query, args...)
}

// Query is QueryContext with context.Background().
func (h *Handle) Query(query string, args ...any) (*sql.Rows, error) {
	return h.QueryContext(context.Background(), query, args...)
}

// QueryRowContext is QueryRowxContext's result as *sql.Row.
func (h *Handle) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return h.sql.QueryRowContext(ctx, query, args...)
}

// QueryRow is QueryRowContext with context.Background().
func (h *Handle) QueryRow(query string, args ...any) *sql.Row {
	return h.QueryRowContext(context.Background(), query, args...)
}

// GetContext reads the first row of query into dest (a scannable value or
// a struct), as sqlx.GetContext does: sql.ErrNoRows when there is none.
func (h *Handle) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, h, dest, query, args...)
}

// Get is GetContext with context.Background().
func (h *Handle) Get(dest any, query string, args ...any) error {
	return h.GetContext(context.Background(), dest, query, args...)
}

// SelectContext reads all the rows of query into dest, a pointer to a
// slice, as sqlx.SelectContext does.
func (h *Handle) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, h, dest, query, args...)
}

// Select is SelectContext with context.Background().
func (h *Handle) Select(dest any, query string, args ...any) error {
	return h.SelectContext(context.Background(), dest, query, args...)
}

// NamedQueryContext binds query's named parameters to arg (BindNamed) and
// runs it with QueryxContext.
func (h *Handle) NamedQueryContext(ctx context.Context, query string, arg any) (*sqlx.Rows, error) {
	q, args, err := h.BindNamed(query, arg)
	if err != nil {
		return nil, err
	}
	return h.QueryxContext(ctx, q, args...)
}

// NamedQuery is NamedQueryContext with context.Background().
func (h *Handle) NamedQuery(query string, arg any) (*sqlx.Rows, error) {
	return h.NamedQueryContext(context.Background(), query, arg)
}
