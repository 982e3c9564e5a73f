package fuzz

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/plan"
)

// TestPlacementProblems shows that the static property fails on rewrites
// that break it.
func TestPlacementProblems(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string
	}{
		{
			name: "narrowed",
			give: `q := tenantpool.For(d.Pool, tenant)
				v, err := world.Read(ctx, q, "a")
				if err := world.Slow(ctx, v); err != nil { return err }
				return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error { return world.Write(ctx, tx, "a", v) })`,
		},
		{
			name: "write on the pool",
			give: `q := tenantpool.For(d.Pool, tenant)
				return world.Write(ctx, q, "a", 1)`,
			want: []string{"world.Write outside a transaction"},
		},
		{
			name: "pooled handle, slow call and session inside",
			give: `q := tenantpool.For(d.Pool, tenant)
				return d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {
					if err := world.Session(ctx, tx, tenant); err != nil { return err }
					if err := world.Slow(ctx, 1); err != nil { return err }
					return world.Write(ctx, q, "a", 1)
				})`,
			want: []string{
				"world.Session left inside the transaction of a rewritten handler",
				"unreported slow call inside a transaction",
				"pooled handle q used inside a transaction",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "package h\nfunc H() error {\n" + tt.give + "\n}\n"
			f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
			require.NoError(t, err)
			got := []string{}
			for _, p := range placementProblems(f.Decls[0].(*ast.FuncDecl), plan.Plan{Action: plan.ActionNarrowed}, false) {
				got = append(got, p.msg)
			}
			assert.ElementsMatch(t, append([]string{}, tt.want...), got)
		})
	}
}

func TestOutcomeDiffs(t *testing.T) {
	before := "h0.H0 state0 fault0: result=<nil>\nh0.H0 state0 fault1: result=x\nh0.H1 state0 fault0: result=<nil>\n"
	after := "h0.H0 state0 fault0: result=<nil>\nh0.H0 state0 fault1: result=<nil>\nh0.H1 state0 fault0: result=<nil>\n"
	assert.Empty(t, outcomeDiffs(before, before))
	assert.Equal(t, []string{"before: h0.H0 state0 fault1: result=x\nafter:  h0.H0 state0 fault1: result=<nil>"}, outcomeDiffs(before, after))
}
