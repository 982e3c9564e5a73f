package tenantpool

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Pool is what a Handle needs from a pgx connection pool. *pgxpool.Pool
// provides it, as do *pgx.Conn and pool wrappers that delegate to either
// (CopyFrom also needs Batch.BeginTx honoured, which both do).
type Pool interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Handle runs statements on a pgx pool, each in its own implicit
// transaction with the tenant set. It has the methods of pgx.Tx that
// queries use, so it satisfies the querier interfaces of pgx code and the
// DBTX interface of sqlc-generated code. A Handle is cheap; make one per
// request. It is safe for concurrent use.
type Handle struct {
	pool    Pool
	setting string
	tenant  string
	err     error
}

// For returns a handle that runs statements on pool as tenant, set in
// DefaultSetting. The tenant id may be a string, an integer, a uuid.UUID or
// any value with a driver.Valuer or String method, on the value or its
// pointer (*big.Int).
func For(pool Pool, tenant any) *Handle {
	return ForSetting(pool, DefaultSetting, tenant)
}

// ForSetting is For with the configuration parameter that the policies read.
func ForSetting(pool Pool, setting string, tenant any) *Handle {
	text, err := tenantText(tenant)
	return &Handle{pool: pool, setting: setting, tenant: text, err: err}
}

// Exec runs sql with the tenant set and returns its command tag.
func (h *Handle) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := h.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	return tag, err
}

// Query runs sql with the tenant set. The rows hold the connection until
// they are closed or Next returns false.
func (h *Handle) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := h.send(ctx, sql, args)
	if err != nil {
		return errRows{err: err}, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return errRows{err: err}, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs sql with the tenant set. The row holds the connection until
// Scan, which returns pgx.ErrNoRows when there is no row.
func (h *Handle) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, _ := h.Query(ctx, sql, args...)
	return firstRow{rows: rows}
}

// send sends the tenant setting and sql as one batch and reads the
// setting's result, leaving the statement's to the caller.
func (h *Handle) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b, err := h.batch(&pgx.QueuedQuery{SQL: sql, Arguments: args})
	if err != nil {
		return nil, err
	}
	br := h.pool.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	return br, nil
}

// batch is the tenant setting followed by queries, or why they must not
// be sent: a tenant id that cannot be rendered, or a statement that would
// escape the tenant's scope.
func (h *Handle) batch(queries ...*pgx.QueuedQuery) (*pgx.Batch, error) {
	if h.err != nil {
		return nil, h.err
	}
	if err := refuse(queries); err != nil {
		return nil, err
	}
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(queries)+1)}
	b.Queue(setTenantSQL, h.setting, h.tenant)
	b.QueuedQueries = append(b.QueuedQueries, queries...)
	return b, nil
}

// refuse checks every statement of queries before any is sent (refuseSQL).
func refuse(queries []*pgx.QueuedQuery) error {
	for _, q := range queries {
		if err := refuseSQL(q.SQL, q.Arguments); err != nil {
			return err
		}
	}
	return nil
}
