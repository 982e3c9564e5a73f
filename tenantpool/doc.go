// Package tenantpool runs queries on a connection pool with the tenant of
// PostgreSQL row-level security set for each statement, and for nothing else.
//
// A read-only handler does not need a transaction, but under row-level
// security it needs the tenant setting, and a bare pool query has none: the
// policy sees no tenant (no rows, or an error), or, behind PgBouncer in
// transaction mode, the tenant that another client left on that server
// connection with set_config(…, false) or SET. A handle from For (pgx),
// ForDB (database/sql) or ForSqlx (sqlx) closes both holes:
//
//	q := tenantpool.For(s.db.Pool, tenantID)
//	c, err := store.GetCustomer(ctx, q, tenantID, id)
//
//	x := tenantpool.ForSqlx(s.db, tenantID) // s.db is a *sqlx.DB
//	err := x.GetContext(ctx, &c, "select * from customers where id = $1", id)
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
// With sqlx, ForSqlx's handle runs each call the same way on the *sqlx.DB's
// database/sql pool, and hands results back through the same buffer: Queryx
// and QueryRowx as *sqlx.Rows and *sqlx.Row, on which StructScan, MapScan
// and SliceScan make of the values exactly what they make of the driver's
// rows; Get and Select scan the buffered result as sqlx does. See sqlx
// below for what differs from *sqlx.Tx.
//
// Errors are the driver's, unwrapped, as the same call on a transaction
// returns them (pgx.ErrNoRows, sql.ErrNoRows, *pgconn.PgError, context
// errors). The package reports two errors itself, by every call, before any
// connection is taken: a tenant id of a type that cannot be rendered as
// text, and a statement that would escape the tenant's
// scope, ErrRefused: transaction control, which would end the transaction
// and leave the statements after it without the tenant, and a session-level
// SET, RESET or set_config(…, false). The check reads the SQL text (for a
// named query, as bound): a procedure that commits, or a set_config whose
// third argument is an expression, is not seen.
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
// # sqlx
//
// An SqlxHandle has the query methods of *sqlx.Tx with their signatures,
// so code written against *sqlx.Tx that uses only these, or against
// sqlx.Ext, sqlx.ExtContext, sqlx.Queryer(Context) or sqlx.Execer(Context),
// compiles unchanged against it: Get, Select, Exec, MustExec, NamedExec,
// Queryx, QueryRowx, Query, QueryRow (each with its Context form),
// NamedQuery, Rebind, BindNamed and DriverName; NamedQueryContext too,
// which *sqlx.DB has and *sqlx.Tx does not. As db.Beginx does, the handle
// takes the *sqlx.DB's mapper and Unsafe setting when it is made; Unsafe
// returns an unsafe copy of the handle (an *SqlxHandle, not an *sqlx.Tx).
//
// What differs from *sqlx.Tx:
//
//   - No Commit, Rollback, Prepare, Preparex, PrepareNamed, Stmt, Stmtx or
//     NamedStmt (nor their Context forms): there is no transaction to end,
//     and a prepared statement would outlive the call's.
//   - Results are read whole before the call returns: a statement that
//     fails after some rows fails in Queryx or Query, not in the rows' Err;
//     QueryRowx, QueryRow and Get read the first row only, as on a
//     transaction.
//   - sqlx's package functions bind named queries with sqlx's default
//     mapper for anything but its own DB and Tx: sqlx.NamedExec(h, …) and
//     sqlx.NamedQuery(h, …) ignore a mapper set on the *sqlx.DB, where
//     h.NamedExec and h.NamedQuery use it. sqlx.Get(h, …) and
//     sqlx.Select(h, …) scan with it.
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
// max_prepared_statements). The same holds for database/sql and sqlx
// through pgx's stdlib driver. The tests of this package prove each of these against
// PgBouncer in transaction mode.
//
// Per-query pgx options work as they do in a batch: a QueryRewriter such as
// pgx.NamedArgs does; QueryExecMode and the result format options do not
// (pgx sends them as parameters and the statement fails). A batch given to
// SendBatch must not use Batch.BeginTx. pgx reports each call to a
// BatchTracer, not to a QueryTracer.
package tenantpool
