// Package app has one case of each finding that is not about the schema.
package app

import (
	"context"
	"net/http"

	"example.com/codes/db"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type Server struct{ db *db.DB }

// Notify calls an HTTP API inside the transaction, after a write.
func (s *Server) Notify(ctx context.Context, tenantID string) error { // want Notify:"^notx=slow"
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO events (tenant_id) VALUES ($1)", tenantID); err != nil {
			return err
		}
		resp, err := http.Get("https://hooks.example.com/" + tenantID) // want `slow call net/http.Get inside a tenant transaction holds its connection \(TS002\)`
		if err != nil {
			return err
		}
		return resp.Body.Close()
	})
}

// Mixed queries the pool while the transaction holds a connection.
func (s *Server) Mixed(ctx context.Context, tenantID string) error { // want Mixed:"^tx@recv=read"
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var n int
		if err := s.db.Pool.QueryRow(ctx, "SELECT count(*) FROM items WHERE tenant_id = $1", tenantID).Scan(&n); err != nil { // want `pooled query github.com/jackc/pgx/v5/pgxpool.\(\*Pool\).QueryRow inside a tenant transaction takes a second connection while holding one \(TS006\)`
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO counts (tenant_id, n) VALUES ($1, $2)", tenantID, n)
		return err
	})
}

// Names reads on the raw pool, with no tenant filter.
func (s *Server) Names(ctx context.Context) (pgx.Rows, error) { // want Names:"^tx@recv=read \\(reads items\\); unfiltered$"
	return s.db.Pool.Query(ctx, "SELECT name FROM items") // want `read on a raw pool without a tenant_id filter: no tenant is set for row-level security, or another client.s is left over \(TS005\)`
}

// Configure sets the tenant in a pool hook.
func Configure(cfg *pgxpool.Config, tenantID string) {
	cfg.PrepareConn = func(ctx context.Context, c *pgx.Conn) (bool, error) { // want `tenant set in a pool hook: it stays on the connection, not the transaction \(TS007\)`
		_, err := c.Exec(ctx, "select set_config('app.current_tenant_id', $1, false)", tenantID)
		return err == nil, err
	}
}

// Scoped sets the tenant inside the statement that reads.
func Scoped(ctx context.Context, pool *pgxpool.Pool, tenantID string) (pgx.Rows, error) { // want Scoped:"filtered"
	return pool.Query(ctx, "WITH t AS (SELECT set_config('app.current_tenant_id', $1, true)) SELECT name FROM items, t WHERE tenant_id = $1", tenantID) // want `tenant set inside a larger statement: only that statement sees it, and only when it is evaluated first \(TS007\)`
}

// defaultServer's wrapper call runs at init, made by the initializer
// itself: there is no function whose statements could move.
var defaultServer = &Server{}

var seeded = defaultServer.db.WithTenant(context.Background(), "t0", func(tx pgx.Tx) error { // want `not analysed: WithTenant is called by a package-level initializer, once at init; txscope rewrites wrapper calls inside functions only \(move it into one\) \(TS010\)`
	_, err := tx.Exec(context.Background(), "DELETE FROM sessions")
	return err
})
