// Package txmetrics measures, per HTTP route, how long requests hold
// database connections and transactions, how long they wait for one, and
// which of them time out, so that the handlers that exhaust a pool can be
// found (`txscope rank` reads a Prometheus scrape of these metrics).
//
// Instruments are created through the OpenTelemetry metric API; plug in any
// exporter. pgxpool.Stat and database/sql's DBStats only give totals: the
// per-route view comes from a pgx tracer and an HTTP middleware that puts the
// route into the request context.
//
// # Wiring
//
// Create one Metrics per process, set its tracer on the pgx pool and route
// requests through it:
//
//	metrics, err := txmetrics.New(txmetrics.Options{MeterProvider: provider})
//	cfg, err := pgxpool.ParseConfig(url)
//	cfg.ConnConfig.Tracer = metrics.Tracer() // or multitracer.New(metrics.Tracer(), other)
//	pool, err := pgxpool.NewWithConfig(ctx, cfg)
//	_, err = metrics.ObservePgxPool(pool, "main")
//	http.ListenAndServe(addr, metrics.WrapMux(mux))
//
// WrapMux attributes each request to the ServeMux pattern it matches;
// Middleware does the same for a single handler registered on a mux (the
// mux sets r.Pattern only after matching). Other routers call StartRequest
// with their route template once they have matched (see the example of
// StartRequest for chi, gin and echo). Pass patterns, never raw paths: each
// route is a time series. Work outside a routed request (background jobs,
// a request no pattern matched) is attributed to the route "unmatched".
//
// For database/sql, ObserveDB reports the pool gauges from DBStats, and
// BeginTx records transactions per route. With pgx's stdlib driver, set the
// tracer on the driver's ConnConfig instead to trace statements and
// transactions per route (connection hold and acquire wait stay pool-wide:
// database/sql has no hooks for them).
//
// # Prometheus
//
// With the OpenTelemetry Prometheus exporter
// (go.opentelemetry.io/otel/exporters/prometheus):
//
//	exporter, err := prometheus.New() // registers with the default registry
//	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
//	metrics, err := txmetrics.New(txmetrics.Options{MeterProvider: provider})
//	mux.Handle("GET /metrics", promhttp.Handler())
//
// The scrape carries these families (the const block of Metric* names):
//
//	txscope_conn_hold_seconds        histogram  route             acquire end → release
//	txscope_tx_duration_seconds      histogram  route, outcome    BEGIN → COMMIT/ROLLBACK
//	txscope_acquire_wait_seconds     histogram  route             acquire start → end
//	txscope_acquire_timeouts_total   counter    route, reason     reason: deadline|canceled
//	txscope_queries_per_request      histogram  route             statements, BEGIN/COMMIT included
//	txscope_slow_statements_total    counter    route, statement  over Options.SlowStatement
//	txscope_pool_in_use_connections  gauge      pool
//	txscope_pool_idle_connections    gauge      pool
//	txscope_pool_max_connections     gauge      pool
//	txscope_pool_waits_total         counter    pool              acquires that waited
//	txscope_pool_wait_seconds_total  counter    pool              total wait, seconds
//
// outcome is commit or rollback. Histograms come with the usual _bucket,
// _sum and _count series; times are in seconds. Each instrument is named with
// its final Prometheus name and a unit whose suffix the name already has, so
// the names are the same under every translation strategy of the exporter.
// The exporter adds otel_scope_name, otel_scope_version and
// otel_scope_schema_url labels to every series (prometheus.WithoutScopeInfo
// turns them off) and a target_info family; readers should match series by
// name and by the labels above and ignore the rest.
//
// # What is measured
//
// The hold clock runs from the end of a pool acquire to the release, on
// behalf of the request whose context acquired the connection. pgx v5 has no
// transaction tracer, so transactions are followed through the server's
// transaction status after each statement: whatever opens one (Begin, a BEGIN
// sent by hand) starts the clock and whatever ends it stops it; a failed
// COMMIT counts as rollback, and so does a transaction still open when its
// connection goes back to the pool (the pool closes such a connection). A
// statement run with Query ends when its rows are closed, so its time
// includes reading them. Slow statements are labelled with Fingerprint of
// their text: literals become ?, bind values are never read.
//
// Per statement the tracer costs two monotonic clock reads and two lookups
// in the connection's own data (0.2–0.4µs on a 2-core virtual machine, no
// allocation); per acquire and release, two histogram records and one small
// allocation.
package txmetrics
