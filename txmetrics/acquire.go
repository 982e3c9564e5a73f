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
	start time.Time
}

func (c *acquireCtx) Value(key any) any {
	if key == (acquireKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// TraceAcquireStart notes when the acquire began.
func (t *Tracer) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return &acquireCtx{Context: ctx, start: time.Now()}
}

// TraceAcquireEnd records the wait, counts an acquire that the context's
// deadline or cancellation ended, and starts the hold clock of the
// connection on behalf of the context's request.
func (t *Tracer) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	now := time.Now()
	req := requestFrom(ctx)
	attrs := t.m.attrsFor(req)
	if ac, ok := ctx.Value(acquireKey{}).(*acquireCtx); ok {
		t.m.acquireWait.Record(ctx, now.Sub(ac.start).Seconds(), attrs.record...)
	}
	if data.Err != nil {
		t.m.acquireFailed(ctx, attrs, data.Err)
		return
	}
	st := stateOf(data.Conn)
	st.req = req
	st.acquired = now
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
	if st.acquired.IsZero() {
		return
	}
	now := time.Now()
	ctx := context.Background()
	t.m.connHold.Record(ctx, now.Sub(st.acquired).Seconds(), t.m.attrsFor(st.req).record...)
	if !st.txStart.IsZero() {
		t.m.txDuration.Record(ctx, now.Sub(st.txStart).Seconds(), st.txAttrs.rollback...)
		st.txStart = time.Time{}
	}
	st.req = nil
	st.acquired = time.Time{}
}
