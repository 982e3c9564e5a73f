// Package db has a wrapper that sets the tenant at session level, formatted
// into the SQL (TS003, TS004), and a handler of its own: the rewrite fixes
// the wrapper in the same declaration edit.
package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB holds the connection pool.
type DB struct {
	Pool *pgxpool.Pool
}

// WithTenant runs fn in a transaction scoped to tenantID.
func (d *DB) WithTenant(ctx context.Context, tenantID string, fn func(tx pgx.Tx) error) error { // want WithTenant:"wrapper app.current_tenant_id; unfiltered"
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET app.current_tenant_id = '%s'", tenantID)); err != nil { // want `tenant setting app.current_tenant_id is set at session level: under transaction pooling it leaks to other clients and tenants \(TS003\)` `tenant id is formatted into the SQL text of app.current_tenant_id instead of a bind parameter \(TS004\)`
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Count only reads.
func (d *DB) Count(ctx context.Context, tenantID string) (int, error) { // want Count:"^tx@recv=txcontrol.txstate.unknown"
	var n int
	err := d.WithTenant(ctx, tenantID, func(tx pgx.Tx) error { // want `whole-request tenant transaction in \(\*DB\).Count \(read-only\): it only reads, so it needs no transaction \(TS001\)`
		return tx.QueryRow(ctx, "SELECT count(*) FROM items WHERE tenant_id = $1", tenantID).Scan(&n)
	})
	return n, err
}

// WithLocal sets the tenant transaction-local, but formatted into the SQL
// (TS004 alone).
func (d *DB) WithLocal(ctx context.Context, tenantID string, fn func(tx pgx.Tx) error) error { // want WithLocal:"wrapper app.current_tenant_id"
	return pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL app.current_tenant_id = '%s'", tenantID)); err != nil { // want `tenant id is formatted into the SQL text of app.current_tenant_id instead of a bind parameter \(TS004\)`
			return err
		}
		return fn(tx)
	})
}

// Touch checks, then writes.
func (d *DB) Touch(ctx context.Context, tenantID string) error { // want Touch:"^tx@recv=txcontrol"
	return d.WithLocal(ctx, tenantID, func(tx pgx.Tx) error { // want `whole-request tenant transaction in \(\*DB\).Touch \(mixed\): reads and session checks before the first write hold the connection \(TS001\)`
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM items WHERE tenant_id = $1", tenantID).Scan(&n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO touches (tenant_id) VALUES ($1)", tenantID)
		return err
	})
}
