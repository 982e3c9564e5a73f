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
// package it is made from: every non-test .go file of tenantpool/.
func TestArchiveMatchesRuntime(t *testing.T) {
	names, err := filepath.Glob("../../tenantpool/*.go")
	require.NoError(t, err)
	ar := &txtar.Archive{Comment: []byte("The source of txscope's runtime package tenantpool, embedded in the binary.\nGenerated: go test ./rewrite/bundle -update\n")}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		ar.Files = append(ar.Files, txtar.File{Name: filepath.Base(name), Data: data})
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
	assert.Equal(t, PGX, byName["pgx.go"])
	assert.Equal(t, SQL, byName["sql.go"])
	assert.Equal(t, PGX, DriverOf("For"))
	assert.Equal(t, PGX, DriverOf("Handle"))
	assert.Equal(t, SQL, DriverOf("ForDB"))
	assert.Equal(t, SQL, DriverOf("SQLHandle"))
	assert.Equal(t, Driver(""), DriverOf("DefaultSetting"))
	for _, f := range ForDrivers(SQL) {
		assert.NotEqual(t, PGX, f.Driver, f.Name)
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
