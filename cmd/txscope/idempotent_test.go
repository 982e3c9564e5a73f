package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertIdempotent runs rewrite again over a case's rewritten module: a
// second run must print no diff (so it would write nothing). A --dry-run case is
// applied first, so the check holds for its rewrite too.
func assertIdempotent(t *testing.T, dir string, args []string) {
	t.Helper()
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return a == "--dry-run" || a == "-n" || a == "--json" || a == "--exit-code"
	})
	base := append([]string{"rewrite", "-C", dir}, args...)
	var discard bytes.Buffer
	run(base, strings.NewReader(""), &discard, &discard)

	before := snapshot(t, dir)
	var stdout, stderr bytes.Buffer
	run(append(slices.Clone(base), "--dry-run"), strings.NewReader(""), &stdout, &stderr)
	assert.Empty(t, stdout.String(), "second run prints a diff; report:\n%s", stderr.String())
	assert.Equal(t, before, snapshot(t, dir), "a dry run changes files")
}

// snapshot reads every Go file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	require.NoError(t, err)
	return files
}
