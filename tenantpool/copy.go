package tenantpool

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// CopyFrom copies rows into a table with the tenant set, for defaults and
// triggers that read it: PostgreSQL refuses COPY FROM into a table under
// row-level security for a role its policies apply to. COPY cannot join a
// batch's implicit transaction, so it runs in a short explicit one: BEGIN
// and the setting in one round trip, the COPY, then COMMIT.
func (h *Handle) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if h.err != nil {
		return 0, h.err
	}
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(setTenantSQL, h.setting, h.tenant)
	br := h.pool.SendBatch(ctx, b)
	tx := br.Tx()
	if tx != nil {
		// Ends the transaction and releases the connection on every
		// path; after Commit it does nothing.
		defer func() { _ = tx.Rollback(ctx) }()
	}
	if err := br.Close(); err != nil {
		return 0, err
	}
	if tx == nil {
		return 0, errors.New("tenantpool: the pool's SendBatch does not support Batch.BeginTx")
	}
	n, err := tx.CopyFrom(ctx, table, columns, src)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit(ctx)
}
