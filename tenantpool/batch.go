package tenantpool

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SendBatch sends the tenant setting and b's queries as one batch, so all
// of them run in one implicit transaction with the tenant set. The results
// are b's (the setting's is read first, out of sight) and hold the
// connection until Close. A batch with transaction control or a
// session-level setting fails with ErrRefused before a connection is
// taken.
func (h *Handle) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	scoped, err := h.batch(b.QueuedQueries...)
	if err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	return &tenantBatchResults{BatchResults: h.pool.SendBatch(ctx, scoped)}
}

// tenantBatchResults skip the tenant setting's result before the first of
// the caller's.
type tenantBatchResults struct {
	pgx.BatchResults
	skipped bool
	err     error
}

// skipTenant reads the setting's result once; its error fails the batch.
func (br *tenantBatchResults) skipTenant() error {
	if !br.skipped {
		br.skipped = true
		_, br.err = br.BatchResults.Exec()
	}
	return br.err
}

func (br *tenantBatchResults) Exec() (pgconn.CommandTag, error) {
	if err := br.skipTenant(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return br.BatchResults.Exec()
}

func (br *tenantBatchResults) Query() (pgx.Rows, error) {
	if err := br.skipTenant(); err != nil {
		return errRows{err: err}, err
	}
	return br.BatchResults.Query()
}

func (br *tenantBatchResults) QueryRow() pgx.Row {
	if err := br.skipTenant(); err != nil {
		return firstRow{rows: errRows{err: err}}
	}
	return br.BatchResults.QueryRow()
}

// Close reads what is left (running the queued queries' callbacks) and
// releases the connection.
func (br *tenantBatchResults) Close() error {
	err := br.BatchResults.Close()
	if br.err != nil {
		return br.err
	}
	return err
}
