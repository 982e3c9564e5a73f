// Package tenantpool runs queries on a connection pool with the tenant of
// PostgreSQL row-level security set for each statement, and for nothing else.
//
// A read-only handler does not need a transaction, but under row-level
// security it needs the tenant setting, and a bare pool query has none: the
// policy sees no tenant (no rows, or an error), or, behind PgBouncer in
// transaction mode, the tenant that another client left on that server
// connection with set_config(…, false) or SET. A handle from For (pgx) or
// ForDB (database/sql), or from the package tenantpool/sqlxpool (sqlx,
// built on ForDB's), closes both holes:
//
//	q := tenantpool.For(s.db.Pool, tenantID)
//	c, err := store.GetCustomer(ctx, q, tenantID, id)
//
// # What it guarantees
//
// Every call runs
//
//	select set_config($setting, $tenant, true)
//
// and then the caller's statement in one transaction on one connection. The
// setting is transaction-local, so it overrides whatever a previous client
// left on the connection at session level, and it is gone when the statement
// ends: no later statement on that connection, from this client or another,
// can see it.
//
// With pgx, the two statements go to the server as one batch: one round
// trip, one implicit transaction (PostgreSQL runs everything up to the
// batch's single Sync, or a multi-statement simple query, as one
// transaction, and PgBouncer keeps the server connection for a whole
// transaction). The connection is held for that round trip only; Query's
// rows hold it until Close, or until Next returns false; QueryRow's row
// until Scan; SendBatch's results until Close. The queries of a batch given
// to SendBatch share that transaction: they commit or fail together.
// CopyFrom, which cannot be batched, runs in a short explicit transaction
// (three round trips).
//
// With database/sql, each call is a short explicit transaction: BEGIN,
// set_config, the statement, COMMIT. QueryContext and QueryRowContext read
// the whole result (QueryRowContext: its first row) inside the transaction
// and hand it back as *sql.Rows or *sql.Row, so the connection is back in
// the pool before the caller sees a row; database/sql offers no other way
// to end a transaction when the caller closes its rows. Page large results.
//
// Errors are the driver's, unwrapped, as the same call on a transaction
// returns them (pgx.ErrNoRows, sql.ErrNoRows, *pgconn.PgError, context
// errors). The package reports two errors itself, by every call, before any
// connection is taken: a tenant id of a type that cannot be rendered as
// text, and a statement that would escape the tenant's scope, ErrRefused:
// transaction control, which would end the transaction and leave the
// statements after it without the tenant, and a session-level SET, RESET
// or set_config(…, false). The check reads the SQL text: a procedure that
// commits, or a set_config whose third argument is an expression, is not
// seen.
//
// # What it does not guarantee
//
//   - No atomicity across calls: each call commits on its own. Writes that
//     must succeed or fail together belong in one transaction.
//   - No consistent view across calls: each statement sees what was
//     committed when it started. A call does not see the uncommitted writes
//     of any transaction, including one the same request holds open, and
//     with a pool that routes to replicas it may not see committed ones yet.
//   - Nothing transaction-scoped outlives the call: row locks (FOR UPDATE),
//     advisory xact locks, SET LOCAL and other set_config(…, true) values,
//     temporary tables ON COMMIT DROP.
//   - The tenant id is not checked: an empty or unknown id gets what the
//     policy gives it (usually no rows).
//
// # PgBouncer, Supavisor and pgx's query exec mode
//
// The statements run in the pool's default_query_exec_mode (pgx applies a
// connection's mode to a whole batch). Behind a pooler in transaction mode,
// use default_query_exec_mode=exec in the connection string (or
// ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec): one round trip,
// unnamed statements only, parameters sent separately from the SQL.
// simple_protocol also works (pgx then quotes the parameters into the SQL
// text), and so do describe_exec and cache_describe at the cost of a
// describe round trip. pgx's default, cache_statement, prepares named
// statements that exist only on the server connection that prepared them,
// which a transaction-mode pooler hands to other clients: "prepared
// statement … does not exist" (PgBouncer 1.21 and later can track them with
// max_prepared_statements). The same holds for database/sql through pgx's
// stdlib driver. The tests of this package prove each of these against
// PgBouncer in transaction mode.
//
// Per-query pgx options work as they do in a batch: a QueryRewriter such as
// pgx.NamedArgs does; QueryExecMode and the result format options do not
// (pgx sends them as parameters and the statement fails). A batch given to
// SendBatch must not use Batch.BeginTx. pgx reports each call to a
// BatchTracer, not to a QueryTracer.
package tenantpool
