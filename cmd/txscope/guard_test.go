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

// rewriteIn runs `txscope rewrite [flags] -C dir` in-process and returns
// stderr and the exit code.
func rewriteIn(dir string, flags ...string) (string, int) {
	var stdout, stderr bytes.Buffer
	code := run(append(append([]string{"rewrite"}, flags...), "-C", dir), strings.NewReader(""), &stdout, &stderr)
	return stdout.String() + stderr.String(), code
}

// plainModule writes a rewrite fixture's input outside any git repository.
func plainModule(t *testing.T, dir, fixture string) *txtar.Archive {
	t.Helper()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	ar, err := txtar.ParseFile(filepath.Join(repo, "fixtures", "rewrite", fixture))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	writeModule(t, repo, dir, ar)
	return ar
}

// assertRefused checks that the guard refused with why, named
// --allow-dirty, and left path as it was.
func assertRefused(t *testing.T, out string, code int, why, path string, was []byte) {
	t.Helper()
	assert.Equal(t, exitError, code, out)
	assert.Contains(t, out, "txscope: apply: nothing was written (use --allow-dirty to write anyway): ")
	assert.Contains(t, out, why)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(was), string(data), "a refused run writes nothing")
}

// The dirty-tree guard fails closed: whenever git cannot vouch for a
// target, nothing is written without --allow-dirty.
func TestGuardWithoutGit(t *testing.T) {
	dir, ar, _ := gitModule(t, "comments.txtar")
	t.Setenv("PATH", pathWithout(t, "git"))
	path := filepath.Join(dir, "api", "comment.go")

	out, code := rewriteIn(dir)
	assertRefused(t, out, code, "the dirty-tree guard needs git, and git is not on PATH", path, []byte(section(ar, "api/comment.go")))
	out, code = rewriteIn(dir, "--allow-dirty")
	require.Equal(t, exitOK, code, out)
	assert.Equal(t, section(ar, "want/api/comment.go"), readFile(t, path))
}

// pathWithout is $PATH with the named tool left out (go stays): a
// directory of links to every other program.
func pathWithout(t *testing.T, tool string) string {
	t.Helper()
	bin := t.TempDir()
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			link := filepath.Join(bin, e.Name())
			if e.Name() == tool || strings.HasPrefix(e.Name(), tool+"-") || fileExists(link) {
				continue
			}
			require.NoError(t, os.Symlink(filepath.Join(dir, e.Name()), link))
		}
	}
	return bin
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func TestGuardGitError(t *testing.T) {
	t.Run("broken gitdir", func(t *testing.T) {
		dir := t.TempDir()
		ar := plainModule(t, dir, "comments.txtar")
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".git"), []byte("gitdir: "+filepath.Join(dir, "missing")+"\n"), 0o644))
		out, code := rewriteIn(dir)
		assertRefused(t, out, code, "the dirty-tree guard cannot ask git about "+dir+": fatal: not a git repository", filepath.Join(dir, "api", "comment.go"), []byte(section(ar, "api/comment.go")))
	})
	t.Run("dubious ownership", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give the repository another owner")
		}
		dir, ar, _ := gitModule(t, "comments.txtar")
		t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull) // no safe.directory from the machine's config
		out, err := exec.Command("chown", "-R", "1234:1234", dir).CombinedOutput()
		require.NoError(t, err, "%s", out)
		got, code := rewriteIn(dir)
		assertRefused(t, got, code, "dubious ownership", filepath.Join(dir, "api", "comment.go"), []byte(section(ar, "api/comment.go")))
	})
}

func TestGuardOutsideAnyRepository(t *testing.T) {
	dir := t.TempDir()
	ar := plainModule(t, dir, "comments.txtar")
	out, code := rewriteIn(dir)
	assertRefused(t, out, code, "fatal: not a git repository", filepath.Join(dir, "api", "comment.go"), []byte(section(ar, "api/comment.go")))
}

// A workspace's module outside the repository of the workspace root, or
// in a repository of its own, is out of the guard's reach. (The fixture
// configures its pooled handle: the runtime is not loaded from a
// workspace root.)
func TestGuardOutsideTheRootsRepository(t *testing.T) {
	const fixture, target = "middleware_pooled_config.txtar", "sales/session.go"
	workspace := func(t *testing.T, ws, module string) *txtar.Archive {
		ar := plainModule(t, module, fixture)
		require.NoError(t, os.MkdirAll(ws, 0o755))
		rel, err := filepath.Rel(ws, module)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(ws, "go.work"), []byte("go 1.26.0\n\nuse "+rel+"\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(ws, "txscope.yaml"), []byte(section(ar, "txscope.yaml")), 0o644))
		return ar
	}
	t.Run("outside", func(t *testing.T) {
		base := t.TempDir()
		ws, other := filepath.Join(base, "ws"), filepath.Join(base, "other")
		ar := workspace(t, ws, other)
		commitAll(t, ws)
		path := filepath.Join(other, target)

		out, code := rewriteIn(ws)
		assertRefused(t, out, code, "is outside the git repository of the module root ("+ws+")", path, []byte(section(ar, target)))
		out, code = rewriteIn(ws, "--allow-dirty")
		require.Equal(t, exitOK, code, out)
		assert.Equal(t, section(ar, "want/"+target), readFile(t, path), "a workspace module is a root txscope writes in")
	})
	t.Run("nested repository", func(t *testing.T) {
		ws := t.TempDir()
		app := filepath.Join(ws, "app")
		ar := workspace(t, ws, app)
		commitAll(t, app)
		commitAll(t, ws)
		path := filepath.Join(app, target)

		out, code := rewriteIn(ws)
		assertRefused(t, out, code, "app/sales/handlers.go is in the git repository "+app+", not in that of the module root ("+ws+")", path, []byte(section(ar, target)))
	})
}

// An untracked target is uncommitted work too.
func TestGuardUntrackedTarget(t *testing.T) {
	dir, ar, _ := gitModule(t, "comments.txtar")
	path := filepath.Join(dir, "api", "comment.go")
	require.NoError(t, os.Rename(path, filepath.Join(dir, "api", "peek.go")))
	path = filepath.Join(dir, "api", "peek.go")
	out, code := rewriteIn(dir)
	assertRefused(t, out, code, "files have uncommitted changes (commit them first):\n", path, []byte(section(ar, "api/comment.go")))
	assert.Contains(t, out, "?? api/peek.go")
}

// A gitignored target is written, and the report names it: the guard
// could not have kept it.
func TestGuardGitignoredTarget(t *testing.T) {
	dir := t.TempDir()
	ar := plainModule(t, dir, "comments.txtar")
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("/api/comment.go\n"), 0o644))
	commitAll(t, dir)

	out, code := rewriteIn(dir)
	require.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "gitignored, so not covered by the dirty-tree guard: api/comment.go\n")
	assert.Equal(t, section(ar, "want/api/comment.go"), readFile(t, filepath.Join(dir, "api", "comment.go")))
}
