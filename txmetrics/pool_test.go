package txmetrics

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel/attribute"
)

// fakeDB returns a database/sql pool over the fake backend (pgx's stdlib
// driver, without a tracer).
func fakeDB(t *testing.T, maxOpen int) *sql.DB {
	cfg, err := pgx.ParseConfig(fakeURL)
	require.NoError(t, err)
	cfg.DialFunc = fakeDial
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxOpen)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestObservePgxPool(t *testing.T) {
	h := newHarness(t, Options{})
	pool := fakePool(t, h.m, 3)
	reg, err := h.m.ObservePgxPool(pool, "main")
	require.NoError(t, err)
	conn, err := pool.Acquire(context.Background())
	require.NoError(t, err)
	defer conn.Release()

	main := attribute.String(names.AttrPool, "main")
	assert.Equal(t, 1.0, h.value(names.MetricPoolInUse, main))
	assert.Equal(t, 0.0, h.value(names.MetricPoolIdle, main))
	assert.Equal(t, 3.0, h.value(names.MetricPoolMax, main))
	assert.Equal(t, 1.0, h.value(names.MetricPoolWaits, main), "the first acquire waits for a new connection")
	assert.Positive(t, h.value(names.MetricPoolWaitTime, main))

	require.NoError(t, reg.Unregister())
	assert.Nil(t, h.data(names.MetricPoolMax), "nothing is observed once unregistered")
}

func TestObserveDB(t *testing.T) {
	h := newHarness(t, Options{})
	db := fakeDB(t, 4)
	_, err := h.m.ObserveDB(db, "sql")
	require.NoError(t, err)
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()

	pool := attribute.String(names.AttrPool, "sql")
	assert.Equal(t, 1.0, h.value(names.MetricPoolInUse, pool))
	assert.Equal(t, 4.0, h.value(names.MetricPoolMax, pool))
	assert.Equal(t, 0.0, h.value(names.MetricPoolWaits, pool))
}

func TestBeginTx(t *testing.T) {
	tests := []struct {
		name string
		give func(tx *Tx) error
		want string
	}{
		{name: "commit", give: func(tx *Tx) error { return tx.Commit() }, want: names.OutcomeCommit},
		{name: "rollback", give: func(tx *Tx) error { return tx.Rollback() }, want: names.OutcomeRollback},
		{name: "rollback after commit records once", give: func(tx *Tx) error {
			require.NoError(t, tx.Commit())
			require.ErrorIs(t, tx.Rollback(), sql.ErrTxDone)
			return nil
		}, want: names.OutcomeCommit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			db := fakeDB(t, 1)
			ctx, end := h.m.StartRequest(context.Background(), "POST /sql")
			defer end()

			tx, err := h.m.BeginTx(ctx, db, nil)
			require.NoError(t, err)
			_, err = tx.ExecContext(ctx, "update t set n = 1")
			require.NoError(t, err)
			require.NoError(t, tt.give(tx))

			n, _ := h.hist(names.MetricTxDuration, route("POST /sql"), outcome(tt.want))
			assert.Equal(t, uint64(1), n)
			n, _ = h.hist(names.MetricTxDuration, route("POST /sql"), outcome(otherOutcome(tt.want)))
			assert.Zero(t, n)
			n, _ = h.hist(names.MetricConnHold, route("POST /sql"))
			assert.Equal(t, uint64(1), n)
			n, _ = h.hist(names.MetricAcquireWait, route("POST /sql"))
			assert.Equal(t, uint64(1), n)
		})
	}
}

func TestBeginTxTimeout(t *testing.T) {
	h := newHarness(t, Options{})
	db := fakeDB(t, 1)
	busy, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer busy.Close()
	ctx, end := h.m.StartRequest(context.Background(), "POST /sql")
	defer end()
	canceled, cancel := context.WithCancel(ctx)
	cancel()

	_, err = h.m.BeginTx(canceled, db, nil)
	require.ErrorIs(t, err, context.Canceled)

	reason := attribute.String(names.AttrReason, names.ReasonCanceled)
	assert.Equal(t, 1.0, h.value(names.MetricAcquireTimeouts, route("POST /sql"), reason))
}

func otherOutcome(o string) string {
	if o == names.OutcomeCommit {
		return names.OutcomeRollback
	}
	return names.OutcomeCommit
}

func TestTracerThroughTheStdlibDriver(t *testing.T) {
	h := newHarness(t, Options{})
	cfg, err := pgx.ParseConfig(fakeURL)
	require.NoError(t, err)
	cfg.DialFunc = fakeDial
	cfg.Tracer = h.m.Tracer()
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	ctx, end := h.m.StartRequest(context.Background(), "POST /stdlib")

	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, "update t set n = 1")
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	end()

	n, _ := h.hist(names.MetricTxDuration, route("POST /stdlib"), outcome(names.OutcomeCommit))
	assert.Equal(t, uint64(1), n)
	_, queries := h.hist(names.MetricQueriesPerRequest, route("POST /stdlib"))
	assert.Equal(t, 3.0, queries)
}
