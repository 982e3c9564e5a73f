package write

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/edit"
	"github.com/txscope/txscope/rewrite/load"
)

// txTree is a module of n files to rewrite, and one the rewrite creates
// in a directory that does not exist yet.
type txTree struct {
	root  string
	edits []edit.FileEdit
}

func newTxTree(t *testing.T, n int) *txTree {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/tx\n"), 0o644))
	tr := &txTree{root: root}
	for i := range n {
		path := filepath.Join(root, "api", fmt.Sprintf("f%03d.go", i))
		old := fmt.Appendf(nil, "package api // old %d\n", i)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, old, 0o644))
		tr.edits = append(tr.edits, edit.FileEdit{Path: path, Rel: tr.rel(path), Old: old, New: fmt.Appendf(nil, "package api // new %d\n", i)})
	}
	created := filepath.Join(root, "internal", "tenantpool", "doc.go")
	tr.edits = append(tr.edits, edit.FileEdit{Path: created, Rel: tr.rel(created), New: []byte("package tenantpool\n"), Create: true})
	return tr
}

func (tr *txTree) rel(path string) string { return load.RelPos(tr.root, path) }

func (tr *txTree) write(ctx context.Context) error {
	w, rec, err := OpenWriter(tr.root)
	if err != nil {
		return err
	}
	defer w.Close()
	if rec != nil {
		return errors.New("nothing to recover expected: " + rec.String())
	}
	return w.Write(ctx, []string{tr.root}, tr.edits)
}

// state is "old" or "new" when every file is wholly so, else it lists
// what each file holds; it fails the test on anything the write left
// behind.
func (tr *txTree) state(t *testing.T) string {
	t.Helper()
	counts := map[string]int{}
	for _, e := range tr.edits {
		data, err := os.ReadFile(e.Path)
		switch {
		case e.Create && errors.Is(err, fs.ErrNotExist):
			counts["old"]++
		case err != nil:
			t.Fatal(err)
		case string(data) == string(e.New):
			counts["new"]++
		case !e.Create && string(data) == string(e.Old):
			counts["old"]++
		default:
			counts[e.Rel+" neither old nor new"]++
		}
	}
	tr.assertClean(t)
	if len(counts) == 1 {
		for k := range counts {
			return k
		}
	}
	return fmt.Sprint(counts)
}

// assertClean fails on temporary files, a journal or a lock left behind,
// or the created directory left empty.
func (tr *txTree) assertClean(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(tr.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		assert.NotContains(t, d.Name(), ".txscope", "left behind: %s", path)
		if d.IsDir() && path != tr.root {
			entries, err := os.ReadDir(path)
			require.NoError(t, err)
			assert.NotEmpty(t, entries, "empty directory left behind: %s", path)
		}
		return nil
	})
	require.NoError(t, err)
}

// withFault replaces the fault hook for one test.
func withFault(t *testing.T, f func(ctx context.Context, step string, i int) error) {
	saved := fault
	fault = f
	t.Cleanup(func() { fault = saved })
}

func faultAt(step string, at int, f func() error) func(context.Context, string, int) error {
	return func(_ context.Context, s string, i int) error {
		if s == step && i == at {
			return f()
		}
		return nil
	}
}

func TestWriteEditsAllNew(t *testing.T) {
	tr := newTxTree(t, 20)
	exe := tr.edits[3].Path
	require.NoError(t, os.Chmod(exe, 0o751))
	if os.Geteuid() == 0 {
		require.NoError(t, os.Chown(tr.edits[4].Path, 1234, 5678))
	}

	require.NoError(t, tr.write(t.Context()))
	assert.Equal(t, "new", tr.state(t))
	st, err := os.Stat(exe)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o751), st.Mode().Perm(), "the mode is kept")
	if os.Geteuid() == 0 {
		st, err := os.Stat(tr.edits[4].Path)
		require.NoError(t, err)
		sys := st.Sys().(*syscall.Stat_t)
		assert.Equal(t, []uint32{1234, 5678}, []uint32{sys.Uid, sys.Gid}, "the owner and group are kept")
	}
}

// A failure anywhere rolls the whole write back: nothing renamed stays
// renamed, and nothing the write made stays.
func TestWriteEditsFailureRollsBack(t *testing.T) {
	for _, tt := range []struct{ step string }{{"prepare:0"}, {"temp:7"}, {"commit:0"}, {"rename:0"}, {"rename:12"}, {"rename:20"}} {
		t.Run(tt.step, func(t *testing.T) {
			tr := newTxTree(t, 20)
			step, at, _ := strings.Cut(tt.step, ":")
			var i int
			fmt.Sscan(at, &i)
			withFault(t, faultAt(step, i, func() error { return errors.New("disk on fire") }))

			err := tr.write(t.Context())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "disk on fire")
			assert.Regexp(t, "nothing was written|rolled back, every file is as it was", err.Error())
			assert.Equal(t, "old", tr.state(t))
		})
	}
}

// A target that cannot be replaced (immutable) in the middle of the
// renames rolls back the files renamed before it.
func TestWriteEditsImmutableFile(t *testing.T) {
	tr := newTxTree(t, 20)
	stuck := tr.edits[10].Path
	if out, err := exec.Command("chattr", "+i", stuck).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", stuck).Run() })

	err := tr.write(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "api/f010.go")
	assert.Contains(t, err.Error(), "rolled back")
	require.NoError(t, exec.Command("chattr", "-i", stuck).Run())
	assert.Equal(t, "old", tr.state(t))
}

// A directory that cannot take the temporary file fails before anything
// is renamed.
func TestWriteEditsReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	tr := newTxTree(t, 4)
	dir := filepath.Join(tr.root, "ro")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "x.go")
	require.NoError(t, os.WriteFile(path, []byte("package ro\n"), 0o644))
	tr.edits = append(tr.edits, edit.FileEdit{Path: path, Rel: "ro/x.go", Old: []byte("package ro\n"), New: []byte("package ro // new\n")})
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })

	err := tr.write(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ro/x.go")
	assert.Equal(t, "old", tr.state(t))
}

// A file edited after txscope read it, before or during the write, aborts
// the whole write and keeps the edit.
func TestWriteEditsFileChangedOnDisk(t *testing.T) {
	for _, at := range []int{-1, 0, 9} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			tr := newTxTree(t, 10)
			victim := tr.edits[max(at, 0)]
			edit := func() error { return os.WriteFile(victim.Path, []byte("package api // an editor's save\n"), 0o644) }
			if at < 0 {
				require.NoError(t, edit())
			} else {
				withFault(t, faultAt("rename", at, func() error { return edit() }))
			}

			err := tr.write(t.Context())
			require.Error(t, err)
			assert.Contains(t, err.Error(), victim.Rel+": changed on disk since txscope read it")
			data, err := os.ReadFile(victim.Path)
			require.NoError(t, err)
			assert.Equal(t, "package api // an editor's save\n", string(data))
			tr.edits = slices.Delete(tr.edits, max(at, 0), max(at, 0)+1)
			assert.Equal(t, "old", tr.state(t))
		})
	}
}

// A signal before the journal is committed rolls back; after it, the
// write is finished. Either way the error says which.
func TestWriteEditsCancelled(t *testing.T) {
	for _, tt := range []struct {
		step, want, state string
	}{
		{"temp", "nothing was written", "old"},
		{"rename", "finished the write, all 11 files have their new content", "new"},
	} {
		t.Run(tt.step, func(t *testing.T) {
			tr := newTxTree(t, 10)
			ctx, cancel := context.WithCancelCause(t.Context())
			withFault(t, faultAt(tt.step, 5, func() error { cancel(errors.New("interrupt signal received")); return nil }))

			err := tr.write(ctx)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "interrupt signal received")
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, tt.state, tr.state(t))
		})
	}
}

// Symlinked targets are written through to their file inside the module;
// one that leads outside is refused.
func TestWriteEditsSymlink(t *testing.T) {
	tr := newTxTree(t, 2)
	link := filepath.Join(tr.root, "api", "link.go")
	require.NoError(t, os.Symlink("f000.go", link))
	tr.edits[0].Path, tr.edits[0].Rel = link, "api/link.go"
	require.NoError(t, tr.write(t.Context()))
	target, err := os.Readlink(link)
	require.NoError(t, err, "the link stays a link")
	assert.Equal(t, "f000.go", target)
	tr.edits[0].Path = filepath.Join(tr.root, "api", "f000.go")
	assert.Equal(t, "new", tr.state(t))

	outside := filepath.Join(t.TempDir(), "victim.go")
	require.NoError(t, os.WriteFile(outside, []byte("package victim\n"), 0o644))
	tr = newTxTree(t, 2)
	link = filepath.Join(tr.root, "api", "out.go")
	require.NoError(t, os.Symlink(outside, link))
	tr.edits[0] = edit.FileEdit{Path: link, Rel: "api/out.go", Old: []byte("package victim\n"), New: []byte("package victim // new\n")}
	err = tr.write(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "api/out.go: "+link+" is a symlink to "+outside+", outside the module")
	data, err := os.ReadFile(outside)
	require.NoError(t, err)
	assert.Equal(t, "package victim\n", string(data))
	tr.edits = tr.edits[1:]
	assert.Equal(t, "old", tr.state(t))
}

// Nothing outside the roots is written, whatever an edit says.
func TestWriteEditsOutsideRoots(t *testing.T) {
	tr := newTxTree(t, 2)
	outside := filepath.Join(t.TempDir(), "victim.go")
	require.NoError(t, os.WriteFile(outside, []byte("package victim\n"), 0o644))
	tr.edits = append(tr.edits, edit.FileEdit{Path: outside, Rel: outside, Old: []byte("package victim\n"), New: []byte("package victim // new\n")})
	err := tr.write(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), outside+" is outside the module")
	tr.edits = tr.edits[:len(tr.edits)-1]
	assert.Equal(t, "old", tr.state(t))
}

// A second run refuses, naming the first, while the first holds the lock.
func TestWriteEditsLocked(t *testing.T) {
	tr := newTxTree(t, 2)
	saved := lockWait
	lockWait = 200 * time.Millisecond
	t.Cleanup(func() { lockWait = saved })
	held, err := lockRoot(tr.root)
	require.NoError(t, err)

	err = tr.write(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("another txscope run (pid %d) is writing in %s", os.Getpid(), tr.root))
	held.unlock()
	assert.Equal(t, "old", tr.state(t))
	require.NoError(t, tr.write(t.Context()))
	assert.Equal(t, "new", tr.state(t))
}

// crash stands for the process dying at a step: it unwinds the write
// without running any of its clean-up.
type crash struct{}

func crashAt(t *testing.T, tr *txTree, faults map[string]error) {
	t.Helper()
	withFault(t, func(_ context.Context, step string, i int) error {
		err, ok := faults[fmt.Sprintf("%s:%d", step, i)]
		if ok && err == nil {
			panic(crash{})
		}
		return err
	})
	func() {
		defer func() {
			if r := recover(); r != (crash{}) {
				panic(r)
			}
		}()
		tr.write(t.Context())
		t.Fatal("the write did not reach the crash")
	}()
	withFault(t, faultsFrom(""))
}

// After a crash at any step, Recover leaves every file old or every file
// new, says which, and leaves nothing behind; a second Recover has
// nothing to do.
func TestRecoverAfterCrash(t *testing.T) {
	for _, tt := range []struct {
		at        string
		completed bool
	}{
		{"prepare:0", false},
		{"temp:0", false},
		{"temp:15", false},
		{"commit:0", true},
		{"rename:0", true},
		{"rename:11", true},
		{"rename:20", true},
		{"renamed:0", true},
	} {
		t.Run(tt.at, func(t *testing.T) {
			tr := newTxTree(t, 20)
			crashAt(t, tr, map[string]error{tt.at: nil})

			rec, err := Recover(tr.root)
			require.NoError(t, err)
			require.NotNil(t, rec)
			assert.Equal(t, tt.completed, rec.Completed, rec.String())
			assert.Equal(t, 21, rec.Files)
			assert.Equal(t, map[bool]string{true: "new", false: "old"}[tt.completed], tr.state(t))
			rec, err = Recover(tr.root)
			require.NoError(t, err)
			assert.Nil(t, rec)
		})
	}
}

// A crash while a failed write rolls back is rolled back by Recover.
func TestRecoverAfterCrashInRollback(t *testing.T) {
	tr := newTxTree(t, 20)
	crashAt(t, tr, map[string]error{"rename:12": errors.New("disk on fire"), "restore:5": nil})
	rec, err := Recover(tr.root)
	require.NoError(t, err)
	assert.False(t, rec.Completed, rec.String())
	assert.Equal(t, "old", tr.state(t))
}

// When a temporary file is gone, the write cannot be finished: Recover
// rolls it back.
func TestRecoverMissingTemp(t *testing.T) {
	tr := newTxTree(t, 20)
	crashAt(t, tr, map[string]error{"rename:11": nil})
	temps, err := filepath.Glob(filepath.Join(tr.root, "api", ".f015.go.txscope-*"))
	require.NoError(t, err)
	require.Len(t, temps, 1)
	require.NoError(t, os.Remove(temps[0]))

	rec, err := Recover(tr.root)
	require.NoError(t, err)
	assert.False(t, rec.Completed, rec.String())
	assert.Equal(t, "old", tr.state(t))
}

// A file edited between the crash and the next run is neither old nor
// new: Recover touches nothing and says which file.
func TestRecoverConflict(t *testing.T) {
	tr := newTxTree(t, 20)
	crashAt(t, tr, map[string]error{"rename:11": nil})
	edited := tr.edits[3].Path
	require.NoError(t, os.WriteFile(edited, []byte("package api // edited after the crash\n"), 0o644))

	_, err := Recover(tr.root)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lists api/f003.go, which now has neither its old nor its new content")
	data, err := os.ReadFile(edited)
	require.NoError(t, err)
	assert.Equal(t, "package api // edited after the crash\n", string(data))
	assert.FileExists(t, journalPath(tr.root))
}
