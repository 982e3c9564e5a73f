// Package api has one handler of each kind txscope fixes.
package api

import (
	"context"

	"example.com/shop/db"
	"github.com/jackc/pgx/v5"
)

type Server struct{ db *db.DB }

// Show only reads: the fix takes it off the transaction.
func (s *Server) Show(ctx context.Context, tenantID, id string) (string, error) { // want Show:"tx@recv=txcontrol.txstate.unknown"
	var name string
	err := s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error { // want `whole-request tenant transaction in \(\*Server\).Show \(read-only\): it only reads, so it needs no transaction \(TS001\)`
		return tx.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", id).Scan(&name)
	})
	return name, err
}

// Order reads, then writes: the fix moves the read before the transaction.
func (s *Server) Order(ctx context.Context, tenantID, id string) error { // want Order:"tx@recv=txcontrol.txstate.unknown"
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error { // want `whole-request tenant transaction in \(\*Server\).Order \(mixed\): reads and session checks before the first write hold the connection \(TS001\)`
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM customers WHERE id = $1", id).Scan(&n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO orders (customer_id) VALUES ($1)", id)
		return err
	})
}

// Audit only writes: its transaction is already minimal, nothing to report.
func (s *Server) Audit(ctx context.Context, tenantID, action string) error { // want Audit:"tx@recv=txcontrol.txstate.unknown"
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO audit_log (action) VALUES ($1)", action)
		return err
	})
}
