// Package names holds the metric names, attribute keys and values that
// txmetrics records and that txscope rank reads back from a scrape: the one
// contract between the runtime and the analysis, in a package that imports
// nothing, so that the analysis does not depend on the runtime.
package names

// Metric names as they appear in a Prometheus scrape. Each instrument is
// created under exactly this name, with a unit whose Prometheus suffix the
// name already carries, so the OpenTelemetry Prometheus exporter renders the
// same name whether it escapes names, keeps UTF-8 names or adds no suffixes.
const (
	// MetricConnHold is the time a connection was checked out of the pool,
	// from the end of acquire to release (histogram, seconds; route).
	MetricConnHold = "txscope_conn_hold_seconds"
	// MetricTxDuration is the time from BEGIN to COMMIT or ROLLBACK
	// (histogram, seconds; route, outcome).
	MetricTxDuration = "txscope_tx_duration_seconds"
	// MetricAcquireWait is the time spent waiting for a pooled connection
	// (histogram, seconds; route).
	MetricAcquireWait = "txscope_acquire_wait_seconds"
	// MetricAcquireTimeouts counts acquires that ended because the request's
	// context expired or was canceled (counter; route, reason).
	MetricAcquireTimeouts = "txscope_acquire_timeouts_total"
	// MetricQueriesPerRequest is the number of statements a request sent,
	// BEGIN and COMMIT included (histogram, statements; route).
	MetricQueriesPerRequest = "txscope_queries_per_request"
	// MetricSlowStatements counts statements slower than the threshold
	// (counter; route, statement).
	MetricSlowStatements = "txscope_slow_statements_total"
	// MetricPoolInUse is the number of connections checked out (gauge; pool).
	MetricPoolInUse = "txscope_pool_in_use_connections"
	// MetricPoolIdle is the number of idle connections (gauge; pool).
	MetricPoolIdle = "txscope_pool_idle_connections"
	// MetricPoolMax is the pool's connection limit (gauge; pool).
	MetricPoolMax = "txscope_pool_max_connections"
	// MetricPoolWaits counts acquires that had to wait for a connection
	// (counter; pool).
	MetricPoolWaits = "txscope_pool_waits_total"
	// MetricPoolWaitTime is the total time acquires waited for a connection
	// (counter, seconds; pool).
	MetricPoolWaitTime = "txscope_pool_wait_seconds_total"
)

// Attribute keys, rendered as Prometheus labels of the same name.
const (
	// AttrRoute is the route pattern of the request, or Unmatched.
	AttrRoute = "route"
	// AttrOutcome is OutcomeCommit or OutcomeRollback.
	AttrOutcome = "outcome"
	// AttrReason is ReasonDeadline or ReasonCanceled.
	AttrReason = "reason"
	// AttrStatement is the statement's fingerprint (see Fingerprint).
	AttrStatement = "statement"
	// AttrPool is the name given to ObservePgxPool or ObserveDB.
	AttrPool = "pool"
)

// Attribute values.
const (
	// Unmatched is the route of work done outside any routed request.
	Unmatched = "unmatched"
	// OutcomeCommit marks a transaction that committed.
	OutcomeCommit = "commit"
	// OutcomeRollback marks a transaction that rolled back, including a
	// failed COMMIT and a transaction left open when its connection went
	// back to the pool.
	OutcomeRollback = "rollback"
	// ReasonDeadline marks an acquire ended by the context's deadline.
	ReasonDeadline = "deadline"
	// ReasonCanceled marks an acquire ended by canceling the context.
	ReasonCanceled = "canceled"
)
