package tenantpool

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// SqlxHandle runs statements on an sqlx pool, each in its own short
// transaction with the tenant set, as an SQLHandle does. It has the query
// methods of *sqlx.Tx with the same signatures, so code written against
// *sqlx.Tx, sqlx.Ext or sqlx.ExtContext compiles unchanged against it.
// Results are read whole inside the transaction and handed back as
// *sqlx.Rows and *sqlx.Row (or *sql.Rows and *sql.Row) that hold no
// connection. It is safe for concurrent use.
type SqlxHandle struct {
	sql *SQLHandle
	db  *sqlx.DB
	// replay hands buffered results back as sqlx's types, with db's
	// mapper and Unsafe setting.
	replay *sqlx.DB
}

// The interfaces sqlx's package functions (Get, Select, NamedExec, …) take.
var (
	_ sqlx.Ext            = (*SqlxHandle)(nil)
	_ sqlx.ExtContext     = (*SqlxHandle)(nil)
	_ sqlx.Queryer        = (*SqlxHandle)(nil)
	_ sqlx.QueryerContext = (*SqlxHandle)(nil)
	_ sqlx.Execer         = (*SqlxHandle)(nil)
	_ sqlx.ExecerContext  = (*SqlxHandle)(nil)
)

// ForSqlx returns a handle that runs statements on db as tenant, set in
// DefaultSetting. The tenant id may be a string, an integer, a uuid.UUID or
// any value with a driver.Valuer or String method, on the value or its
// pointer (*big.Int). As db.Beginx does for a transaction, the handle takes
// db's mapper and Unsafe setting when it is made.
func ForSqlx(db *sqlx.DB, tenant any) *SqlxHandle {
	return ForSqlxSetting(db, DefaultSetting, tenant)
}

// ForSqlxSetting is ForSqlx with the configuration parameter that the
// policies read.
func ForSqlxSetting(db *sqlx.DB, setting string, tenant any) *SqlxHandle {
	h := &SqlxHandle{db: db, replay: &sqlx.DB{DB: replayDB()}}
	var pool *sql.DB
	if db != nil {
		pool = db.DB
		h.replay.Mapper = db.Mapper
		// Unsafe is all a *sqlx.DB may differ by from its Unsafe copy.
		if *db == *db.Unsafe() {
			h.replay = h.replay.Unsafe()
		}
	}
	h.sql = ForDBSetting(pool, setting, tenant)
	return h
}

// Unsafe returns a handle whose results scan into structs that lack some of
// their columns, as *sqlx.Tx's Unsafe does.
func (h *SqlxHandle) Unsafe() *SqlxHandle {
	u := *h
	u.replay = h.replay.Unsafe()
	return &u
}

// DriverName is the driver name of the handle's *sqlx.DB.
func (h *SqlxHandle) DriverName() string { return h.db.DriverName() }

// Rebind rewrites query's ? bindvars into the driver's, as the *sqlx.DB's
// Rebind does.
func (h *SqlxHandle) Rebind(query string) string { return h.db.Rebind(query) }

// BindNamed binds query's named parameters to fields of arg, with the
// *sqlx.DB's bindvars and mapper.
func (h *SqlxHandle) BindNamed(query string, arg any) (string, []any, error) {
	return h.db.BindNamed(query, arg)
}

// ExecContext runs query with the tenant set and commits.
func (h *SqlxHandle) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return h.sql.ExecContext(ctx, query, args...)
}

// Exec is ExecContext with context.Background().
func (h *SqlxHandle) Exec(query string, args ...any) (sql.Result, error) {
	return h.ExecContext(context.Background(), query, args...)
}

// MustExecContext is ExecContext, panicking on error.
func (h *SqlxHandle) MustExecContext(ctx context.Context, query string, args ...any) sql.Result {
	return sqlx.MustExecContext(ctx, h, query, args...)
}

// MustExec is Exec, panicking on error.
func (h *SqlxHandle) MustExec(query string, args ...any) sql.Result {
	return sqlx.MustExec(h, query, args...)
}

// NamedExecContext binds query's named parameters to arg (BindNamed) and
// runs it with ExecContext.
func (h *SqlxHandle) NamedExecContext(ctx context.Context, query string, arg any) (sql.Result, error) {
	q, args, err := h.BindNamed(query, arg)
	if err != nil {
		return nil, err
	}
	return h.ExecContext(ctx, q, args...)
}

// NamedExec is NamedExecContext with context.Background().
func (h *SqlxHandle) NamedExec(query string, arg any) (sql.Result, error) {
	return h.NamedExecContext(context.Background(), query, arg)
}

// QueryxContext runs query with the tenant set, reads all its rows and
// commits. The rows it returns hold no connection; StructScan, MapScan and
// SliceScan read them as they would the driver's.
func (h *SqlxHandle) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	res, err := h.read(ctx, query, args, -1)
	if err != nil {
		return nil, err
	}
	return h.replay.QueryxContext(context.Background(), "", res)
}

// Queryx is QueryxContext with context.Background().
func (h *SqlxHandle) Queryx(query string, args ...any) (*sqlx.Rows, error) {
	return h.QueryxContext(context.Background(), query, args...)
}

// QueryRowxContext runs query with the tenant set, reads its first row and
// commits. Scan and StructScan return sql.ErrNoRows when there is no row,
// and the statement's error when it failed.
func (h *SqlxHandle) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	res, err := h.read(ctx, query, args, 1)
	if err != nil {
		res = &buffered{err: err}
	}
	return h.replay.QueryRowxContext(context.Background(), "", res)
}

// QueryRowx is QueryRowxContext with context.Background().
func (h *SqlxHandle) QueryRowx(query string, args ...any) *sqlx.Row {
	return h.QueryRowxContext(context.Background(), query, args...)
}

// QueryContext is QueryxContext's result as *sql.Rows.
func (h *SqlxHandle) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return h.sql.QueryContext(ctx, query, args...)
}

// Query is QueryContext with context.Background().
func (h *SqlxHandle) Query(query string, args ...any) (*sql.Rows, error) {
	return h.QueryContext(context.Background(), query, args...)
}

// QueryRowContext is QueryRowxContext's result as *sql.Row.
func (h *SqlxHandle) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return h.sql.QueryRowContext(ctx, query, args...)
}

// QueryRow is QueryRowContext with context.Background().
func (h *SqlxHandle) QueryRow(query string, args ...any) *sql.Row {
	return h.QueryRowContext(context.Background(), query, args...)
}

// GetContext reads the first row of query into dest (a scannable value or
// a struct), as sqlx.GetContext does: sql.ErrNoRows when there is none.
func (h *SqlxHandle) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, h, dest, query, args...)
}

// Get is GetContext with context.Background().
func (h *SqlxHandle) Get(dest any, query string, args ...any) error {
	return h.GetContext(context.Background(), dest, query, args...)
}

// SelectContext reads all the rows of query into dest, a pointer to a
// slice, as sqlx.SelectContext does.
func (h *SqlxHandle) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, h, dest, query, args...)
}

// Select is SelectContext with context.Background().
func (h *SqlxHandle) Select(dest any, query string, args ...any) error {
	return h.SelectContext(context.Background(), dest, query, args...)
}

// NamedQueryContext binds query's named parameters to arg (BindNamed) and
// runs it with QueryxContext.
func (h *SqlxHandle) NamedQueryContext(ctx context.Context, query string, arg any) (*sqlx.Rows, error) {
	q, args, err := h.BindNamed(query, arg)
	if err != nil {
		return nil, err
	}
	return h.QueryxContext(ctx, q, args...)
}

// NamedQuery is NamedQueryContext with context.Background().
func (h *SqlxHandle) NamedQuery(query string, arg any) (*sqlx.Rows, error) {
	return h.NamedQueryContext(context.Background(), query, arg)
}

// read runs query in a short transaction and keeps up to max rows (all if
// max < 0).
func (h *SqlxHandle) read(ctx context.Context, query string, args []any, max int) (*buffered, error) {
	return h.sql.read(ctx, query, args, max)
}
