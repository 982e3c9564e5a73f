package txmetrics

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

var (
	_ pgx.QueryTracer       = (*Tracer)(nil)
	_ pgx.BatchTracer       = (*Tracer)(nil)
	_ pgxpool.AcquireTracer = (*Tracer)(nil)
	_ pgxpool.ReleaseTracer = (*Tracer)(nil)
)

// Tracer is the pgx tracer of a Metrics: a pgx.QueryTracer, pgx.BatchTracer,
// pgxpool.AcquireTracer and pgxpool.ReleaseTracer. pgx v5 has no transaction
// tracer, so transactions are followed through the server's transaction
// status after each statement: whatever opens a transaction (Begin, BeginTx,
// a BEGIN sent by hand) starts the clock, and whatever ends it stops it.
type Tracer struct {
	m *Metrics
}

// TraceQueryStart notes the statement and its start time on the connection.
func (t *Tracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	st := stateOf(conn)
	st.stmtSQL = data.SQL
	st.stmtStart = monotonic()
	return ctx
}

// TraceQueryEnd counts the statement for its request, counts it as slow
// when it took longer than the threshold, and follows transaction
// boundaries. For Query the statement ends when its rows are closed.
func (t *Tracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	st := stateOf(conn)
	now := monotonic()
	req := st.request(ctx)
	t.m.statement(ctx, req, st.stmtSQL, now-st.stmtStart)
	st.lastTag = data.CommandTag
	t.m.followTx(ctx, conn, st, req, now)
}

// TraceBatchStart notes the batch's start time on the connection.
func (t *Tracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	st := stateOf(conn)
	st.stmtSQL = ""
	st.stmtStart = monotonic()
	return ctx
}

// TraceBatchQuery counts one statement of a batch, timed from when pgx began
// reading its result.
func (t *Tracer) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	st := stateOf(conn)
	took := monotonic() - st.stmtStart
	if !data.ReadStartTime.IsZero() {
		took = time.Since(data.ReadStartTime)
	}
	t.m.statement(ctx, st.request(ctx), data.SQL, took)
	st.lastTag = data.CommandTag
}

// TraceBatchEnd follows transaction boundaries crossed by the batch.
func (t *Tracer) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchEndData) {
	st := stateOf(conn)
	t.m.followTx(ctx, conn, st, st.request(ctx), monotonic())
}

// statement counts one statement for req and records it when slow.
func (m *Metrics) statement(ctx context.Context, req *request, sql string, took time.Duration) {
	if req != nil {
		req.queries.Add(1)
	}
	if m.slow > 0 && took >= m.slow {
		m.slowStatements.Add(ctx, 1, metric.WithAttributes(
			attribute.String(names.AttrRoute, m.attrsFor(req).name),
			attribute.String(names.AttrStatement, Fingerprint(sql))))
	}
}

// followTx starts the transaction clock when the last statement left the
// connection inside a transaction, and records the transaction when it left
// it idle again: COMMIT's tag means committed, anything else rolled back.
func (m *Metrics) followTx(ctx context.Context, conn *pgx.Conn, st *connState, req *request, now time.Duration) {
	inTx := conn.PgConn().TxStatus() != 'I'
	switch {
	case inTx && !st.inTx:
		st.inTx, st.txStart, st.txAttrs = true, st.stmtStart, m.attrsFor(req)
	case !inTx && st.inTx:
		committed := st.lastTag.String() == "COMMIT"
		m.txDuration.Record(ctx, (now - st.txStart).Seconds(), st.txAttrs.outcome(committed)...)
		st.inTx = false
	}
}
