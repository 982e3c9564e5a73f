package tenantpool_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
)

// benchTenant has ten rows, which every read returns.
const benchTenant = "t10"

// BenchmarkRead compares one tenant-scoped read, on the same database and
// rows, directly and through PgBouncer (all in exec mode, one connection):
//
//   - tenantpool: set_config and the query in one batch;
//   - WithTenant: BEGIN, set_config, the query, COMMIT, as the whole-request
//     wrapper does it;
//   - bare pool: the query alone on connections that carry the tenant at
//     session level (the floor; unsafe behind a pooler, so direct only);
//   - tenantpool.ForDB: database/sql's short transaction.
//
// roundtrips/op counts the client's writes to the server: each is a
// message batch the client then waits on.
func BenchmarkRead(b *testing.B) {
	f := newFixture(b)
	targets := []struct {
		name string
		url  string
		bare bool
	}{
		{name: "direct", url: f.db.AppURL, bare: true},
		{name: "pgbouncer", url: f.db.AppBouncerURL},
	}
	for _, target := range targets {
		var writes atomic.Int64
		url := target.url + "&default_query_exec_mode=exec"
		pool := benchPool(b, url, &writes, nil)
		db := benchDB(b, url, &writes)
		reads := []struct {
			name string
			read func(context.Context) error
		}{
			{name: "tenantpool", read: func(ctx context.Context) error {
				return readItems(ctx, tenantpool.For(pool, benchTenant))
			}},
			{name: "WithTenant", read: func(ctx context.Context) error {
				return withTenant(ctx, pool, benchTenant, func(tx pgx.Tx) error { return readItems(ctx, tx) })
			}},
			{name: "tenantpool.ForDB", read: func(ctx context.Context) error {
				return readItemsSQL(ctx, tenantpool.ForDB(db, benchTenant))
			}},
		}
		if target.bare {
			bare := benchPool(b, url, &writes, func(ctx context.Context, conn *pgx.Conn) error {
				_, err := conn.Exec(ctx, "select set_config('app.current_tenant_id', $1, false)", benchTenant)
				return err
			})
			reads = append(reads, struct {
				name string
				read func(context.Context) error
			}{name: "bare pool", read: func(ctx context.Context) error { return readItems(ctx, bare) }})
		}
		for _, r := range reads {
			b.Run(target.name+"/"+r.name, func(b *testing.B) {
				ctx := context.Background()
				require.NoError(b, r.read(ctx), "warm-up")
				writes.Store(0)
				for b.Loop() {
					if err := r.read(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(writes.Load())/float64(b.N), "roundtrips/op")
			})
		}
	}
}

// withTenant is the wrapper that tenantpool replaces for reads: the
// callback in a transaction with the tenant set in it.
func withTenant(ctx context.Context, pool *pgxpool.Pool, tenant string, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select set_config('app.current_tenant_id', $1, true)", tenant); err != nil {
			return err
		}
		return fn(tx)
	})
}

const itemsSQL = "select id, name from items order by id"

// readItems reads the tenant's items and checks that all ten came back.
func readItems(ctx context.Context, q querier) error {
	rows, err := q.Query(ctx, itemsSQL)
	if err != nil {
		return err
	}
	items, err := pgx.CollectRows(rows, pgx.RowToStructByPos[item])
	return checkItems(items, err)
}

func readItemsSQL(ctx context.Context, h *tenantpool.SQLHandle) error {
	rows, err := h.QueryContext(ctx, itemsSQL)
	if err != nil {
		return err
	}
	defer rows.Close()
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ID, &it.Name); err != nil {
			return err
		}
		items = append(items, it)
	}
	return checkItems(items, rows.Err())
}

type item struct {
	ID   int64
	Name string
}

func checkItems(items []item, err error) error {
	if err == nil && len(items) != 10 {
		return errWrongRows
	}
	return err
}

var errWrongRows = errors.New("the read did not return the tenant's ten rows")

// benchPool is a one-connection pool whose connections count their writes.
func benchPool(b *testing.B, url string, writes *atomic.Int64, afterConnect func(context.Context, *pgx.Conn) error) *pgxpool.Pool {
	config, err := pgxpool.ParseConfig(url)
	require.NoError(b, err)
	config.MaxConns = 1
	config.ConnConfig.DialFunc = countingDialer(writes)
	config.AfterConnect = afterConnect
	pool, err := pgxpool.NewWithConfig(context.Background(), config)
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	return pool
}

// benchDB is benchPool for database/sql.
func benchDB(b *testing.B, url string, writes *atomic.Int64) *sql.DB {
	config, err := pgx.ParseConfig(url)
	require.NoError(b, err)
	config.DialFunc = countingDialer(writes)
	db := stdlib.OpenDB(*config)
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	return db
}

func countingDialer(writes *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: conn, writes: writes}, nil
	}
}

// countingConn counts the writes to the server: pgx writes each batch of
// protocol messages it then waits on with one Write.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}
