package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

// fixtureModule materialises the input files of fixtures/<name>.txtar in a
// temporary directory and returns it.
func fixtureModule(t *testing.T, name string) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	ar, err := txtar.ParseFile(filepath.Join(repo, "fixtures", name+".txtar"))
	require.NoError(t, err)
	dir := t.TempDir()
	writeModule(t, repo, dir, ar)
	return dir
}

// runIn runs txscope with args in dir and returns stdout, stderr and the exit code.
func runIn(dir string, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = run(append(append([]string{}, args...), "-C", dir), nil, &out, &errOut)
	return out.String(), errOut.String(), code
}
