package tenantpool_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/fixtures/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clusterOptions puts PgBouncer with three server connections a database in
// front of the server, so that many clients share few connections.
var clusterOptions = pgtest.Options{PgBouncer: true, PoolSize: 3}

// schema has one table under forced row-level security on the tenant
// setting (the superuser that seeds it bypasses the policy, the application
// role cannot) and one without, whose tenant column defaults to the setting.
const schema = `
create table items (
	id bigserial primary key,
	tenant_id text not null,
	name text not null
);
alter table items enable row level security;
alter table items force row level security;
create policy tenant_isolation on items
	using (tenant_id = current_setting('app.current_tenant_id', true))
	with check (tenant_id = current_setting('app.current_tenant_id', true));
create table events (
	id bigserial primary key,
	tenant_id text not null default current_setting('app.current_tenant_id'),
	name text not null
);
`

// Tenant ids of the seed data beside the ten plain ones.
const (
	uuidTenant = "5f0c6a4e-0b1d-4c3e-9a57-2f1f7d9e8a10"
	intTenant  = "42"
)

// fixture is a fresh database with the schema and seed data: tenant tNN has
// NN rows, so a count tells whose rows a read returned.
type fixture struct {
	db      *pgtest.Database
	tenants []string
	counts  map[string]int
}

// seeded is the database that fixtures copy, built once per test binary.
var seeded struct {
	once sync.Once
	db   *pgtest.Database
	err  error
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	cluster := pgtest.Shared(t, clusterOptions)
	f := &fixture{counts: map[string]int{uuidTenant: 2, intTenant: 3}}
	for n := 1; n <= 10; n++ {
		tenant := fmt.Sprintf("t%02d", n)
		f.tenants = append(f.tenants, tenant)
		f.counts[tenant] = n
	}
	seeded.once.Do(func() {
		seeded.db, seeded.err = cluster.CreateDatabase("seeded")
		if seeded.err == nil {
			seeded.err = seed(seeded.db.URL, f.counts)
		}
	})
	require.NoError(t, seeded.err)
	f.db = cluster.NewCopy(t, seeded.db)
	return f
}

// seed creates the schema and counts[tenant] rows for each tenant.
func seed(url string, counts map[string]int) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, schema); err != nil {
		return err
	}
	for tenant, n := range counts {
		_, err := conn.Exec(ctx,
			"insert into items (tenant_id, name) select $1, 'item ' || i from generate_series(1, $2) i",
			tenant, n)
		if err != nil {
			return err
		}
	}
	return nil
}

// pool opens a pgx pool on url with at most maxConns connections.
func (f *fixture) pool(t testing.TB, url string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	config, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	config.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), config)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// sqlDB opens a database/sql pool on url through pgx's stdlib driver.
func (f *fixture) sqlDB(t testing.TB, url string) *sql.DB {
	t.Helper()
	config, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	db := stdlib.OpenDB(*config)
	t.Cleanup(func() { db.Close() })
	return db
}

// sqlxDB opens an sqlx pool on url through pgx's stdlib driver.
func (f *fixture) sqlxDB(t testing.TB, url string) *sqlx.DB {
	t.Helper()
	return sqlx.NewDb(f.sqlDB(t, url), "pgx")
}

// countSQL counts the visible rows by tenant.
const countSQL = "select tenant_id, count(*) from items group by tenant_id"

// querier is the part of a pgx pool, tx or tenantpool.Handle the reads use.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// countByTenant returns the visible rows of each tenant.
func countByTenant(ctx context.Context, q querier) (map[string]int, error) {
	rows, err := q.Query(ctx, countSQL)
	if err != nil {
		return nil, err
	}
	return collectCounts(rows.Next, rows.Scan, rows.Err)
}

// countByTenantSQL is countByTenant for database/sql.
func countByTenantSQL(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, countSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collectCounts(rows.Next, rows.Scan, rows.Err)
}

// tenantCount is a row of countSQL.
type tenantCount struct {
	Tenant string `db:"tenant_id"`
	N      int    `db:"count"`
}

// countByTenantSqlx is countByTenant for sqlx, through Select.
func countByTenantSqlx(ctx context.Context, q interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}) (map[string]int, error) {
	var rows []tenantCount
	if err := q.SelectContext(ctx, &rows, countSQL); err != nil {
		return nil, err
	}
	return tallyCounts(rows), nil
}

func tallyCounts(rows []tenantCount) map[string]int {
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Tenant] = r.N
	}
	return counts
}

func collectCounts(next func() bool, scan func(...any) error, errf func() error) (map[string]int, error) {
	counts := map[string]int{}
	for next() {
		var tenant string
		var n int
		if err := scan(&tenant, &n); err != nil {
			return nil, err
		}
		counts[tenant] = n
	}
	return counts, errf()
}
