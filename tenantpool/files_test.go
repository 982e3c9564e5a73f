package tenantpool_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// TestDriverFilesStandAlone type-checks the core files (no driver import)
// with the pgx files alone and with the database/sql files alone, and
// sqlxpool on the package those make: txscope copies only the driver files
// a module uses, and sqlxpool's beside database/sql's.
func TestDriverFilesStandAlone(t *testing.T) {
	fset := token.NewFileSet()
	byDriver := map[string][]*ast.File{}
	for _, f := range parseDir(t, fset, ".") {
		driver := fileDriver(f)
		byDriver[driver] = append(byDriver[driver], f)
	}
	sqlx := parseDir(t, fset, "sqlxpool")
	require.NotEmpty(t, byDriver["core"])
	require.NotEmpty(t, sqlx)
	imports := exportData(t, byDriver, sqlx)
	check := func(path string, files []*ast.File, imports types.Importer) *types.Package {
		conf := types.Config{Importer: imports}
		pkg, err := conf.Check(path, fset, files, nil)
		require.NoError(t, err)
		return pkg
	}
	for _, driver := range []string{"pgx", "database/sql"} {
		t.Run(driver, func(t *testing.T) {
			require.NotEmpty(t, byDriver[driver])
			pkg := check(runtimePath, append(append([]*ast.File{}, byDriver["core"]...), byDriver[driver]...), imports)
			if driver != "database/sql" {
				return
			}
			t.Run("sqlxpool", func(t *testing.T) {
				check(runtimePath+"/sqlxpool", sqlx, importerFunc(func(path string) (*types.Package, error) {
					if path == runtimePath {
						return pkg, nil
					}
					return imports.Import(path)
				}))
			})
		})
	}
}

const runtimePath = "github.com/txscope/txscope/tenantpool"

// parseDir parses the non-test .go files of dir.
func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var files []*ast.File
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		files = append(files, f)
	}
	return files
}

// exportData loads the types of every package the files import but the
// runtime itself, from export data, as an importer.
func exportData(t *testing.T, byDriver map[string][]*ast.File, more []*ast.File) types.Importer {
	var paths []string
	for _, files := range append(slices.Collect(maps.Values(byDriver)), more) {
		for _, f := range files {
			for _, imp := range f.Imports {
				if path, _ := strconv.Unquote(imp.Path.Value); path != runtimePath {
					paths = append(paths, path)
				}
			}
		}
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes}, paths...)
	require.NoError(t, err)
	byPath := map[string]*types.Package{}
	for _, p := range pkgs {
		require.Empty(t, p.Errors)
		byPath[p.PkgPath] = p.Types
	}
	return importerFunc(func(path string) (*types.Package, error) {
		if p := byPath[path]; p != nil {
			return p, nil
		}
		return nil, fmt.Errorf("%s is not loaded", path)
	})
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// fileDriver is "pgx" for a file that imports pgx, else "database/sql" for
// one that imports it, else "core".
func fileDriver(f *ast.File) string {
	driver := "core"
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		switch {
		case strings.HasPrefix(path, "github.com/jackc/pgx/"):
			return "pgx"
		case path == "database/sql":
			driver = "database/sql"
		}
	}
	return driver
}
