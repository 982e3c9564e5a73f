package txmetrics

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tracer's cost per statement, measured on its callbacks with a
// connection to the in-memory backend (nothing is sent). Target: under 1µs
// and no allocation.
//
//	go test ./txmetrics -run '^$' -bench Trace -benchmem

type benchKey struct{ n int }

// benchContext is a request context a few values deep, as behind a
// typical middleware stack.
func benchContext(m *Metrics) context.Context {
	ctx := context.Background()
	for i := range 4 {
		ctx = context.WithValue(ctx, benchKey{i}, i)
	}
	ctx, _ = m.StartRequest(ctx, "GET /orders/{id}")
	return context.WithValue(ctx, benchKey{9}, 9)
}

func BenchmarkTraceQuery(b *testing.B) {
	h := newHarness(b, Options{})
	tr := h.m.Tracer()
	conn := fakeConn(b, nil)
	ctx := benchContext(h.m)
	start := pgx.TraceQueryStartData{SQL: "select * from orders where id = $1", Args: []any{7}}
	end := pgx.TraceQueryEndData{CommandTag: pgconn.NewCommandTag("SELECT 1")}

	b.Run("pooled", func(b *testing.B) {
		tr.TraceAcquireEnd(ctx, nil, pgxpool.TraceAcquireEndData{Conn: conn})
		defer tr.TraceRelease(nil, pgxpool.TraceReleaseData{Conn: conn})
		b.ReportAllocs()
		for b.Loop() {
			qctx := tr.TraceQueryStart(ctx, conn, start)
			tr.TraceQueryEnd(qctx, conn, end)
		}
	})
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			qctx := tr.TraceQueryStart(ctx, conn, start)
			tr.TraceQueryEnd(qctx, conn, end)
		}
	})
}

func BenchmarkTraceAcquireRelease(b *testing.B) {
	h := newHarness(b, Options{})
	tr := h.m.Tracer()
	conn := fakeConn(b, nil)
	ctx := benchContext(h.m)
	b.ReportAllocs()
	for b.Loop() {
		actx := tr.TraceAcquireStart(ctx, nil, pgxpool.TraceAcquireStartData{})
		tr.TraceAcquireEnd(actx, nil, pgxpool.TraceAcquireEndData{Conn: conn})
		tr.TraceRelease(nil, pgxpool.TraceReleaseData{Conn: conn})
	}
}
