package tenantpool_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// TestDriverFilesStandAlone type-checks the core files (no driver import)
// with the pgx files alone and with the database/sql files alone: txscope
// copies only the driver files a module uses.
func TestDriverFilesStandAlone(t *testing.T) {
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	byDriver := map[string][]*ast.File{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		driver := fileDriver(f)
		byDriver[driver] = append(byDriver[driver], f)
	}
	require.NotEmpty(t, byDriver["core"])
	imports := exportData(t, byDriver)
	for _, driver := range []string{"pgx", "database/sql"} {
		t.Run(driver, func(t *testing.T) {
			require.NotEmpty(t, byDriver[driver])
			files := append(append([]*ast.File{}, byDriver["core"]...), byDriver[driver]...)
			conf := types.Config{Importer: imports}
			_, err := conf.Check("tenantpool", fset, files, nil)
			require.NoError(t, err)
		})
	}
}

// exportData loads the types of every package the files import, from
// export data, as an importer.
func exportData(t *testing.T, byDriver map[string][]*ast.File) types.Importer {
	var paths []string
	for _, files := range byDriver {
		for _, f := range files {
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				paths = append(paths, path)
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
