package fuzz

import (
	"go/format"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTraceProblems shows where traceProblems finds a statement that moved
// where it must not.
func TestTraceProblems(t *testing.T) {
	read := event{Step: "SELECT /* feeds:w1 */ [a]#1", Tenant: "t1", Tx: 1, Where: "in a transaction", Feeds: "w1"}
	write := event{Step: "INSERT /* w1 */ [b 1]#1", Tenant: "t1", Tx: 1, Where: "in a transaction", Write: "w1"}
	orig := []event{read, write}
	at := func(e event, tenant string, tx int, where string) event {
		e.Tenant, e.Tx, e.Where = tenant, tx, where
		return e
	}
	tests := []struct {
		name string
		got  []event
		want []string
	}{
		{name: "as before", got: orig},
		{name: "in another transaction, alike", got: []event{at(read, "t1", 4, "in a transaction"), at(write, "t1", 4, "in a transaction")}},
		{
			name: "read pooled",
			got:  []event{at(read, "t1", 1, "in a pooled batch"), at(write, "t1", 2, "in a transaction")},
			want: []string{`SELECT /* feeds:w1 */ [a]#1 guards or feeds INSERT /* w1 */ [b 1]#1 and ran in its transaction; now the read ran in a pooled batch (transaction 1), the write in a transaction (transaction 2)`},
		},
		{
			name: "read gone",
			got:  []event{write},
			want: []string{`SELECT /* feeds:w1 */ [a]#1 no longer ran before the write it guards or feeds, INSERT /* w1 */ [b 1]#1`},
		},
		{
			name: "no tenant, another tenant",
			got:  []event{at(read, "", 0, "on the raw pool"), at(write, "t2", 2, "in a transaction")},
			want: []string{
				`SELECT /* feeds:w1 */ [a]#1 ran under tenant "" on the raw pool; in the original under "t1" in a transaction`,
				`INSERT /* w1 */ [b 1]#1 ran under tenant "t2" in a transaction; in the original under "t1" in a transaction`,
				`SELECT /* feeds:w1 */ [a]#1 guards or feeds INSERT /* w1 */ [b 1]#1 and ran in its transaction; now the read ran on the raw pool (transaction 0), the write in a transaction (transaction 2)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, traceProblems(orig, tt.got))
		})
	}
	// A statement the original ran without a tenant may run under one; a
	// read the original did not run in its write's transaction may leave.
	loose := []event{at(read, "", 0, "on the raw pool"), at(write, "t1", 2, "in a transaction")}
	assert.Empty(t, traceProblems(loose, []event{at(read, "t1", 1, "in a pooled batch"), at(write, "t1", 2, "in a transaction")}))
}

// mutantsBefore are handlers as the generator writes them; mutantsAfter
// the same handlers rewritten, each but the controls broken in one way the
// dynamic property must catch.
const mutantsBefore = `package h00

import (
	"context"

	"example.com/fz/world"
	"github.com/jackc/pgx/v5"
)

func guard(ctx context.Context, d *world.DB, tenant string) error {
	return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
		var v1 int
		if err := tx.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1 /* feeds:w1 */", "a").Scan(&v1); err != nil {
			return err
		}
		if v1 > 5 {
			return world.ErrX
		}
		_, err := tx.Exec(ctx, "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2 /* w1 */", "b", v1)
		return err
	})
}

func read(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
		v, err := world.Read(ctx, tx, "c")
		if err != nil {
			return err
		}
		out.Emit("v", v)
		return nil
	})
}

func GuardPooled(ctx context.Context, d *world.DB, tenant string, out *world.Out) error { return guard(ctx, d, tenant) }
func GuardOwnTx(ctx context.Context, d *world.DB, tenant string, out *world.Out) error { return guard(ctx, d, tenant) }
func GuardKept(ctx context.Context, d *world.DB, tenant string, out *world.Out) error { return guard(ctx, d, tenant) }
func ReadOtherTenant(ctx context.Context, d *world.DB, tenant string, out *world.Out) error { return read(ctx, d, tenant, out) }
func ReadRawPool(ctx context.Context, d *world.DB, tenant string, out *world.Out) error { return read(ctx, d, tenant, out) }
func ReadPooled(ctx context.Context, d *world.DB, tenant string, out *world.Out) error { return read(ctx, d, tenant, out) }

func ReadOwnRawPool(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
		v, err := world.ReadOwn(ctx, tx, tenant, "c")
		if err != nil {
			return err
		}
		out.Emit("v", v)
		return nil
	})
}

func ReadOwnCtx(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	return d.WithTenantCtx(world.Scoped(ctx), tenant, func(ctx context.Context, tx pgx.Tx) error {
		v, err := world.Read(ctx, tx, "c")
		if err != nil {
			return err
		}
		out.Emit("v", v)
		return nil
	})
}
`

const mutantsAfter = `package h00

import (
	"context"

	"example.com/fz/world"
	"github.com/jackc/pgx/v5"
	"github.com/txscope/txscope/tenantpool"
)

// GuardPooled reads its guard on the tenant-scoped pool, before the write's
// transaction: every outcome is the original's, only where the read ran
// differs.
func GuardPooled(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	q := tenantpool.For(d.Pool, tenant)
	var v1 int
	if err := q.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1 /* feeds:w1 */", "a").Scan(&v1); err != nil {
		return err
	}
	if v1 > 5 {
		return world.ErrX
	}
	return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2 /* w1 */", "b", v1)
		return err
	})
}

// GuardOwnTx reads its guard in a transaction of its own.
func GuardOwnTx(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	var v1 int
	if err := d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1 /* feeds:w1 */", "a").Scan(&v1)
	}); err != nil {
		return err
	}
	if v1 > 5 {
		return world.ErrX
	}
	return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2 /* w1 */", "b", v1)
		return err
	})
}

// GuardKept is the original: a control.
func GuardKept(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
		var v1 int
		if err := tx.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1 /* feeds:w1 */", "a").Scan(&v1); err != nil {
			return err
		}
		if v1 > 5 {
			return world.ErrX
		}
		_, err := tx.Exec(ctx, "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2 /* w1 */", "b", v1)
		return err
	})
}

// ReadOtherTenant reads on a handle scoped to another tenant: the fake
// keeps no rows per tenant, so only the tenant it ran under differs.
func ReadOtherTenant(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	q := tenantpool.For(d.Pool, "t2")
	v, err := world.Read(ctx, q, "c")
	if err != nil {
		return err
	}
	out.Emit("v", v)
	return nil
}

// ReadRawPool reads on the raw pool, with no tenant set.
func ReadRawPool(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	v, err := world.Read(ctx, d.Pool, "c")
	if err != nil {
		return err
	}
	out.Emit("v", v)
	return nil
}

// ReadPooled is the correct rewrite: a control.
func ReadPooled(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	q := tenantpool.For(d.Pool, tenant)
	v, err := world.Read(ctx, q, "c")
	if err != nil {
		return err
	}
	out.Emit("v", v)
	return nil
}

// ReadOwnRawPool reads on the raw pool, filtering on the tenant column:
// right without row-level security, with no tenant set under it.
func ReadOwnRawPool(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	v, err := world.ReadOwn(ctx, d.Pool, tenant, "c")
	if err != nil {
		return err
	}
	out.Emit("v", v)
	return nil
}

// ReadOwnCtx drops the context the callback was given for the handler's.
func ReadOwnCtx(ctx context.Context, d *world.DB, tenant string, out *world.Out) error {
	q := tenantpool.For(d.Pool, tenant)
	v, err := world.Read(ctx, q, "c")
	if err != nil {
		return err
	}
	out.Emit("v", v)
	return nil
}
`

// TestDynamicProblems shows that the dynamic property fails on rewrites
// that break it, by hand-broken rewrites of handlers in issue 13's shapes,
// built and run as TestSeeds runs a batch, with row-level security and
// without (a raw module); the controls pass.
func TestDynamicProblems(t *testing.T) {
	before, err := format.Source([]byte(mutantsBefore))
	require.NoError(t, err)
	after, err := format.Source([]byte(mutantsAfter))
	require.NoError(t, err)
	handlers := []string{"GuardPooled", "GuardOwnTx", "GuardKept", "ReadOtherTenant", "ReadRawPool", "ReadPooled", "ReadOwnRawPool", "ReadOwnCtx"}
	var reg strings.Builder
	reg.WriteString("package h00\n\nimport \"example.com/fz/world\"\n\nvar Handlers = []world.Handler{\n")
	for _, h := range handlers {
		scoped := ""
		if h == "ReadOwnCtx" {
			scoped = ", Scoped: true"
		}
		reg.WriteString("\t{Name: \"h00." + h + "\", Err: " + h + scoped + "},\n")
	}
	reg.WriteString("}\n")
	p := program{pkg: "h00", src: before, registry: []byte(reg.String()), handlers: handlers}
	for _, raw := range []bool{false, true} {
		t.Run(map[bool]string{false: "rls", true: "raw"}[raw], func(t *testing.T) {
			m, err := newModule(t.TempDir(), raw)
			require.NoError(t, err)
			require.NoError(t, m.setPrograms([]program{p}))
			beforeBin, err := m.build("before.bin")
			require.NoError(t, err)
			require.NoError(t, m.writeFiles(map[string][]byte{handlersFile(p): after}))
			afterBin, err := m.build("after.bin")
			require.NoError(t, err)
			diffs, err := m.dynamicDiffs(beforeBin, afterBin, false)
			require.NoError(t, err)
			assertMutants(t, diffs, raw)
		})
	}
}

// assertMutants checks the differences TestDynamicProblems finds: each
// broken handler's, in order, and none of a control's.
func assertMutants(t *testing.T, diffs []string, raw bool) {
	got := map[string][]string{}
	for _, d := range diffs {
		d = strings.TrimPrefix(strings.TrimPrefix(d, "before: "), "statements of ")
		name, _, _ := strings.Cut(strings.TrimPrefix(d, "h00."), " ")
		got[name] = append(got[name], d)
	}
	want := map[string][]string{
		"GuardPooled":     {`guards or feeds INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2 /* w1 */ [b 1]#1 and ran in its transaction; now the read ran in a pooled batch (transaction 1), the write in a transaction (transaction 2)`},
		"GuardOwnTx":      {`guards or feeds INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2 /* w1 */ [b 1]#1 and ran in its transaction; now the read ran in a transaction (transaction 1), the write in a transaction (transaction 2)`},
		"ReadOtherTenant": {`SELECT v FROM kv WHERE k = $1 [c]#1 ran under tenant "t2" in a pooled batch; in the original under "t1" in a transaction`},
		// Another tenant's row is what it reads, too.
		"ReadRawPool": {`out=[v=103]`, `SELECT v FROM kv WHERE k = $1 [c]#1 ran under tenant "" on the raw pool; in the original under "t1" in a transaction`},
		"ReadOwnCtx":  {`ran with the handler's context, not the one its callback was given`},
	}
	if !raw {
		want["ReadOwnRawPool"] = []string{`SELECT v FROM kv WHERE tenant_id = $1 AND k = $2 [t1 c]#1 ran under tenant "" on the raw pool; in the original under "t1" in a transaction`}
	}
	for name := range got {
		assert.Contains(t, want, name, "a control failed the property:\n%s", strings.Join(got[name], "\n"))
	}
	for name, subs := range want {
		require.Len(t, got[name], len(subs), "%s: %q", name, got[name])
		for i, sub := range subs {
			assert.Contains(t, got[name][i], sub, name)
		}
	}
	// Only the statements tell the guard's moves and the other tenant
	// apart: the outcomes are the original's.
	for _, d := range diffs {
		if strings.HasPrefix(d, "before: h00.Guard") || strings.HasPrefix(d, "before: h00.ReadOtherTenant") {
			t.Errorf("outcome changed: %s", d)
		}
	}
}
