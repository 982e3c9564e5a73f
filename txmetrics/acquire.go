package txmetrics

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

type acquireKey struct{}

// acquireCtx carries the start of an acquire to its end. It is the only
// allocation the tracer makes per acquire.
type acquireCtx struct {
	context.Context
	start time.Duration
}

func (c *acquireCtx) Value(key any) any {
	if key == (acquireKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// TraceAcquireStart notes when the acquire began.
func (t *Tracer) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return &acquireCtx{Context: ctx, start: monotonic()}
}

// TraceAcquireEnd records the wait, counts an acquire that the context's
// deadline or cancellation ended, and starts the hold clock of the
// connection on behalf of the context's request.
func (t *Tracer) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	now := monotonic()
	req := requestFrom(ctx)
	attrs := t.m.attrsFor(req)
	if ac, ok := ctx.Value(acquireKey{}).(*acquireCtx); ok {
		t.m.acquireWait.Record(ctx, (now - ac.start).Seconds(), attrs.record...)
	}
	if data.Err != nil {
		t.m.acquireFailed(ctx, attrs, data.Err)
		return
	}
	st := stateOf(data.Conn)
	st.req, st.held, st.acquired = req, true, now
}

func (m *Metrics) acquireFailed(ctx context.Context, attrs *routeAttrs, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		m.acquireTimeouts.Add(ctx, 1, attrs.deadline...)
	case errors.Is(err, context.Canceled):
		m.acquireTimeouts.Add(ctx, 1, attrs.canceled...)
	}
}

// TraceRelease records how long the connection was held and, when it goes
// back inside a transaction (the pool then closes it and the server rolls
// the transaction back), that transaction as rolled back.
func (t *Tracer) TraceRelease(_ *pgxpool.Pool, data pgxpool.TraceReleaseData) {
	st := stateOf(data.Conn)
	if !st.held {
		return
	}
	now := monotonic()
	ctx := context.Background()
	t.m.connHold.Record(ctx, (now - st.acquired).Seconds(), t.m.attrsFor(st.req).record...)
	if st.inTx {
		t.m.txDuration.Record(ctx, (now - st.txStart).Seconds(), st.txAttrs.rollback...)
		st.inTx = false
	}
	st.req, st.held = nil, false
}
