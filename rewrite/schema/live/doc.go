// Package live reads a schema from a running PostgreSQL (FromDB) and
// PgBouncer's pool mode from its admin console (PoolMode): read-only
// catalog queries in one transaction on one connection, closed at once; a
// URL's password is never printed. It is apart from package schema so that
// only the command, which connects, links the driver: the analysis reads
// the plain schema.Schema it returns.
package live
