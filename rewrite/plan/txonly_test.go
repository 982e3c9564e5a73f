package plan

import (
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// TestPooledMethodsAreTheHandles checks the method tables against the real
// types: every method a pooled handle is said to share with a driver's tx
// is a method of both, with one signature, so that a call moved onto the
// handle compiles as it did on the tx.
func TestPooledMethodsAreTheHandles(t *testing.T) {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes},
		pgxPkg, sqlPkg, sqlxPkg, "github.com/txscope/txscope/tenantpool", "github.com/txscope/txscope/tenantpool/sqlxpool")
	require.NoError(t, err)
	byPath := map[string]*types.Package{}
	for _, p := range pkgs {
		require.Empty(t, p.Errors, p.PkgPath)
		byPath[p.PkgPath] = p.Types
	}
	named := func(path, name string, pointer bool) types.Type {
		obj := byPath[path].Scope().Lookup(name)
		require.NotNil(t, obj, "%s.%s", path, name)
		if pointer {
			return types.NewPointer(obj.Type())
		}
		return obj.Type()
	}
	tests := []struct {
		name       string
		tx, handle types.Type
	}{
		{"pgx", named(pgxPkg, "Tx", false), named("github.com/txscope/txscope/tenantpool", "Handle", true)},
		{"database/sql", named(sqlPkg, "Tx", true), named("github.com/txscope/txscope/tenantpool", "SQLHandle", true)},
		{"sqlx", named(sqlxPkg, "Tx", true), named("github.com/txscope/txscope/tenantpool/sqlxpool", "Handle", true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shared := 0
			require.Contains(t, pooledMethods, TxKind(tt.tx))
			txMethods := types.NewMethodSet(tt.tx)
			for i := range txMethods.Len() {
				m := txMethods.At(i).Obj().(*types.Func)
				if !pooledMethod(tt.tx, m.Name()) {
					continue
				}
				shared++
				obj, _, _ := types.LookupFieldOrMethod(tt.handle, false, nil, m.Name())
				hm, ok := obj.(*types.Func)
				if assert.True(t, ok, "the handle has no method %s", m.Name()) {
					// A method that returns the tx returns the handle on the handle (Unsafe).
					same := types.Identical(m.Signature(), hm.Signature()) || returnsOnly(m, tt.tx) && returnsOnly(hm, tt.handle)
					assert.True(t, same, "%s: %s on the tx, %s on the handle", m.Name(), m.Signature(), hm.Signature())
				}
			}
			assert.Positive(t, shared)
		})
	}
	// A table entry that its tx lacks would be a typo that never applies.
	for i, driver := range []string{pgxPkg, sqlPkg, sqlxPkg} {
		ms := types.NewMethodSet(tests[i].tx)
		for name := range pooledMethods[driver] {
			assert.NotNil(t, ms.Lookup(nil, name), "the %s tx has no method %s", driver, name)
		}
	}
}

// returnsOnly reports whether fn takes nothing and returns a t.
func returnsOnly(fn *types.Func, t types.Type) bool {
	sig := fn.Signature()
	return sig.Params().Len() == 0 && sig.Results().Len() == 1 && types.Identical(sig.Results().At(0).Type(), t)
}
