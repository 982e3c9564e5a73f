package txmetrics

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel/attribute"
)

func TestPoolTransactionIsAttributedToItsRoute(t *testing.T) {
	h := newHarness(t, Options{})
	pool := fakePool(t, h.m, 2)
	ctx, end := h.m.StartRequest(context.Background(), "POST /orders")

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "insert into orders default values")
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, tx.Commit(ctx))
	end()

	n, held := h.hist(names.MetricConnHold, route("POST /orders"))
	assert.Equal(t, uint64(1), n)
	assert.GreaterOrEqual(t, held, 0.02)
	n, took := h.hist(names.MetricTxDuration, route("POST /orders"), outcome(names.OutcomeCommit))
	assert.Equal(t, uint64(1), n)
	assert.GreaterOrEqual(t, took, 0.02)
	assert.LessOrEqual(t, took, held)
	n, _ = h.hist(names.MetricAcquireWait, route("POST /orders"))
	assert.Equal(t, uint64(1), n)
	n, queries := h.hist(names.MetricQueriesPerRequest, route("POST /orders"))
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, 3.0, queries, "begin, insert, commit")
}

func TestTransactionOutcome(t *testing.T) {
	tests := []struct {
		name string
		give func(ctx context.Context, tx pgx.Tx) error
		want string
	}{
		{name: "commit", give: func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) }, want: names.OutcomeCommit},
		{name: "rollback", give: func(ctx context.Context, tx pgx.Tx) error { return tx.Rollback(ctx) }, want: names.OutcomeRollback},
		{name: "commit after a failed statement", give: func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "fail")
			require.Error(t, err)
			require.ErrorIs(t, tx.Commit(ctx), pgx.ErrTxCommitRollback)
			return nil
		}, want: names.OutcomeRollback},
		{name: "savepoint rollback keeps the transaction", give: func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "savepoint a")
			require.NoError(t, err)
			_, err = tx.Exec(ctx, "rollback to savepoint a")
			require.NoError(t, err)
			return tx.Commit(ctx)
		}, want: names.OutcomeCommit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			pool := fakePool(t, h.m, 1)
			ctx, end := h.m.StartRequest(context.Background(), "GET /x")
			defer end()
			tx, err := pool.Begin(ctx)
			require.NoError(t, err)
			require.NoError(t, tt.give(ctx, tx))

			n, _ := h.hist(names.MetricTxDuration, route("GET /x"), outcome(tt.want))
			assert.Equal(t, uint64(1), n)
		})
	}
}

func TestTransactionLeftOpenAtReleaseIsRolledBack(t *testing.T) {
	h := newHarness(t, Options{})
	pool := fakePool(t, h.m, 1)
	ctx, end := h.m.StartRequest(context.Background(), "GET /leak")
	defer end()

	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "begin")
	require.NoError(t, err)
	conn.Release()

	n, _ := h.hist(names.MetricTxDuration, route("GET /leak"), outcome(names.OutcomeRollback))
	assert.Equal(t, uint64(1), n)
	n, _ = h.hist(names.MetricConnHold, route("GET /leak"))
	assert.Equal(t, uint64(1), n)
}

func TestWorkOutsideARequestIsUnmatched(t *testing.T) {
	h := newHarness(t, Options{})
	pool := fakePool(t, h.m, 1)

	_, err := pool.Exec(context.Background(), "select 1")
	require.NoError(t, err)

	n, _ := h.hist(names.MetricConnHold, route(names.Unmatched))
	assert.Equal(t, uint64(1), n)
	n, _ = h.hist(names.MetricAcquireWait, route(names.Unmatched))
	assert.Equal(t, uint64(1), n)
}

func TestAcquireTimeoutAndCancellation(t *testing.T) {
	h := newHarness(t, Options{})
	pool := fakePool(t, h.m, 1)
	held, err := pool.Acquire(context.Background())
	require.NoError(t, err)
	defer held.Release()
	ctx, end := h.m.StartRequest(context.Background(), "GET /slow")
	defer end()

	deadline, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = pool.Acquire(deadline)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	canceled, cancelNow := context.WithCancel(ctx)
	cancelNow()
	_, err = pool.Acquire(canceled)
	require.ErrorIs(t, err, context.Canceled)

	reason := func(r string) attribute.KeyValue { return attribute.String(names.AttrReason, r) }
	assert.Equal(t, 1.0, h.value(names.MetricAcquireTimeouts, route("GET /slow"), reason(names.ReasonDeadline)))
	assert.Equal(t, 1.0, h.value(names.MetricAcquireTimeouts, route("GET /slow"), reason(names.ReasonCanceled)))
	n, waited := h.hist(names.MetricAcquireWait, route("GET /slow"))
	assert.Equal(t, uint64(2), n)
	assert.GreaterOrEqual(t, waited, 0.02)
}

func TestSlowStatementsByFingerprint(t *testing.T) {
	tests := []struct {
		name string
		give time.Duration
		want float64
	}{
		{name: "over the threshold", give: time.Nanosecond, want: 2},
		{name: "under the default threshold", give: 0, want: 0},
		{name: "turned off", give: -1, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{SlowStatement: tt.give})
			pool := fakePool(t, h.m, 1)
			ctx, end := h.m.StartRequest(context.Background(), "GET /report")
			defer end()
			for _, id := range []string{"1", "2"} {
				_, err := pool.Exec(ctx, "select * from report where id = "+id)
				require.NoError(t, err)
			}

			statement := attribute.String(names.AttrStatement, "select * from report where id = ?")
			assert.Equal(t, tt.want, h.value(names.MetricSlowStatements, route("GET /report"), statement))
		})
	}
}

func TestConnectionOutsideAPoolUsesTheStatementContext(t *testing.T) {
	h := newHarness(t, Options{})
	conn := fakeConn(t, h.m.Tracer())
	ctx, end := h.m.StartRequest(context.Background(), "PUT /items/{id}")

	require.NoError(t, pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "update items set n = n + 1")
		return err
	}))
	end()

	n, _ := h.hist(names.MetricTxDuration, route("PUT /items/{id}"), outcome(names.OutcomeCommit))
	assert.Equal(t, uint64(1), n)
	_, queries := h.hist(names.MetricQueriesPerRequest, route("PUT /items/{id}"))
	assert.Equal(t, 3.0, queries)
	n, _ = h.hist(names.MetricConnHold, route("PUT /items/{id}"))
	assert.Zero(t, n, "a connection outside a pool is never acquired")
}

func TestBatchStatementsAreCounted(t *testing.T) {
	h := newHarness(t, Options{SlowStatement: time.Nanosecond})
	tr := h.m.Tracer()
	conn := fakeConn(t, nil)
	ctx, end := h.m.StartRequest(context.Background(), "POST /bulk")

	ctx = tr.TraceBatchStart(ctx, conn, pgx.TraceBatchStartData{})
	tr.TraceBatchQuery(ctx, conn, pgx.TraceBatchQueryData{SQL: "insert into t values (1)"})
	tr.TraceBatchQuery(ctx, conn, pgx.TraceBatchQueryData{SQL: "insert into t values (2)", ReadStartTime: time.Now()})
	tr.TraceBatchEnd(ctx, conn, pgx.TraceBatchEndData{})
	end()

	_, queries := h.hist(names.MetricQueriesPerRequest, route("POST /bulk"))
	assert.Equal(t, 2.0, queries)
	statement := attribute.String(names.AttrStatement, "insert into t values (?)")
	assert.Equal(t, 2.0, h.value(names.MetricSlowStatements, route("POST /bulk"), statement))
}

func TestReusedConnectionFollowsEachRequest(t *testing.T) {
	h := newHarness(t, Options{})
	pool := fakePool(t, h.m, 1)
	for _, r := range []string{"GET /a", "GET /b", ""} {
		ctx, end := h.m.StartRequest(context.Background(), r)
		_, err := pool.Exec(ctx, "select 1")
		require.NoError(t, err)
		end()
	}

	for _, r := range []string{"GET /a", "GET /b", names.Unmatched} {
		n, _ := h.hist(names.MetricConnHold, route(r))
		assert.Equal(t, uint64(1), n, r)
		_, queries := h.hist(names.MetricQueriesPerRequest, route(r))
		assert.Equal(t, 1.0, queries, r)
	}
}
