package rules

import (
	"encoding/json"
	"go/types"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// popModPackages are the packages of the real gobuffalo/pop, Buffalo and
// buffalo-pop that txscope has rules for. They are not dependencies of
// txscope's own module (pop alone would add some thirty modules to it, and
// to every fixture's build list), so they come from testdata/popmod, a
// module of its own that pins the versions.
var popModPackages = []string{popPkg, buffaloPkg, buffaloPkg + "/render", popmwPkg, "github.com/gobuffalo/validate/v3"}

var loadPopMod = sync.OnceValues(func() (map[string]*types.Package, error) {
	dir, err := filepath.Abs(filepath.Join("testdata", "popmod"))
	if err != nil {
		return nil, err
	}
	if err := readTree(dir); err != nil {
		return nil, err
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: dir}, popModPackages...)
	if err != nil {
		return nil, err
	}
	byPath := map[string]*types.Package{}
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, p.Errors[0]
		}
		byPath[p.PkgPath] = p.Types
	}
	return byPath, nil
})

// readTree reads every file under dir. go list reads them in a process of
// its own, which go test's cache does not see; reading them here makes an
// edit of them run the test again.
func readTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		_, err = os.ReadFile(path)
		return err
	})
}

// popMod returns the real packages by path; see popModPackages.
func popMod(t *testing.T) map[string]*types.Package {
	t.Helper()
	byPath, err := loadPopMod()
	require.NoError(t, err, "loading testdata/popmod (its modules come from the module proxy the first time)")
	return byPath
}

// popMethodTable is txMethodTable for pop: every exported method of
// *pop.Connection and of the queries it hands out, by effect ("+hooks":
// the model's callbacks join the effect).
var popMethodTable = map[string]map[string]string{
	"*github.com/gobuffalo/pop/v6.Connection": {
		"pure": "BelongsTo BelongsToAs BelongsToThrough Context Eager EagerPreload Limit MigrationTableName MigrationURL " +
			"Order Paginate PaginateFromParams Q Select String URL Where WithContext",
		"read":        "Count",
		"read+hooks":  "All Find First Last Load Reload",
		"sql0":        "RawQuery",
		"txcontrol":   "Close NewTransaction NewTransactionContext NewTransactionContextOptions Open Rollback Transaction",
		"unknown":     "Scope",
		"write":       "TruncateAll",
		"write+hooks": "Create Destroy Save Update UpdateColumns ValidateAndCreate ValidateAndSave ValidateAndUpdate",
	},
	"*github.com/gobuffalo/pop/v6.Query": {
		"pure": "BelongsTo BelongsToAs BelongsToThrough Eager EagerPreload GroupBy Having InnerJoin Join LeftJoin " +
			"LeftOuterJoin Limit Order Paginate PaginateFromParams RightJoin RightOuterJoin Select ToSQL Where",
		"read":        "Count CountByField Exists",
		"read+hooks":  "All Find First Last",
		"sql0":        "RawQuery",
		"unknown":     "Clone Exec ExecWithCount Scope",
		"write":       "UpdateQuery",
		"write+hooks": "Delete",
	},
}

// TestPopMethodTable enumerates, with go/types on the real pop package,
// the methods of *pop.Connection and of every driver value they return,
// and checks each one's effect against popMethodTable: a method pop adds
// fails until it is classified.
func TestPopMethodTable(t *testing.T) {
	conn := popMod(t)[popPkg].Scope().Lookup("Connection")
	require.NotNil(t, conn)
	assertMethodTable(t, popMethodTable, methodEffects(t, []types.Type{types.NewPointer(conn.Type())}))
}

// TestPopPresetsNameRealMethods is TestPresetsNameRealMethods for pop.
func TestPopPresetsNameRealMethods(t *testing.T) {
	declared := declaredFuncs(popMod(t)[popPkg])
	for _, name := range PresetNames() {
		if strings.HasPrefix(name, popPkg+".") {
			assert.True(t, declared[name], "preset %s names no declared function", name)
		}
	}
}

// TestPopTransactionContract runs the real (*pop.Connection).Transaction
// (testdata/popmod/contract: over a driver that records what it is asked)
// for each case of its contract and checks what happened against the
// contract txscope states for it (LibraryWrapper), case by case.
func TestPopTransactionContract(t *testing.T) {
	fn := popMod(t)[popPkg].Scope().Lookup("Connection").Type().(*types.Named)
	var transaction *types.Func
	for m := range fn.Methods() {
		if m.Name() == "Transaction" {
			transaction = m
		}
	}
	require.NotNil(t, transaction)
	contract, ok := LibraryWrapper(transaction)
	require.True(t, ok, "no contract for %s", FuncName(transaction))
	require.Equal(t, "{recv}", contract.Pool)

	cmd := exec.Command("go", "run", "./contract")
	cmd.Dir = filepath.Join("testdata", "popmod")
	out, err := cmd.Output()
	require.NoError(t, err, "go run ./contract in testdata/popmod")
	type observed struct {
		Nested, Fails, Same bool
		Events              []string
		Returned            string
	}
	var cases []observed
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var c observed
		require.NoError(t, json.Unmarshal([]byte(line), &c), line)
		cases = append(cases, c)
	}
	require.Len(t, cases, 4, "outside or inside a transaction, callback nil or error")
	for _, c := range cases {
		// The test begins the outer transaction itself in the nested cases:
		// its begin is the first event either way.
		want := observed{Nested: c.Nested, Fails: c.Fails, Same: c.Nested && contract.EndsOuter, Returned: "nil", Events: []string{"begin 1"}}
		switch {
		case c.Fails && contract.RollsBack:
			want.Events, want.Returned = append(want.Events, "rollback 1"), "callback"
		case !c.Fails && contract.Commits:
			want.Events = append(want.Events, "commit 1")
		}
		assert.Equal(t, want, c, "nested %v, callback fails %v", c.Nested, c.Fails)
	}
}

// TestStubsMatchReal checks the stand-ins the golden cases build on
// (fixtures/stubs) against the real modules: every function, type, field
// and method they declare exists in the real package with the same
// signature, so what txscope does with a case is what it does with an app.
func TestStubsMatchReal(t *testing.T) {
	real := popMod(t)
	for _, dir := range []string{"pop", "validate", "buffalo", "buffalo-pop"} {
		abs, err := filepath.Abs(filepath.Join("..", "fixtures", "stubs", dir))
		require.NoError(t, err)
		require.NoError(t, readTree(abs))
		pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: abs}, "./...")
		require.NoError(t, err)
		for _, p := range pkgs {
			require.Empty(t, p.Errors, p.PkgPath)
			r := real[p.PkgPath]
			require.NotNil(t, r, "%s: no real package loaded (popModPackages)", p.PkgPath)
			for _, name := range p.Types.Scope().Names() {
				if obj := p.Types.Scope().Lookup(name); obj.Exported() {
					assertSameDecl(t, obj, r.Scope().Lookup(name))
				}
			}
		}
	}
}

// assertSameDecl compares a stub's declaration with the real one.
func assertSameDecl(t *testing.T, stub, real types.Object) {
	where := stub.Pkg().Path() + "." + stub.Name()
	if !assert.NotNil(t, real, "%s: not in the real package", where) {
		return
	}
	switch stub := stub.(type) {
	case *types.Func:
		assert.Equal(t, sigString(stub), sigString(real.(*types.Func)), where)
	case *types.TypeName:
		rt := real.Type()
		switch u := stub.Type().Underlying().(type) {
		case *types.Struct:
			for i := 0; i < u.NumFields(); i++ {
				f := u.Field(i)
				if !f.Exported() || f.Embedded() {
					continue
				}
				rf, _, _ := types.LookupFieldOrMethod(rt, true, real.Pkg(), f.Name())
				if assert.IsType(t, (*types.Var)(nil), rf, "%s.%s: no such field", where, f.Name()) {
					assert.Equal(t, typeString(f.Type()), typeString(rf.Type()), "%s.%s", where, f.Name())
				}
			}
		case *types.Interface:
			for m := range u.Methods() {
				rm, _, _ := types.LookupFieldOrMethod(rt, true, real.Pkg(), m.Name())
				if assert.NotNil(t, rm, "%s.%s: no such method", where, m.Name()) {
					assert.Equal(t, sigString(m), sigString(rm.(*types.Func)), "%s.%s", where, m.Name())
				}
			}
		default:
			assert.Equal(t, typeString(u), typeString(rt.Underlying()), where)
		}
		if n, ok := stub.Type().(*types.Named); ok {
			for m := range n.Methods() {
				if !m.Exported() {
					continue
				}
				rm, _, _ := types.LookupFieldOrMethod(types.NewPointer(rt), true, real.Pkg(), m.Name())
				if assert.NotNil(t, rm, "%s.%s: no such method", where, m.Name()) {
					assert.Equal(t, sigString(m), sigString(rm.(*types.Func)), "%s.%s", where, m.Name())
				}
			}
		}
	default:
		assert.Fail(t, "only functions and types are compared", where)
	}
}

// sigString is a function's signature without its receiver, qualified by
// package path, with interface{} spelled any.
func sigString(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	return typeString(types.NewSignatureType(nil, nil, nil, sig.Params(), sig.Results(), sig.Variadic()))
}

func typeString(t types.Type) string {
	return strings.ReplaceAll(types.TypeString(t, (*types.Package).Path), "interface{}", "any")
}

// TestBuffaloNamesReal checks that every Buffalo and buffalo-pop function
// the Buffalo migration matches by name is declared in the real packages,
// and that the resource actions it reads are the real Resource's (plus
// New and Edit, which Resource routes when the type declares them).
func TestBuffaloNamesReal(t *testing.T) {
	real := popMod(t)
	declared := declaredFuncs(real[buffaloPkg])
	maps.Copy(declared, declaredFuncs(real[popmwPkg]))
	names := []string{popmwTransaction, buffaloSkip, buffaloResource, buffaloAppUse, buffaloPkg + ".Context.Error"}
	for _, set := range []map[string]bool{buffaloUse, buffaloRoutes, buffaloGroups, buffaloResponders} {
		names = append(names, slices.Collect(maps.Keys(set))...)
	}
	for _, name := range names {
		assert.True(t, declared[name], "%s is not declared in the real packages", name)
	}
	resource := real[buffaloPkg].Scope().Lookup("Resource").Type().Underlying().(*types.Interface)
	var routed []string
	for m := range resource.Methods() {
		routed = append(routed, m.Name())
	}
	assert.ElementsMatch(t, append(routed, "New", "Edit"), ResourceActions)
}
