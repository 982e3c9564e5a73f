package bundle

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite tenantpool.txtar from ../../tenantpool")

// TestArchiveMatchesRuntime keeps the embedded copy equal to the runtime
// package it is made from: every non-test .go file of tenantpool/ and of
// its sub-package sqlxpool/.
func TestArchiveMatchesRuntime(t *testing.T) {
	const root = "../../tenantpool"
	var names []string
	for _, dir := range []string{root, root + "/sqlxpool"} {
		found, err := filepath.Glob(dir + "/*.go")
		require.NoError(t, err)
		names = append(names, found...)
	}
	ar := &txtar.Archive{Comment: []byte("The source of txscope's runtime package tenantpool and its sub-packages, embedded in the binary.\nGenerated: go test ./rewrite/bundle -update\n")}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		rel, err := filepath.Rel(root, name)
		require.NoError(t, err)
		ar.Files = append(ar.Files, txtar.File{Name: filepath.ToSlash(rel), Data: data})
	}
	want := txtar.Format(ar)
	if *update {
		require.NoError(t, os.WriteFile("tenantpool.txtar", want, 0o644))
		return
	}
	assert.Equal(t, string(want), string(archive), "tenantpool.txtar is stale: run go test ./rewrite/bundle -update")
}

func TestDrivers(t *testing.T) {
	byName := map[string]Driver{}
	for _, f := range Files() {
		byName[f.Name] = f.Driver
	}
	assert.Equal(t, Core, byName["tenant.go"])
	assert.Equal(t, Core, byName["doc.go"])
	assert.Equal(t, Core, byName["guard.go"])
	assert.Equal(t, PGX, byName["pgx.go"])
	assert.Equal(t, SQL, byName["sql.go"])
	assert.Equal(t, SQL, byName["replay.go"])
	assert.Equal(t, SQLX, byName["sqlxpool/sqlxpool.go"])
	assert.Equal(t, PGX, DriverOf("", "For"))
	assert.Equal(t, PGX, DriverOf("", "Handle"))
	assert.Equal(t, SQL, DriverOf("", "ForDB"))
	assert.Equal(t, SQL, DriverOf("", "SQLHandle"))
	assert.Equal(t, SQL, DriverOf("", "ReplayDB"))
	assert.Equal(t, SQLX, DriverOf("sqlxpool", "For"))
	assert.Equal(t, SQLX, DriverOf("sqlxpool", "Handle"))
	assert.Equal(t, Driver(""), DriverOf("", "DefaultSetting"))
	assert.Equal(t, Driver(""), DriverOf("", "ErrRefused"))
	assert.Equal(t, map[string]Driver{"sqlxpool": SQLX}, SubPackages())
	assert.True(t, IsPackage("tenantpool"))
	assert.True(t, IsPackage("sqlxpool"))
	assert.False(t, IsPackage("sqlx"))
	for _, f := range ForDrivers(SQL) {
		assert.Contains(t, []Driver{Core, SQL}, f.Driver, f.Name)
	}
	// sqlx's handle runs its statements through database/sql's.
	var names []string
	for _, f := range ForDrivers(SQLX) {
		assert.Contains(t, []Driver{Core, SQL, SQLX}, f.Driver, f.Name)
		names = append(names, f.Name)
	}
	assert.Subset(t, names, []string{"doc.go", "guard.go", "tenant.go", "replay.go", "sql.go", "sqlxpool/sqlxpool.go"})
	assert.Equal(t, Recheck, DriverOf("", "ErrConflict"))
	assert.Len(t, ForDrivers(PGX, SQLX, Recheck), len(Files()))
}

// TestSource checks that a sub-package's copy imports the copy of the
// runtime, and that the runtime's own files are copied as they are.
func TestSource(t *testing.T) {
	for _, f := range Files() {
		src := string(f.Source("example.com/app/internal/tenantpool"))
		if f.Dir() == "" {
			assert.Equal(t, string(f.Body), src, f.Name)
			continue
		}
		assert.Contains(t, src, "\t\"example.com/app/internal/tenantpool\"\n", f.Name)
		assert.NotContains(t, src, ImportPath, f.Name)
	}
}

func TestInspect(t *testing.T) {
	body := []byte("package tenantpool\n\nconst X = 1\n")
	stamped := Stamp("v1.2.3", body)
	c, got := Inspect(stamped)
	assert.Equal(t, Intact, c)
	assert.Equal(t, string(body), string(got))
	assert.Contains(t, string(stamped), "txscope v1.2.3")

	edited := []byte(strings.Replace(string(stamped), "X = 1", "X = 2", 1))
	c, _ = Inspect(edited)
	assert.Equal(t, Edited, c)

	c, _ = Inspect(body)
	assert.Equal(t, Foreign, c)
}
