package rules

import (
	"go/types"
	"path/filepath"
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
var popModPackages = []string{popPkg, buffaloPkg, popmwPkg}

var loadPopMod = sync.OnceValues(func() (map[string]*types.Package, error) {
	dir, err := filepath.Abs(filepath.Join("testdata", "popmod"))
	if err != nil {
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
