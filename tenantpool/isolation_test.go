package tenantpool_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/fixtures/pgtest"
	"github.com/txscope/txscope/tenantpool"
	"github.com/txscope/txscope/tenantpool/sqlxpool"
)

const (
	isolationWorkers    = 8
	isolationRequests   = 200
	isolationNeighbours = 2
)

// readFunc reads the visible rows of each tenant as tenant.
type readFunc func(ctx context.Context, tenant string) (map[string]int, error)

// TestIsolationThroughPgBouncer runs tenantpool reads for random tenants
// from many clients through PgBouncer with three server connections, while
// a neighbour on the same server connections sets the tenant the leaky way
// (set_config(…, false), then a separate read). Every tenantpool read must
// see exactly its own tenant's rows; the neighbour must be seen to leak, or
// the rig would not prove anything.
func TestIsolationThroughPgBouncer(t *testing.T) {
	tests := []struct {
		name   string
		reader func(t *testing.T, f *fixture, url string) readFunc
	}{
		{name: "pgx exec", reader: pgxReader("exec")},
		{name: "pgx simple_protocol", reader: pgxReader("simple_protocol")},
		{name: "database/sql exec", reader: sqlReader("exec")},
		{name: "sqlx exec", reader: sqlxReader("exec")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			read := tt.reader(t, f, f.db.AppBouncerURL)
			neighbour := f.pool(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec", isolationNeighbours)

			tenantpoolTally, neighbourTally := runIsolation(t, f, read, neighbour)
			t.Logf("tenantpool: %s", tenantpoolTally)
			t.Logf("leaky neighbour: %s", neighbourTally)

			assert.Equal(t, int64(isolationWorkers*isolationRequests), tenantpoolTally.reads.Load())
			assert.Zero(t, tenantpoolTally.errors.Load(), "first error: %v", tenantpoolTally.firstErr.Load())
			assert.Zero(t, tenantpoolTally.wrongRows.Load(), "tenantpool reads saw other tenants' rows")
			assert.Zero(t, tenantpoolTally.wrongCounts.Load(), "tenantpool reads missed rows of their own tenant")
			assert.Zero(t, neighbourTally.errors.Load(), "first error: %v", neighbourTally.firstErr.Load())
			assert.Positive(t, neighbourTally.wrongRows.Load(), "the leaky neighbour never leaked: the rig does not show the hazard")
			assertServerConnections(t, f, 3)
		})
	}
}

func pgxReader(mode string) func(t *testing.T, f *fixture, url string) readFunc {
	return func(t *testing.T, f *fixture, url string) readFunc {
		pool := f.pool(t, url+"&default_query_exec_mode="+mode, isolationWorkers)
		return func(ctx context.Context, tenant string) (map[string]int, error) {
			return countByTenant(ctx, tenantpool.For(pool, tenant))
		}
	}
}

func sqlReader(mode string) func(t *testing.T, f *fixture, url string) readFunc {
	return func(t *testing.T, f *fixture, url string) readFunc {
		db := f.sqlDB(t, url+"&default_query_exec_mode="+mode)
		db.SetMaxOpenConns(isolationWorkers)
		return func(ctx context.Context, tenant string) (map[string]int, error) {
			return countByTenantSQL(ctx, tenantpool.ForDB(db, tenant))
		}
	}
}

func sqlxReader(mode string) func(t *testing.T, f *fixture, url string) readFunc {
	return func(t *testing.T, f *fixture, url string) readFunc {
		db := f.sqlxDB(t, url+"&default_query_exec_mode="+mode)
		db.SetMaxOpenConns(isolationWorkers)
		return func(ctx context.Context, tenant string) (map[string]int, error) {
			return countByTenantSqlx(ctx, sqlxpool.For(db, tenant))
		}
	}
}

// runIsolation runs the workers to completion with the neighbours beside
// them and tallies both.
func runIsolation(t *testing.T, f *fixture, read readFunc, neighbour *pgxpool.Pool) (*tally, *tally) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var mine, theirs tally
	stop := make(chan struct{})
	var neighbours sync.WaitGroup
	for n := range isolationNeighbours {
		neighbours.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(n), 2))
			for {
				select {
				case <-stop:
					return
				default:
				}
				tenant := f.tenants[rng.IntN(len(f.tenants))]
				counts, err := leakyRead(ctx, neighbour, tenant)
				theirs.add(tenant, counts, err, f.counts[tenant])
			}
		})
	}
	var workers sync.WaitGroup
	for w := range isolationWorkers {
		workers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range isolationRequests {
				tenant := f.tenants[rng.IntN(len(f.tenants))]
				counts, err := read(ctx, tenant)
				mine.add(tenant, counts, err, f.counts[tenant])
			}
		})
	}
	workers.Wait()
	close(stop)
	neighbours.Wait()
	return &mine, &theirs
}

// leakyRead is the wrapper this package replaces: the tenant set at session
// level, then the read as a statement of its own, which a transaction-mode
// pooler may run on another server connection.
func leakyRead(ctx context.Context, pool *pgxpool.Pool, tenant string) (map[string]int, error) {
	if _, err := pool.Exec(ctx, "select set_config('app.current_tenant_id', $1, false)", tenant); err != nil {
		return nil, err
	}
	return countByTenant(ctx, pool)
}

// tally counts the reads of one side and what they saw.
type tally struct {
	reads       atomic.Int64
	errors      atomic.Int64
	firstErr    atomic.Value
	wrongRows   atomic.Int64 // rows of a tenant other than the one asked for
	wrongReads  atomic.Int64 // reads that saw such rows
	wrongCounts atomic.Int64 // reads whose own tenant's count was not its row count
	emptyReads  atomic.Int64 // reads that saw no rows at all
}

func (t *tally) add(tenant string, counts map[string]int, err error, want int) {
	t.reads.Add(1)
	if err != nil {
		t.errors.Add(1)
		t.firstErr.CompareAndSwap(nil, err.Error())
		return
	}
	var wrong int
	for other, n := range counts {
		if other != tenant {
			wrong += n
		}
	}
	t.wrongRows.Add(int64(wrong))
	if wrong > 0 {
		t.wrongReads.Add(1)
	}
	if counts[tenant] != want {
		t.wrongCounts.Add(1)
	}
	if len(counts) == 0 {
		t.emptyReads.Add(1)
	}
}

func (t *tally) String() string {
	return fmt.Sprintf("%d reads, %d errors, %d wrong-tenant rows in %d reads, %d reads with a wrong own count, %d empty reads",
		t.reads.Load(), t.errors.Load(), t.wrongRows.Load(), t.wrongReads.Load(), t.wrongCounts.Load(), t.emptyReads.Load())
}

// assertServerConnections checks that all the clients went through at most
// max server connections, so that they really shared them.
func assertServerConnections(t *testing.T, f *fixture, max int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, f.db.URL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx,
		"select count(*) from pg_stat_activity where datname = $1 and usename = $2",
		f.db.Name, pgtest.AppRole).Scan(&n))
	assert.Positive(t, n)
	assert.LessOrEqual(t, n, max, "server connections of the application role")
}
