package txmetrics

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"
)

// Tx is a database/sql transaction whose duration and connection hold are
// recorded for the route of the context it began with. It embeds *sql.Tx:
// pass tx.Tx where a *sql.Tx is expected.
type Tx struct {
	*sql.Tx
	m     *Metrics
	ctx   context.Context
	attrs *routeAttrs
	start time.Time
	ended atomic.Bool
}

// BeginTx begins a transaction on db like db.BeginTx. database/sql has no
// pool hooks, so for it the time BeginTx takes (waiting for a connection
// plus the BEGIN round trip) stands for the acquire wait, and the
// transaction's span for the connection hold. Connections held outside a
// transaction are not seen, nor are statements counted per request. With
// pgx's stdlib driver, set Tracer on the driver's ConnConfig instead:
// statements and transactions are then traced per route. Do not use both,
// or transactions count twice.
func (m *Metrics) BeginTx(ctx context.Context, db *sql.DB, opts *sql.TxOptions) (*Tx, error) {
	attrs := m.attrsFor(requestFrom(ctx))
	start := time.Now()
	tx, err := db.BeginTx(ctx, opts)
	began := time.Now()
	m.acquireWait.Record(ctx, began.Sub(start).Seconds(), attrs.record...)
	if err != nil {
		m.acquireFailed(ctx, attrs, err)
		return nil, err
	}
	return &Tx{Tx: tx, m: m, ctx: ctx, attrs: attrs, start: began}, nil
}

// Commit commits the transaction and records it: committed when Commit
// succeeds, rolled back when it fails.
func (t *Tx) Commit() error {
	err := t.Tx.Commit()
	t.end(err == nil)
	return err
}

// Rollback rolls the transaction back and records it.
func (t *Tx) Rollback() error {
	err := t.Tx.Rollback()
	t.end(false)
	return err
}

// end records the transaction once: the first Commit or Rollback ends it,
// even one failing with sql.ErrTxDone because database/sql rolled the
// transaction back when its context ended.
func (t *Tx) end(committed bool) {
	if !t.ended.CompareAndSwap(false, true) {
		return
	}
	took := time.Since(t.start).Seconds()
	t.m.txDuration.Record(t.ctx, took, t.attrs.outcome(committed)...)
	t.m.connHold.Record(t.ctx, took, t.attrs.record...)
}
