package txmetrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/fixtures/pgtest"
	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The incident's shape, scaled down: a pool of 2, an acquire timeout of
// 150ms, and handlers that call a 300ms external service.
const (
	pgPoolSize       = 2
	pgConcurrent     = 4
	pgAcquireTimeout = 150 * time.Millisecond
	pgExternalCall   = 300 * time.Millisecond
)

// orderService has the same handler written twice: /orders/whole holds its
// transaction across the external call, /orders/narrow makes the call first
// and holds the transaction only for the insert.
func orderService(t *testing.T, m *Metrics, pool *pgxpool.Pool) http.Handler {
	insert := func(w http.ResponseWriter, r *http.Request, during func()) {
		ctx, cancel := context.WithTimeout(r.Context(), pgAcquireTimeout)
		defer cancel()
		tx, err := pool.Begin(ctx) // the deadline bounds the acquire and BEGIN only
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer func() { _ = tx.Rollback(r.Context()) }()
		_, err = tx.Exec(r.Context(), "insert into orders (tenant_id, total) values ($1, $2)", 7, 100)
		require.NoError(t, err)
		during()
		require.NoError(t, tx.Commit(r.Context()))
	}
	externalCall := func() { time.Sleep(pgExternalCall) }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/whole", func(w http.ResponseWriter, r *http.Request) {
		insert(w, r, externalCall)
	})
	mux.HandleFunc("POST /orders/narrow", func(w http.ResponseWriter, r *http.Request) {
		externalCall()
		insert(w, r, func() {})
	})
	return m.WrapMux(mux)
}

// pgPool returns a pool of pgPoolSize connections to a fresh database with
// an orders table, traced by m.
func pgPool(t *testing.T, m *Metrics) (*pgxpool.Pool, *pgtest.Database) {
	db := pgtest.Shared(t, pgtest.Options{}).NewDatabase(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "create table orders (id bigserial primary key, tenant_id int not null, total int not null)")
	require.NoError(t, err)
	require.NoError(t, admin.Close(ctx))

	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = pgPoolSize
	cfg.ConnConfig.Tracer = m.Tracer()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool, db
}

// burst sends pgConcurrent requests to path at once and returns the status
// codes.
func burst(service http.Handler, path string) []int {
	codes := make([]int, pgConcurrent)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			service.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	return codes
}

func TestPostgresHoldTimesUnderContention(t *testing.T) {
	registry := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry))
	require.NoError(t, err)
	h := newHarness(t, Options{}, exporter)
	pool, _ := pgPool(t, h.m)
	_, err = h.m.ObservePgxPool(pool, "main")
	require.NoError(t, err)
	service := orderService(t, h.m, pool)

	whole, narrow := route("POST /orders/whole"), route("POST /orders/narrow")
	deadline := attribute.String(names.AttrReason, names.ReasonDeadline)

	t.Run("whole-request transaction", func(t *testing.T) {
		codes := burst(service, "/orders/whole")
		assert.ElementsMatch(t, []int{200, 200, 503, 503}, codes, "two hold the pool, two time out")

		n, held := h.hist(names.MetricConnHold, whole)
		assert.Equal(t, uint64(2), n)
		assert.GreaterOrEqual(t, held, 2*pgExternalCall.Seconds())
		n, took := h.hist(names.MetricTxDuration, whole, outcome(names.OutcomeCommit))
		assert.Equal(t, uint64(2), n)
		assert.GreaterOrEqual(t, took, 2*pgExternalCall.Seconds())
		n, waited := h.hist(names.MetricAcquireWait, whole)
		assert.Equal(t, uint64(pgConcurrent), n)
		assert.GreaterOrEqual(t, waited, 2*pgAcquireTimeout.Seconds())
		assert.Equal(t, 2.0, h.value(names.MetricAcquireTimeouts, whole, deadline))
		t.Logf("whole: hold %.3fs over 2, tx %.3fs over 2, wait %.3fs over 4", held, took, waited)
	})

	t.Run("narrowed transaction", func(t *testing.T) {
		codes := burst(service, "/orders/narrow")
		assert.Equal(t, []int{200, 200, 200, 200}, codes)

		n, held := h.hist(names.MetricConnHold, narrow)
		assert.Equal(t, uint64(pgConcurrent), n)
		assert.Less(t, held, pgExternalCall.Seconds(), "four holds together are shorter than one external call")
		n, took := h.hist(names.MetricTxDuration, narrow, outcome(names.OutcomeCommit))
		assert.Equal(t, uint64(pgConcurrent), n)
		assert.LessOrEqual(t, took, held)
		n, waited := h.hist(names.MetricAcquireWait, narrow)
		assert.Equal(t, uint64(pgConcurrent), n)
		assert.Less(t, waited, pgAcquireTimeout.Seconds())
		assert.Zero(t, h.value(names.MetricAcquireTimeouts, narrow, deadline))
		t.Logf("narrow: hold %.4fs over 4, tx %.4fs over 4, wait %.4fs over 4", held, took, waited)
	})

	mainPool := attribute.String(names.AttrPool, "main")
	assert.Equal(t, float64(pgPoolSize), h.value(names.MetricPoolMax, mainPool))
	assert.Zero(t, h.value(names.MetricPoolInUse, mainPool))
	assert.GreaterOrEqual(t, h.value(names.MetricPoolWaits, mainPool), 2.0)

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	t.Logf("scrape excerpt:\n%s", scrapeExcerpt(rec.Body.String()))
}

var scopeLabels = regexp.MustCompile(`otel_scope_\w+="[^"]*",?`)

// scrapeExcerpt keeps the _sum and _count series, counters and gauges of a
// scrape, without the exporter's scope labels.
func scrapeExcerpt(scrape string) string {
	var b strings.Builder
	for line := range strings.Lines(scrape) {
		if !strings.HasPrefix(line, "txscope_") || strings.Contains(line, "_bucket{") {
			continue
		}
		b.WriteString(scopeLabels.ReplaceAllString(line, ""))
	}
	return b.String()
}

func TestPostgresDatabaseSQL(t *testing.T) {
	h := newHarness(t, Options{})
	_, pgdb := pgPool(t, h.m)
	cfg, err := pgx.ParseConfig(pgdb.AppURL)
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(pgPoolSize)
	_, err = h.m.ObserveDB(db, "sql")
	require.NoError(t, err)
	ctx, end := h.m.StartRequest(context.Background(), "POST /sql")
	defer end()

	tx, err := h.m.BeginTx(ctx, db, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, "insert into orders (tenant_id, total) values (1, 2)")
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, tx.Commit())

	n, took := h.hist(names.MetricTxDuration, route("POST /sql"), outcome(names.OutcomeCommit))
	assert.Equal(t, uint64(1), n)
	assert.GreaterOrEqual(t, took, 0.05)
	sqlPool := attribute.String(names.AttrPool, "sql")
	assert.Equal(t, float64(pgPoolSize), h.value(names.MetricPoolMax, sqlPool))
	assert.Equal(t, 1.0, h.value(names.MetricPoolIdle, sqlPool))
}
