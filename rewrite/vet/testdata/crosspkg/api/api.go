// Package api calls helpers, a wrapper, a middleware and a layer of other
// packages: every finding here is right only if their facts crossed.
package api

import (
	"context"

	"example.com/crosspkg/db"
	"example.com/crosspkg/mw"
	"example.com/crosspkg/store"
	"github.com/jackc/pgx/v5"
)

type Server struct{ db *db.DB }

// Show calls a read helper of package store: read-only, so it moves onto
// the pooled handle. Without store.Name's fact the call is unknown (a
// write) and nothing is reported.
func (s *Server) Show(ctx context.Context, tenantID, id string) (string, error) { // want Show:"^tx@recv=txcontrol.txstate.unknown"
	var name string
	err := s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error { // want `whole-request tenant transaction in \(\*Server\).Show \(read-only\): it only reads, so it needs no transaction \(TS001\)`
		n, err := store.Name(ctx, tx, id)
		name = n
		return err
	})
	return name, err
}

// Rename checks the customer, then writes, through store: the check moves
// out of the transaction.
func (s *Server) Rename(ctx context.Context, tenantID, id, name string) error { // want Rename:"^tx@recv=txcontrol.txstate.unknown"
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error { // want `whole-request tenant transaction in \(\*Server\).Rename \(mixed\): reads and session checks before the first write hold the connection \(TS001\)`
		if _, err := store.Name(ctx, tx, id); err != nil {
			return err
		}
		return store.Rename(ctx, tx, id, name)
	})
}

// Rate calls store.Rating, which is slow by its body alone.
func (s *Server) Rate(ctx context.Context, tenantID, id string) error { // want Rate:"^notx=slow.*tx@recv=slow.txcontrol"
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error { // want `whole-request tenant transaction in \(\*Server\).Rate \(mixed\): reads and session checks before the first write hold the connection \(TS001\)`
		resp, err := store.Rating(ctx, id) // want `slow call example.com/crosspkg/store.Rating inside a tenant transaction holds its connection \(TS002\)`
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return store.Rename(ctx, tx, id, resp.Status)
	})
}

// ShowSales runs behind the middleware of package mw.
func (s *Server) ShowSales(ctx context.Context, tenantID, id string) error { // want ShowSales:"^tx@recv=txcontrol.txstate.unknown"
	return mw.WithSales(ctx, s.db, tenantID, func(sc mw.Sales) error { // want `whole-request tenant transaction in \(\*Server\).ShowSales \(read-only\): it only reads, so it needs no transaction; the fix is a middleware migration, which changes the middleware and all its handlers together \(across packages too\): run .txscope rewrite. \(TS001\)`
		_, err := store.Name(ctx, sc.DB, id)
		return err
	})
}

// Local is what withLocal's handlers get.
type Local struct {
	TenantID string
	DB       db.Querier
}

// withLocal is a middleware of this package over the layer of package mw.
func (s *Server) withLocal(ctx context.Context, tenantID string, h func(l Local) error) error { // want withLocal:"middleware handler@2"
	return mw.InTenant(ctx, s.db, tenantID, func(t string, tx pgx.Tx) error {
		return h(Local{TenantID: t, DB: tx})
	})
}

// ShowLocal runs behind withLocal.
func (s *Server) ShowLocal(ctx context.Context, tenantID, id string) error { // want ShowLocal:"^tx@recv=txcontrol.txstate.unknown"
	return s.withLocal(ctx, tenantID, func(l Local) error { // want `whole-request tenant transaction in \(\*Server\).ShowLocal \(read-only\): it only reads, so it needs no transaction; the fix is a middleware migration, which changes the middleware and all its handlers together \(across packages too\): run .txscope rewrite. \(TS001\)`
		_, err := store.Name(ctx, l.DB, id)
		return err
	})
}
