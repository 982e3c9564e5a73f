package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A //line directive that names a file outside the module, which exists
// and holds the same code, does not make txscope read or write it.
func TestLineDirectiveOutsideModule(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim.go")
	dir := t.TempDir()
	ar := plainModule(t, dir, "line_directive.txtar")
	show := filepath.Join(dir, "api", "show.go")
	src := strings.ReplaceAll(section(ar, "api/show.go"), "/elsewhere/victim.go", victim)
	require.NoError(t, os.WriteFile(show, []byte(src), 0o644))
	require.NoError(t, os.WriteFile(victim, []byte(src), 0o644))
	commitAll(t, dir)

	out, code := rewriteIn(dir)
	require.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "api/show.go:15:9: (*Server).Lookup: read-only: pooled")
	assert.NotContains(t, out, victim)
	assert.Equal(t, src, readFile(t, victim), "the file the directive names is untouched")
	assert.Contains(t, readFile(t, show), "q := tenantpool.For(s.db.Pool, tenantID)")
}

// A symlinked target is written through to its file inside the module and
// stays a symlink; one that leads outside the module is refused.
func TestSymlinkedTarget(t *testing.T) {
	t.Run("inside", func(t *testing.T) {
		dir := t.TempDir()
		ar := plainModule(t, dir, "comments.txtar")
		link, real := filepath.Join(dir, "api", "comment.go"), filepath.Join(dir, "shared", "comment.go.txt")
		require.NoError(t, os.MkdirAll(filepath.Dir(real), 0o755))
		require.NoError(t, os.Rename(link, real))
		require.NoError(t, os.Symlink("../shared/comment.go.txt", link))
		commitAll(t, dir)

		out, code := rewriteIn(dir)
		require.Equal(t, exitOK, code, out)
		target, err := os.Readlink(link)
		require.NoError(t, err, "api/comment.go stays a symlink")
		assert.Equal(t, "../shared/comment.go.txt", target)
		assert.Equal(t, section(ar, "want/api/comment.go"), readFile(t, real))
	})
	t.Run("outside", func(t *testing.T) {
		dir := t.TempDir()
		ar := plainModule(t, dir, "comments.txtar")
		link, outside := filepath.Join(dir, "api", "comment.go"), filepath.Join(t.TempDir(), "comment.go")
		require.NoError(t, os.Rename(link, outside))
		require.NoError(t, os.Symlink(outside, link))
		commitAll(t, dir)

		out, code := rewriteIn(dir)
		assert.Equal(t, exitError, code, out)
		assert.Contains(t, out, "txscope: apply: "+link+" is a symlink to "+outside+", outside the module: txscope neither reads nor writes it\n")
		assert.Equal(t, section(ar, "api/comment.go"), readFile(t, outside))
	})
}
