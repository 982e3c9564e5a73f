package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/txscope/txscope/fixtures/golden"
	"golang.org/x/tools/txtar"
)

// fixtureModule materialises the input files of fixtures/<name>.txtar in a
// temporary directory and returns it.
func fixtureModule(t *testing.T, name string) string {
	t.Helper()
	repo := repoRoot(t)
	c := golden.Load(t, filepath.Join(repo, "fixtures", name+".txtar"))
	dir := t.TempDir()
	c.WriteModule(t, repo, dir)
	return dir
}

// writeModule materialises an archive's input files in dir as a golden
// case does (golden.Case.WriteModule): go.sum from this repository, $REPO
// in go.mod replaced by it.
func writeModule(t *testing.T, repo, dir string, ar *txtar.Archive) {
	t.Helper()
	(&golden.Case{Archive: ar}).WriteModule(t, repo, dir)
}

// section is the content of an archive's file name, "" when it has none.
func section(ar *txtar.Archive, name string) string {
	return (&golden.Case{Archive: ar}).Section(name)
}

// caseText is an archive file's text as its case uses it: with CRLF line
// endings in a "crlf: true" case.
func caseText(ar *txtar.Archive, data []byte) []byte {
	return (&golden.Case{Archive: ar}).Text(data)
}

// runIn runs txscope with args in dir and returns stdout, stderr and the exit code.
func runIn(dir string, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = run(append(append([]string{}, args...), "-C", dir), nil, &out, &errOut)
	return out.String(), errOut.String(), code
}
