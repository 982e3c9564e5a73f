package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// txscopeBinary builds txscope once per test run: the kill tests need a
// process of their own to kill.
func txscopeBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "txscope-bin")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "txscope")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	require.NoError(t, binaryErr)
	return binaryPath
}

// removeBinary deletes what txscopeBinary built, once the tests are done.
func removeBinary() {
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
}

// bigModule writes a module of n files, each with two read-only handlers
// (Show%03d and Count%03d), that does not require txscope: the rewrite
// edits all n files and creates the runtime's copy in a new directory, so
// a tree with some files new and some old does not build.
func bigModule(t *testing.T, n int) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	ar, err := txtar.ParseFile(filepath.Join(repo, "fixtures", "rewrite", "runtime_copy.txtar"))
	require.NoError(t, err)
	var files []txtar.File
	for _, f := range ar.Files {
		if f.Name == "go.mod" || f.Name == "db/db.go" || f.Name == "store/store.go" || f.Name == "api/server.go" {
			files = append(files, f)
		}
	}
	for i := range n {
		files = append(files, txtar.File{Name: fmt.Sprintf("api/h%03d.go", i), Data: fmt.Appendf(nil, `package api

import (
	"context"

	"example.com/app/store"
	"github.com/jackc/pgx/v5"
)

// Show%03[1]d reads a customer.
func (s *Server) Show%03[1]d(ctx context.Context, tenantID, id string, out *store.Customer) error {
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error {
		c, err := store.GetCustomer(ctx, tx, id)
		*out = c
		return err
	})
}

// Count%03[1]d counts a customer's orders.
func (s *Server) Count%03[1]d(ctx context.Context, tenantID, id string, n *int) error {
	return s.db.WithTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		*n, err = store.CountOrders(ctx, tx, id)
		return err
	})
}
`, i)})
	}
	dir := t.TempDir()
	writeModule(t, repo, dir, &txtar.Archive{Files: files})
	return dir
}

// tree reads every file under dir, by slash path relative to it.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	require.NoError(t, err)
	return files
}

// generation is "old" or "new" when dir is wholly the one tree or the
// other, else what differs.
func generation(t *testing.T, dir string, old, new map[string]string) string {
	t.Helper()
	got := tree(t, dir)
	for name, want := range map[string]map[string]string{"old": old, "new": new} {
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return name
		}
	}
	var diff []string
	for path, data := range got {
		switch {
		case old[path] == data && new[path] == data:
		case old[path] == data:
			diff = append(diff, path+": old")
		case new[path] == data:
			diff = append(diff, path+": new")
		default:
			diff = append(diff, path+": neither")
		}
	}
	return fmt.Sprintf("mixed (%d files): %.2000s", len(got), strings.Join(diff, ", "))
}

func copyTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for path, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(path))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(data), 0o644))
	}
	return dir
}

// runBinary runs txscope in dir with the given TXSCOPE_FAULT and returns
// its stderr and how it ended: an exit code, or the signal that killed it.
func runBinary(t *testing.T, fault string, args ...string) (stderr, end string) {
	t.Helper()
	cmd := exec.Command(txscopeBinary(t), args...)
	cmd.Env = append(os.Environ(), "TXSCOPE_FAULT="+fault)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	err := cmd.Run()
	return errBuf.String(), processEnd(t, cmd.ProcessState, err)
}

func processEnd(t *testing.T, st *os.ProcessState, err error) string {
	t.Helper()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if ws := st.Sys().(syscall.WaitStatus); ws.Signaled() {
		return "signal " + ws.Signal().String()
	}
	return fmt.Sprintf("exit %d", st.ExitCode())
}

// TestRewriteKilled stops a rewrite of a few hundred files at each step
// of the write (SIGKILL, SIGINT, SIGTERM, an error during the rollback):
// after the next txscope run the tree is wholly old or wholly new, that
// run said which, nothing is left behind, and the tree builds.
func TestRewriteKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds txscope and rewrites 200 files a dozen times")
	}
	pristine := bigModule(t, 200)
	old := tree(t, pristine)
	done := copyTree(t, old)
	stderr, end := runBinary(t, "", "rewrite", "--allow-dirty", "-C", done)
	require.Equal(t, "exit 0", end, stderr)
	new := tree(t, done)
	require.Greater(t, len(new), len(old), "the rewrite creates the runtime's copy")

	for _, tt := range []struct {
		fault, end, says, recovery, gen string
	}{
		{"prepare:0:KILL", "signal killed", "", "rolled back a write that was interrupted", "old"},
		{"temp:150:KILL", "signal killed", "", "rolled back", "old"},
		{"commit:0:KILL", "signal killed", "", "finished a write that was interrupted", "new"},
		{"rename:120:KILL", "signal killed", "", "finished", "new"},
		{"renamed:0:KILL", "signal killed", "", "finished", "new"},
		{"rename:120:error,restore:60:KILL", "signal killed", "", "rolled back", "old"},
		{"temp:100:INT", "exit 2", "interrupt signal received; nothing was written", "", "old"},
		{"rename:100:TERM", "exit 2", "terminated signal received after the journal was committed: finished the write", "", "new"},
		{"rename:150:error", "exit 2", "injected fault at rename 150; rolled back, every file is as it was", "", "old"},
	} {
		t.Run(tt.fault, func(t *testing.T) {
			dir := copyTree(t, old)
			stderr, end := runBinary(t, tt.fault, "rewrite", "--allow-dirty", "-C", dir)
			assert.Equal(t, tt.end, end, stderr)
			assert.Contains(t, stderr, tt.says)
			if tt.recovery != "" {
				assert.FileExists(t, filepath.Join(dir, ".txscope", "journal"), "the kill leaves a journal to recover")
			}
			if tt.fault == "rename:120:KILL" {
				got, renamed := tree(t, dir), 0
				for path, data := range old {
					if strings.HasPrefix(path, "api/h") && got[path] == new[path] && data != new[path] {
						renamed++
					}
				}
				assert.Equal(t, 120, renamed, "the kill stops the renames halfway")
			}

			stderr, end = runBinary(t, "", "check", "-C", dir)
			assert.Equal(t, map[string]string{"old": "exit 1", "new": "exit 0"}[tt.gen], end, "check finds the whole-request transactions of the old tree only: %s", stderr)
			if tt.recovery == "" {
				assert.NotContains(t, stderr, "interrupted")
			} else {
				assert.Contains(t, stderr, "txscope: "+tt.recovery)
			}
			assert.Equal(t, tt.gen, generation(t, dir, old, new))
			build := exec.Command("go", "build", "./...")
			build.Dir = dir
			out, err := build.CombinedOutput()
			assert.NoError(t, err, "go build: %s", out)
		})
	}
}

// rewrittenIn reports whether handler fn in file no longer opens the
// tenant transaction.
func rewrittenIn(t *testing.T, file, fn string) bool {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	_, body, ok := strings.Cut(string(data), "func (s *Server) "+fn+"(")
	require.True(t, ok, "%s has no %s", file, fn)
	body, _, _ = strings.Cut(body, "\n}\n")
	return !strings.Contains(body, "WithTenant")
}

// A run that starts while another writes waits briefly, then refuses and
// names it; once the first is done the second goes through.
func TestRewriteWhileAnotherWrites(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to see the first run stopped")
	}
	dir := bigModule(t, 2)
	first := exec.Command(txscopeBinary(t), "rewrite", "--allow-dirty", "--only", `Show000\b`, "-C", dir)
	first.Env = append(os.Environ(), "TXSCOPE_FAULT=commit:0:STOP")
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	require.NoError(t, first.Start())
	t.Cleanup(func() { first.Process.Kill() })
	waitStopped(t, first.Process.Pid)

	stderr, end := runBinary(t, "", "rewrite", "--allow-dirty", "--only", `Count000\b`, "-C", dir)
	assert.Equal(t, "exit 2", end)
	assert.Contains(t, stderr, fmt.Sprintf("txscope: another txscope run (pid %d) is writing in %s: try again when it has finished", first.Process.Pid, dir))

	require.NoError(t, first.Process.Signal(syscall.SIGCONT))
	err := first.Wait()
	assert.Equal(t, "exit 0", processEnd(t, first.ProcessState, err), firstErr.String())
	stderr, end = runBinary(t, "", "rewrite", "--allow-dirty", "--only", `Count000\b`, "-C", dir)
	assert.Equal(t, "exit 0", end, stderr)
	file := filepath.Join(dir, "api", "h000.go")
	assert.True(t, rewrittenIn(t, file, "Show000"), "the first run's change stays")
	assert.True(t, rewrittenIn(t, file, "Count000"))
}

func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		require.NoError(t, err)
		if _, rest, _ := strings.Cut(string(stat), ") "); strings.HasPrefix(rest, "T") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the first run never reached its write")
}

// Two runs at once on the same file, with different --only: whichever
// succeed keep their change; the other refuses (the file changed under
// it, or the first still writes) rather than undo the first's.
func TestRewriteConcurrentRuns(t *testing.T) {
	for round := range 2 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			dir := bigModule(t, 2)
			handlers := []string{"Show001", "Count001"}
			ends := make([]string, len(handlers))
			errs := make([]string, len(handlers))
			var wg sync.WaitGroup
			for i, h := range handlers {
				wg.Go(func() { errs[i], ends[i] = runBinary(t, "", "rewrite", "--allow-dirty", "--only", h+`\b`, "-C", dir) })
			}
			wg.Wait()
			t.Logf("%s: %s; %s: %s", handlers[0], ends[0], handlers[1], ends[1])
			file := filepath.Join(dir, "api", "h001.go")
			for i, h := range handlers {
				if ends[i] == "exit 0" {
					assert.True(t, rewrittenIn(t, file, h), "%s succeeded, but its change is lost", h)
					continue
				}
				assert.Equal(t, "exit 2", ends[i], errs[i])
				assert.Regexp(t, "changed on disk since txscope read it|another txscope run .* is writing", errs[i])
			}
		})
	}
}

// A signal while the module loads ends the run at once: nothing written,
// no lock left behind.
func TestRewriteInterruptedWhileLoading(t *testing.T) {
	dir := bigModule(t, 50)
	old := tree(t, dir)
	cmd := exec.Command(txscopeBinary(t), "rewrite", "--allow-dirty", "-C", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(time.Minute)
	for !fileExists(filepath.Join(dir, ".txscope", "lock")) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // the lock comes first, then the load
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err := cmd.Wait()
	assert.Equal(t, "exit 2", processEnd(t, cmd.ProcessState, err))
	assert.Equal(t, "txscope: interrupt signal received: nothing was written\n", stderr.String())
	assert.Equal(t, "old", generation(t, dir, old, nil))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
