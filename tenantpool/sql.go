package tenantpool

import (
	"context"
	"database/sql"
)

// SQLHandle runs statements on a database/sql pool, each in its own short
// transaction with the tenant set. It is safe for concurrent use.
type SQLHandle struct {
	db      *sql.DB
	setting string
	tenant  string
	err     error
}

// ForDB returns a handle that runs statements on db as tenant, set in
// DefaultSetting. The tenant id may be a string, an integer, a uuid.UUID or
// any value with a driver.Valuer or String method, on the value or its
// pointer (*big.Int).
func ForDB(db *sql.DB, tenant any) *SQLHandle {
	return ForDBSetting(db, DefaultSetting, tenant)
}

// ForDBSetting is ForDB with the configuration parameter that the policies
// read.
func ForDBSetting(db *sql.DB, setting string, tenant any) *SQLHandle {
	text, err := tenantText(tenant)
	return &SQLHandle{db: db, setting: setting, tenant: text, err: err}
}

// ExecContext runs query with the tenant set and commits.
func (h *SQLHandle) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := h.refuse(query, args); err != nil {
		return nil, err
	}
	var res sql.Result
	err := h.inTx(ctx, func(tx *sql.Tx) (err error) {
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// QueryContext runs query with the tenant set, reads all its rows and
// commits. The rows it returns hold no connection.
func (h *SQLHandle) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return h.ReadContext(ctx, -1, query, args...).sqlRows()
}

// QueryRowContext runs query with the tenant set, reads its first row and
// commits. Scan returns sql.ErrNoRows when there is no row.
func (h *SQLHandle) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return h.ReadContext(ctx, 1, query, args...).sqlRow()
}

// ReadContext runs query with the tenant set, reads up to max of its rows
// (all when max < 0) and commits. The result, or the error that ended the
// call, holds no connection. QueryContext and QueryRowContext hand it back
// as database/sql's rows; a package whose row types can only be made from
// a *sql.DB (sqlx's) replays it through ReplayDB.
func (h *SQLHandle) ReadContext(ctx context.Context, max int, query string, args ...any) *Buffered {
	if err := h.refuse(query, args); err != nil {
		return &Buffered{err: err}
	}
	res := &Buffered{}
	err := h.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		return res.read(rows, max)
	})
	if err != nil {
		return &Buffered{err: err}
	}
	return res
}

// refuse is why query must not be sent: a tenant id that cannot be
// rendered, or a statement that would escape the tenant's scope
// (ErrRefused). Neither takes a connection.
func (h *SQLHandle) refuse(query string, args []any) error {
	if h.err != nil {
		return h.err
	}
	return refuseSQL(query, args)
}

// inTx runs fn in a transaction with the tenant set, committing if fn
// succeeds and rolling back otherwise.
func (h *SQLHandle) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if h.err != nil {
		return h.err
	}
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, setTenantSQL, h.setting, h.tenant); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// read keeps up to max of rows (all if max < 0) as the driver gave them,
// and closes rows.
func (b *Buffered) read(rows *sql.Rows, max int) error {
	defer rows.Close()
	columns, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	b.columns = columns
	for (max < 0 || len(b.rows) < max) && rows.Next() {
		// Scanning into *any keeps each driver value as it is, so that
		// replaying it converts exactly as the driver's own rows would.
		values := make([]any, len(columns))
		dest := make([]any, len(columns))
		for i := range dest {
			dest[i] = &values[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		b.rows = append(b.rows, values)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
