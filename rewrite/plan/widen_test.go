package plan

import (
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/load"
)

// widenModule is a module whose store helpers each take pgx.Tx as their
// second parameter and use it one way.
const widenModule = `package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

type Row struct{ tx pgx.Tx }

type runner interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type begins interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Lister is satisfied by a type with List of the same signature.
type Lister interface{ List() }

type Repo struct{}

func Read(ctx context.Context, tx pgx.Tx) error { return tx.QueryRow(ctx, "SELECT 1").Scan() }

func Paren(ctx context.Context, tx pgx.Tx) error { return (tx).QueryRow(ctx, "SELECT 1").Scan() }

func MethodValue(ctx context.Context, tx pgx.Tx) error {
	q := tx.QueryRow
	return q(ctx, "SELECT 1").Scan()
}

func Savepoint(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Begin(ctx)
	return err
}

func Conn(ctx context.Context, tx pgx.Tx) error { return tx.Conn().Ping(ctx) }

func ComparesNil(ctx context.Context, tx pgx.Tx) error {
	if tx == nil {
		return nil
	}
	return tx.QueryRow(ctx, "SELECT 1").Scan()
}

func Returns(ctx context.Context, tx pgx.Tx) pgx.Tx { return tx }

func Stores(ctx context.Context, tx pgx.Tx) Row { return Row{tx: tx} }

func Asserts(ctx context.Context, tx pgx.Tx) bool {
	_, ok := tx.(fmt.Stringer)
	return ok
}

func ToInterface(ctx context.Context, tx pgx.Tx) error { return viaRunner(ctx, tx) }

func viaRunner(ctx context.Context, q runner) error { return q.QueryRow(ctx, "SELECT 1").Scan() }

func ToTxInterface(ctx context.Context, tx pgx.Tx) error { return viaBegins(ctx, tx) }

func viaBegins(ctx context.Context, b begins) error {
	_, err := b.Begin(ctx)
	return err
}

func ToAny(ctx context.Context, tx pgx.Tx) { fmt.Println(tx) }

func ToHelper(ctx context.Context, tx pgx.Tx) error { return Read(ctx, tx) }

func ToConnHelper(ctx context.Context, tx pgx.Tx) error { return Conn(ctx, tx) }

func Recursive(ctx context.Context, tx pgx.Tx, n int) error {
	if n == 0 {
		return tx.QueryRow(ctx, "SELECT 1").Scan()
	}
	return Recursive(ctx, tx, n-1)
}

func Generic[T any](ctx context.Context, tx pgx.Tx, v T) error { return tx.QueryRow(ctx, "SELECT $1", v).Scan() }

func Shared(ctx context.Context, tx, other pgx.Tx) error { return tx.QueryRow(ctx, "SELECT 1").Scan() }

func Variadic(ctx context.Context, txs ...pgx.Tx) error { return nil }

func NilCaller(ctx context.Context, tx pgx.Tx) error { return tx.QueryRow(ctx, "SELECT 1").Scan() }

func ValueRef(ctx context.Context, tx pgx.Tx) error { return tx.QueryRow(ctx, "SELECT 1").Scan() }

func (Repo) List(ctx context.Context, tx pgx.Tx) error { return tx.QueryRow(ctx, "SELECT 1").Scan() }

func (Repo) Get(ctx context.Context, tx pgx.Tx) error { return tx.QueryRow(ctx, "SELECT 1").Scan() }

func callers(ctx context.Context) {
	_ = NilCaller(ctx, nil)
	f := ValueRef
	_ = f
}
`

// TestWidenHelper: which uses of a helper's pgx.Tx (in its body, and by
// the references to it) let its parameter become an interface, and the
// reason when not.
func TestWidenHelper(t *testing.T) {
	dir := t.TempDir()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	write := func(name string, data []byte) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	write("go.mod", []byte(`module example.com/widen

go 1.26.0

require github.com/jackc/pgx/v5 v5.12.0

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)
`))
	write("go.sum", sum)
	write("store/store.go", []byte(widenModule))
	prog, err := load.Load(load.LoadOptions{Dir: dir})
	require.NoError(t, err)
	scope := prog.Packages[0].Types.Scope()

	tests := []struct {
		name, fn string
		want     string // the reason's start after the helper's position, "" when it widens
		widens   int    // how many helpers the widening takes
	}{
		{"query on the tx", "Read", "", 1},
		{"parenthesized receiver", "Paren", "", 1},
		{"method value", "MethodValue", "tx.QueryRow at store/store.go:", 0},
		{"method only the tx has (savepoint)", "Savepoint", "tx.Begin() at store/store.go:", 0},
		{"Conn", "Conn", "tx.Conn() at store/store.go:", 0},
		{"compared to nil", "ComparesNil", "tx == nil at store/store.go:", 0},
		{"returned", "Returns", "tx is returned at store/store.go:", 0},
		{"stored in a struct", "Stores", "tx is stored at store/store.go:", 0},
		{"type-asserted", "Asserts", "tx.(fmt.Stringer) at store/store.go:", 0},
		{"to an interface the handle satisfies", "ToInterface", "", 1},
		{"to an interface with a tx-only method", "ToTxInterface", "tx is passed to viaBegins at store/store.go:", 0},
		{"to any", "ToAny", "tx is passed to fmt.Println at store/store.go:", 0},
		{"to a helper that widens", "ToHelper", "", 2},
		{"to a helper that needs the tx", "ToConnHelper", "tx is passed to Conn at store/store.go:", 0},
		{"recursive", "Recursive", "", 1},
		{"generic", "Generic", "it is generic", 0},
		{"parameter sharing its type", "Shared", "its transaction parameter shares its type", 0},
		{"variadic", "Variadic", "its transaction parameter is variadic", 0},
		{"called with nil", "NilCaller", "it is called with a nil transaction at store/store.go:", 0},
		{"used as a value", "ValueRef", "it is used as a value at store/store.go:", 0},
		{"method an interface of the module may name", "Repo.List", "the interface at store/store.go:", 0},
		{"method no interface names", "Repo.Get", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := lookupFunc(t, scope, tt.fn)
			ws, why := widenHelper(prog, fn, 1)
			if tt.want == "" {
				assert.Empty(t, why)
			} else {
				assert.Contains(t, why, tt.want)
			}
			assert.Len(t, ws, tt.widens)
		})
	}
}

// lookupFunc finds a function, or a method as "Type.Method".
func lookupFunc(t *testing.T, scope *types.Scope, name string) *types.Func {
	recv, method, ok := strings.Cut(name, ".")
	if !ok {
		fn, ok := scope.Lookup(name).(*types.Func)
		require.True(t, ok, name)
		return fn
	}
	obj, _, _ := types.LookupFieldOrMethod(scope.Lookup(recv).Type(), true, nil, method)
	fn, ok := obj.(*types.Func)
	require.True(t, ok, name)
	return fn
}
