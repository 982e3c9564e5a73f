package rules

import (
	"go/types"
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"

	// The drivers whose presets are checked below; importing them keeps
	// them in go.mod for the fixtures that use them.
	_ "github.com/jmoiron/sqlx"
	_ "gorm.io/gorm"
)

// TestPresetsNameRealMethods loads the real driver packages and checks that
// every preset names a function or method they declare: a preset with a
// typo would silently never apply.
func TestPresetsNameRealMethods(t *testing.T) {
	paths := []string{"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgxpool", "github.com/jackc/pgx/v5/pgconn", "database/sql", "github.com/jmoiron/sqlx", "gorm.io/gorm"}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes}, paths...)
	require.NoError(t, err)
	declared := map[string]bool{}
	for _, p := range pkgs {
		require.Empty(t, p.Errors, p.PkgPath)
		maps.Copy(declared, declaredFuncs(p.Types))
	}
	for _, name := range PresetNames() {
		if strings.HasPrefix(name, "github.com/jmoiron/sqlx") || strings.HasPrefix(name, "gorm.io/gorm") ||
			strings.HasPrefix(name, "github.com/jackc/pgx/v5") || strings.HasPrefix(name, "database/sql") {
			assert.True(t, declared[name], "preset %s names no declared function", name)
		}
	}
}

// declaredFuncs are the FuncNames of the functions and methods pkg declares.
func declaredFuncs(pkg *types.Package) map[string]bool {
	declared := map[string]bool{}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		switch obj := scope.Lookup(name).(type) {
		case *types.Func:
			declared[FuncName(obj)] = true
		case *types.TypeName:
			for _, t := range []types.Type{obj.Type(), types.NewPointer(obj.Type())} {
				ms := types.NewMethodSet(t)
				for i := range ms.Len() {
					if fn, ok := ms.At(i).Obj().(*types.Func); ok && fn.Pkg() == pkg {
						declared[FuncName(fn)] = true
					}
				}
			}
		}
	}
	return declared
}
