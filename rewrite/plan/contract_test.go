package plan

import (
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
	"golang.org/x/tools/go/packages"
)

// TestHonourContract decides what a plan may do with a wrapper's
// contract: repeat its error mapping on what moves out, or keep the
// handler; keep a commit-anyway wrapper's writes where that error commits
// them.
func TestHonourContract(t *testing.T) {
	api := types.NewPackage("example.com/app/api", "api")
	errutil := types.NewPackage("example.com/app/errutil", "errutil")
	mapper := func(pkg *types.Package, name string) *types.Func {
		e := types.Universe.Lookup("error").Type()
		sig := types.NewSignatureType(nil, nil, nil, types.NewTuple(types.NewVar(0, pkg, "err", e)), types.NewTuple(types.NewVar(0, pkg, "", e)), false)
		return types.NewFunc(0, pkg, name, sig)
	}
	exported, unexported := mapper(errutil, "MapDBError"), mapper(errutil, "mapDBError")
	keep := []analysis.CommitError{{Name: "example.com/app/db.ErrKeep", Why: "errors.Is(err, ErrKeep) at db/db.go:20:5"}}
	tests := []struct {
		name     string
		wrapper  analysis.Wrapper
		order    []int
		splits   int
		start    int
		want     string
		mapError *types.Func
	}{
		{name: "rollback, as it is", start: 1},
		{name: "mapping repeated", wrapper: analysis.Wrapper{MapsWith: exported}, start: 1, mapError: exported},
		{name: "mapping the handler cannot call", wrapper: analysis.Wrapper{MapsWith: unexported}, start: 1,
			want: "the wrapper returns its callback's error through errutil.mapDBError, which the handler's package cannot call: an error returned by what moves out of the callback would reach the caller as it is"},
		{name: "mapping and --split", wrapper: analysis.Wrapper{MapsWith: exported}, start: 1, splits: 1,
			want: "the wrapper returns its callback's error through errutil.MapDBError, which --split would not apply between the blocks"},
		{name: "mapping it cannot repeat", wrapper: analysis.Wrapper{MapsError: `returns fmt.Errorf("tx: %w", err) at db/db.go:9:10 in place of the callback's error`}, start: 1,
			want: `the wrapper returns fmt.Errorf("tx: %w", err) at db/db.go:9:10 in place of the callback's error: an error returned by what moves out of the callback would reach the caller as it is`},
		{name: "commit-anyway, prefix moved", wrapper: analysis.Wrapper{Commits: keep}, start: 2},
		{name: "commit-anyway, --split", wrapper: analysis.Wrapper{Commits: keep}, start: 1, splits: 1},
		{name: "commit-anyway, slow call moved without reordering", wrapper: analysis.Wrapper{Commits: keep}, order: []int{0, 1, 2, 3}, start: 2},
		{name: "commit-anyway, a write sunk past the slow call", wrapper: analysis.Wrapper{Commits: keep}, order: []int{1, 2, 0, 3}, start: 2,
			want: "the wrapper commits when the callback returns db.ErrKeep (errors.Is(err, ErrKeep) at db/db.go:20:5): with the slow call moved out, a write that ran before it would be skipped, not committed, when what now runs first returns that error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.wrapper
			site := &analysis.Site{Wrapper: &w, Func: load.FuncSource{Pkg: &packages.Package{Types: api}}}
			p := Plan{Wrapped: &analysis.Wrapped{Site: site}, Order: tt.order, Splits: make([]Split, tt.splits)}
			assert.Equal(t, tt.want, p.honourContract(tt.start))
			assert.Equal(t, tt.mapError, p.MapError)
		})
	}
}
