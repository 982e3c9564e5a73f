// Package mw has a middleware and a layer whose handlers live in package
// api: their facts tell api where the transaction comes from.
package mw

import (
	"context"

	"example.com/crosspkg/db"
	"github.com/jackc/pgx/v5"
)

// Sales is what every sales handler gets.
type Sales struct {
	TenantID string
	DB       db.Querier
}

// WithSales runs h in the tenant's transaction.
func WithSales(ctx context.Context, d *db.DB, tenantID string, h func(sc Sales) error) error { // want WithSales:"middleware handler@3"
	return d.WithTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return h(Sales{TenantID: tenantID, DB: tx})
	})
}

// InTenant opens the transaction and hands the tx to fn, for a middleware
// of another package.
func InTenant(ctx context.Context, d *db.DB, tenantID string, fn func(tenantID string, tx pgx.Tx) error) error { // want InTenant:"layer callback@3"
	return d.WithTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return fn(tenantID, tx)
	})
}
