package txmetrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of every instrument; the Prometheus
// exporter shows it as the otel_scope_name label unless told not to.
const ScopeName = "github.com/txscope/txscope/txmetrics"

// DefaultSlowStatement is the slow-statement threshold when Options leaves
// it zero.
const DefaultSlowStatement = 500 * time.Millisecond

// secondsBuckets span a fast pooled query to the minute-long transactions
// that exhaust a pool.
var secondsBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

var queryBuckets = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500}

// Options configures New.
type Options struct {
	// MeterProvider creates the instruments; nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// SlowStatement is the duration above which a statement counts as slow;
	// zero means DefaultSlowStatement and a negative value turns it off.
	SlowStatement time.Duration
}

// Metrics records per-route connection and transaction metrics. Create one
// per process with New and share it; it is safe for concurrent use.
type Metrics struct {
	meter           metric.Meter
	connHold        metric.Float64Histogram
	txDuration      metric.Float64Histogram
	acquireWait     metric.Float64Histogram
	acquireTimeouts metric.Int64Counter
	queries         metric.Int64Histogram
	slowStatements  metric.Int64Counter
	pool            poolInstruments
	slow            time.Duration
	routes          *routeCache
	tracer          *Tracer
}

// New creates the instruments.
func New(opts Options) (*Metrics, error) {
	mp := opts.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := &Metrics{meter: mp.Meter(ScopeName), slow: opts.SlowStatement, routes: newRouteCache()}
	if m.slow == 0 {
		m.slow = DefaultSlowStatement
	}
	if err := m.createInstruments(); err != nil {
		return nil, fmt.Errorf("txmetrics: create instruments: %w", err)
	}
	m.tracer = &Tracer{m: m}
	return m, nil
}

func (m *Metrics) createInstruments() error {
	seconds := func(name, desc string) (metric.Float64Histogram, error) {
		return m.meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(secondsBuckets...))
	}
	var errs [7]error
	m.connHold, errs[0] = seconds(names.MetricConnHold, "Time a connection was checked out of the pool, by route.")
	m.txDuration, errs[1] = seconds(names.MetricTxDuration, "Time from BEGIN to COMMIT or ROLLBACK, by route and outcome.")
	m.acquireWait, errs[2] = seconds(names.MetricAcquireWait, "Time spent waiting for a pooled connection, by route.")
	m.acquireTimeouts, errs[3] = m.meter.Int64Counter(names.MetricAcquireTimeouts, metric.WithUnit("{acquire}"),
		metric.WithDescription("Acquires ended by the request's context expiring or being canceled, by route."))
	m.queries, errs[4] = m.meter.Int64Histogram(names.MetricQueriesPerRequest, metric.WithUnit("{statement}"),
		metric.WithDescription("Statements sent per request, by route."),
		metric.WithExplicitBucketBoundaries(queryBuckets...))
	m.slowStatements, errs[5] = m.meter.Int64Counter(names.MetricSlowStatements, metric.WithUnit("{statement}"),
		metric.WithDescription("Statements slower than the threshold, by route and statement fingerprint."))
	m.pool, errs[6] = newPoolInstruments(m.meter)
	return errors.Join(errs[:]...)
}

// Tracer returns the pgx tracer that feeds these metrics. Set it as
// pgxpool.Config.ConnConfig.Tracer (or combine it with others through
// github.com/jackc/pgx/v5/multitracer).
func (m *Metrics) Tracer() *Tracer { return m.tracer }
