// Package db opens tenant transactions. Its wrapper is known to the other
// packages only from its fact: go vet analyses one package at a time.
package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what both a transaction and a tenant-scoped pooled handle offer.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// DB holds the connection pool.
type DB struct {
	Pool *pgxpool.Pool
}

// WithTenant runs fn in a transaction scoped to tenantID for row-level security.
func (d *DB) WithTenant(ctx context.Context, tenantID string, fn func(tx pgx.Tx) error) error { // want WithTenant:"wrapper app.current_tenant_id"
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "select set_config('app.current_tenant_id', $1, true)", tenantID); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
