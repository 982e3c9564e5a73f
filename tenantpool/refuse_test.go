package tenantpool_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/txscope/txscope/tenantpool"
)

// poisonedTenant is left at session level on every server connection.
const poisonedTenant = "t09"

// TestRefusedThroughPgBouncer runs behind PgBouncer in transaction mode,
// with every server connection carrying another tenant at session level.
// A COMMIT queued between the tenant setting and a read ends the implicit
// transaction: the read after it sees the other tenant's rows, which is
// what a Handle must prevent. It refuses such a batch, and every statement
// with transaction control or a session-level setting, before it takes a
// connection; what it does send sees its own tenant's rows only.
func TestRefusedThroughPgBouncer(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pool := f.pool(t, f.db.AppBouncerURL+"&default_query_exec_mode=exec", 3)
	poisonServerConnections(t, pool, 3)

	t.Run("the hazard: a plain batch reads the leftover tenant after COMMIT", func(t *testing.T) {
		b := &pgx.Batch{}
		b.Queue("select set_config('app.current_tenant_id', 't01', true)")
		b.Queue("commit")
		var counts map[string]int
		b.Queue(countSQL).Query(func(rows pgx.Rows) (err error) {
			counts, err = collectCounts(rows.Next, rows.Scan, rows.Err)
			return err
		})
		require.NoError(t, pool.SendBatch(ctx, b).Close())
		assert.Equal(t, map[string]int{poisonedTenant: 9}, counts, "the rig does not show the hazard")
	})

	h := tenantpool.For(pool, "t01")
	for _, sql := range refused {
		t.Run("refused batch: "+sql, func(t *testing.T) {
			acquired := pool.Stat().AcquireCount()
			b := &pgx.Batch{}
			b.Queue(countSQL)
			b.Queue(sql)
			b.Queue(countSQL)
			br := h.SendBatch(ctx, b)
			_, err := br.Query()
			require.ErrorIs(t, err, tenantpool.ErrRefused)
			require.ErrorIs(t, br.Close(), tenantpool.ErrRefused)
			assert.Equal(t, acquired, pool.Stat().AcquireCount(), "no connection taken")
		})
		for _, c := range handleCalls {
			t.Run(c.name+": "+sql, func(t *testing.T) {
				acquired := pool.Stat().AcquireCount()
				require.ErrorIs(t, c.call(ctx, h, sql), tenantpool.ErrRefused)
				assert.Equal(t, acquired, pool.Stat().AcquireCount(), "no connection taken")
			})
		}
	}

	t.Run("what is sent sees its own tenant only", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, tenant := range f.tenants {
			wg.Go(func() {
				for range 20 {
					assertOwnRowsOnly(t, ctx, tenantpool.For(pool, tenant), tenant, f.counts[tenant])
				}
			})
		}
		wg.Wait()
		assertServerConnections(t, f, 3)
	})
}

// refused are statements every handle refuses.
var refused = []string{
	"commit",
	"rollback",
	"end",
	"abort",
	"begin",
	"start transaction",
	"savepoint s",
	"release savepoint s",
	"prepare transaction 'x'",
	"set app.current_tenant_id = 't02'",
	"set session search_path = public",
	"reset all",
	"select set_config('app.current_tenant_id', 't02', false)",
	"select 1; commit",
}

// assertOwnRowsOnly reads through a batch of two counts, with SET LOCAL
// between them (allowed: it ends with the call), and checks that both see
// exactly tenant's rows.
func assertOwnRowsOnly(t *testing.T, ctx context.Context, h *tenantpool.Handle, tenant string, want int) {
	b := &pgx.Batch{}
	b.Queue(countSQL)
	b.Queue("set local search_path = public")
	b.Queue(countSQL)
	br := h.SendBatch(ctx, b)
	for _, read := range []func() (map[string]int, error){
		func() (map[string]int, error) { return countRows(br.Query()) },
		func() (map[string]int, error) { _, err := br.Exec(); return nil, err },
		func() (map[string]int, error) { return countRows(br.Query()) },
	} {
		counts, err := read()
		if assert.NoError(t, err) && counts != nil {
			assert.Equal(t, map[string]int{tenant: want}, counts)
		}
	}
	assert.NoError(t, br.Close())
}

func countRows(rows pgx.Rows, err error) (map[string]int, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collectCounts(rows.Next, rows.Scan, rows.Err)
}

// poisonServerConnections leaves poisonedTenant at session level on n
// server connections: n clients set it at once, each holding its server
// connection for a moment, so PgBouncer must give each its own.
func poisonServerConnections(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := pool.Exec(context.Background(),
				"select set_config('app.current_tenant_id', $1, false), pg_sleep(0.3)", poisonedTenant)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
}
