package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

// TestDryRunDiffApplies feeds a --dry-run diff to `git apply` in a git
// work tree of the same module: the diff must apply and give the files a
// real run writes, CRLF line endings included.
func TestDryRunDiffApplies(t *testing.T) {
	for _, fixture := range []string{"comments.txtar", "crlf.txtar"} {
		t.Run(fixture, func(t *testing.T) {
			dir, ar, git := gitModule(t, fixture)
			var diff, stderr bytes.Buffer
			require.Equal(t, 0, run([]string{"rewrite", "--dry-run", "-C", dir}, strings.NewReader(""), &diff, &stderr), stderr.String())
			require.NotEmpty(t, diff.String())
			patch := filepath.Join(t.TempDir(), "rewrite.diff")
			require.NoError(t, os.WriteFile(patch, diff.Bytes(), 0o644))
			git("apply", "--check", patch)
			git("apply", patch)

			for _, f := range ar.Files {
				if path, ok := strings.CutPrefix(f.Name, "want/"); ok {
					data, err := os.ReadFile(filepath.Join(dir, path))
					require.NoError(t, err)
					assert.Equal(t, string(caseText(ar, f.Data)), string(data), "%s after git apply", path)
				}
			}
		})
	}
}

// TestRewriteRefusesDirtyFiles keeps uncommitted work safe: nothing is
// written until --allow-dirty; then the files are written with their mode.
func TestRewriteRefusesDirtyFiles(t *testing.T) {
	dir, ar, _ := gitModule(t, "comments.txtar")
	path := filepath.Join(dir, "api", "comment.go")
	require.NoError(t, os.Chmod(path, 0o600))
	dirty := append([]byte("// Work in progress.\n"), section(ar, "api/comment.go")...)
	require.NoError(t, os.WriteFile(path, dirty, 0o600))

	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitError, run([]string{"rewrite", "-C", dir}, strings.NewReader(""), &stdout, &stderr))
	assert.Contains(t, stderr.String(), "uncommitted changes")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(dirty), string(data), "a refused run writes nothing")

	require.Equal(t, exitOK, run([]string{"rewrite", "--allow-dirty", "-C", dir}, strings.NewReader(""), &stdout, &stderr), stderr.String())
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "tenantpool.For")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

// gitModule writes a rewrite fixture's input into a new git work tree with
// everything committed.
func gitModule(t *testing.T, fixture string) (string, *txtar.Archive, func(...string)) {
	t.Helper()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	ar, err := txtar.ParseFile(filepath.Join(repo, "fixtures", "rewrite", fixture))
	require.NoError(t, err)
	dir := t.TempDir()
	writeModule(t, repo, dir, ar)
	return dir, ar, commitAll(t, dir)
}

// commitAll makes dir a git work tree with everything in it committed,
// and returns a runner of git commands there.
func commitAll(t *testing.T, dir string) func(...string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	}
	git("init", "-q")
	git("add", "-A")
	git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "input")
	return git
}
