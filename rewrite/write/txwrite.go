package write

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/txscope/txscope/rewrite/edit"
	"github.com/txscope/txscope/rewrite/load"
)

// Writer holds a module's lock for a rewrite, from before it loads the
// module to the end of its write, so that no other txscope run loads a
// tree it is changing, or writes over it.
type Writer struct {
	root    string
	lock    *rootLock
	mu      sync.Mutex
	writing bool
	closed  bool
}

// OpenWriter locks the module (or workspace) of dir, waiting briefly for
// another run's lock, and first finishes or rolls back a write that a
// crash interrupted there (the Recovery says which, nil when none).
func OpenWriter(dir string) (*Writer, *Recovery, error) {
	root, err := rootOf(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	lock, err := lockRoot(root)
	if err != nil {
		return nil, nil, err
	}
	rec, err := recoverLocked(root)
	if err != nil {
		lock.unlock()
		return nil, nil, err
	}
	return &Writer{root: root, lock: lock}, rec, nil
}

// Abandon releases the lock unless the write has begun, and reports
// whether it did: until then, a signal may end the process at once.
func (w *Writer) Abandon() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.writing {
		return false
	}
	w.closeLocked()
	return true
}

// Close releases the lock.
func (w *Writer) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeLocked()
}

func (w *Writer) closeLocked() {
	if !w.closed {
		w.closed = true
		w.lock.unlock()
	}
}

// Write writes the edits as one transaction, so the tree ends wholly old
// or wholly new: every new content goes to a synced temporary file beside
// its target, then the journal (stateDir/journal, holding the original
// bytes) is committed, then the temporary files are renamed over their
// targets. A failure rolls back what was renamed. Cancelling ctx (a
// signal) rolls back before the commit and finishes after it; either way
// the error says which. After a crash, the next OpenWriter or Recover
// completes or rolls back. Targets are written through symlinks that stay
// inside roots, keep their owner, group and mode, and must still hold
// FileEdit.Old when renamed over.
func (w *Writer) Write(ctx context.Context, roots []string, edits []edit.FileEdit) error {
	w.mu.Lock()
	closed := w.closed
	w.writing = true
	w.mu.Unlock()
	if closed {
		return errors.New("write: the module's lock was released")
	}
	if len(edits) == 0 {
		return nil
	}
	t, err := newTx(w.root, load.NewRootSet(roots), edits)
	if err != nil {
		return err
	}
	return t.run(ctx)
}

// tx is one write in progress; its journal is what a crash leaves behind.
type tx struct {
	root string
	j    journal
	news [][]byte // the new content of j.Files[i]
	rels []string // how errors name j.Files[i]
}

func newTx(root string, roots load.RootSet, edits []edit.FileEdit) (*tx, error) {
	id := rand.Text()[:10] // this run's temporary names, beside other runs' files
	t := &tx{root: root}
	seen := map[string]string{}
	for _, e := range edits {
		f, err := plannedFile(roots, e, id)
		if err != nil {
			return nil, fmt.Errorf("write: %s: %w: nothing was written", e.Rel, err)
		}
		if other, ok := seen[f.Path]; ok {
			return nil, fmt.Errorf("write: %s and %s are the same file", other, e.Rel)
		}
		seen[f.Path] = e.Rel
		t.j.Files = append(t.j.Files, f)
		t.news = append(t.news, e.New)
		t.rels = append(t.rels, e.Rel)
	}
	t.j.Dirs = missingDirs(t.j.Files)
	return t, nil
}

// plannedFile is where e lands and what it must still hold: the real file
// behind a symlink, a regular file whose bytes are what was loaded (or
// nothing, for a file the rewrite creates), with its owner and mode.
func plannedFile(roots load.RootSet, e edit.FileEdit, id string) (journalFile, error) {
	path, err := roots.Resolve(e.Path)
	if err != nil {
		return journalFile{}, err
	}
	f := journalFile{Path: path, Temp: tempName(path, id), Created: e.Create, Old: e.Old, New: digest(e.New), Mode: 0o644, UID: -1, GID: -1}
	st, err := os.Stat(path)
	switch {
	case e.Create && errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return f, err
	case e.Create:
		return f, errors.New("exists now, but did not when txscope loaded the module (run txscope again)")
	case !st.Mode().IsRegular():
		return f, fmt.Errorf("is not a regular file (%s)", st.Mode().Type())
	}
	f.Mode = st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	f.UID, f.GID = owner(st)
	return f, f.unchanged()
}

// tempName is beside path, so the rename stays on one file system, and
// hidden, so the go command skips it.
func tempName(path, id string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".txscope-"+id)
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// missingDirs are the directories the created files need, parents first.
func missingDirs(files []journalFile) []string {
	var dirs []string
	seen := map[string]bool{}
	var add func(dir string)
	add = func(dir string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			add(filepath.Dir(dir))
			dirs = append(dirs, dir)
		}
	}
	for _, f := range files {
		if f.Created {
			add(filepath.Dir(f.Path))
		}
	}
	return dirs
}

// run is the write's steps: prepare, commit, rename, clean up.
func (t *tx) run(ctx context.Context) error {
	if err := t.j.save(t.root, statePrepared); err != nil {
		return t.abort(err)
	}
	if err := fault(ctx, "prepare", 0); err != nil {
		return t.abort(err)
	}
	if err := t.writeTemps(ctx); err != nil {
		return t.abort(err)
	}
	if err := t.j.save(t.root, stateCommitted); err != nil {
		return t.abort(err)
	}
	if err := fault(ctx, "commit", 0); err != nil {
		return t.undo(0, err)
	}
	for i := range t.j.Files {
		if err := t.rename(ctx, i); err != nil {
			return t.undo(i, err)
		}
	}
	if err := t.finish(ctx); err != nil {
		return fmt.Errorf("write: %w (every file has its new content; the journal at %s is left for the next run to clear)", err, journalPath(t.root))
	}
	if ctx.Err() != nil {
		return fmt.Errorf("write: %v after the journal was committed: finished the write, all %d files have their new content", context.Cause(ctx), len(t.j.Files))
	}
	return nil
}

// writeTemps writes every new content beside its target and syncs it. A
// cancelled ctx stops before the commit, so nothing is renamed.
func (t *tx) writeTemps(ctx context.Context) error {
	for _, dir := range t.j.Dirs {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
	}
	for i, f := range t.j.Files {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err := writeSynced(f.Temp, t.news[i], f.Mode, f.UID, f.GID); err != nil {
			return fmt.Errorf("%s: %w", t.rels[i], err)
		}
		if err := fault(ctx, "temp", i); err != nil {
			return err
		}
	}
	return context.Cause(ctx)
}

// writeSynced creates path with data, then gives it mode and the owner
// uid:gid (-1 keeps the creator's) and syncs it to disk.
func writeSynced(path string, data []byte, mode fs.FileMode, uid, gid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && (uid >= 0 || gid >= 0) {
		// Before the chmod: changing the owner clears setuid and setgid.
		if err = f.Chown(uid, gid); err != nil {
			err = fmt.Errorf("keeping owner %d and group %d: %w", uid, gid, err)
		}
	}
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rename puts file i's new content in place once its target still holds
// what txscope loaded.
func (t *tx) rename(ctx context.Context, i int) error {
	if err := fault(ctx, "rename", i); err != nil {
		return err
	}
	f := t.j.Files[i]
	if err := f.unchanged(); err != nil {
		return fmt.Errorf("%s: %w", t.rels[i], err)
	}
	if err := os.Rename(f.Temp, f.Path); err != nil {
		return fmt.Errorf("%s: %w", t.rels[i], err)
	}
	return nil
}

// unchanged fails when the file no longer holds what txscope loaded.
func (f journalFile) unchanged() error {
	data, err := os.ReadFile(f.Path)
	switch {
	case f.Created && errors.Is(err, fs.ErrNotExist):
		return nil
	case f.Created && err == nil:
		return errors.New("was created on disk since txscope loaded the module (run txscope again)")
	case err != nil:
		return err
	case !bytes.Equal(data, f.Old):
		return errors.New("changed on disk since txscope read it (run txscope again)")
	}
	return nil
}

// finish makes the renames durable, then drops the journal: from then on
// nothing is left to recover.
func (t *tx) finish(ctx context.Context) error {
	if err := syncDirs(t.j.Files); err != nil {
		return err
	}
	if err := fault(ctx, "renamed", 0); err != nil {
		return err
	}
	return os.Remove(journalPath(t.root))
}

// abort ends a write that renamed nothing: the temporary files, the
// directories made for them and the journal go.
func (t *tx) abort(cause error) error {
	if err := t.j.discard(t.root); err != nil {
		return fmt.Errorf("write: %w; cleaning up failed too (%v): the next txscope run retries", cause, err)
	}
	return fmt.Errorf("write: %w; nothing was written", cause)
}

// undo ends a committed write that failed before file n was renamed:
// first the temporary files that were not renamed go (so a crash from here
// on rolls back too), then files 0..n-1 get their original bytes back.
func (t *tx) undo(n int, cause error) error {
	for _, f := range t.j.Files[n:] {
		os.Remove(f.Temp)
	}
	err := t.j.restore(t.j.Files[:n])
	if err == nil {
		err = t.j.discard(t.root)
	}
	if err != nil {
		return fmt.Errorf("write: %w; rolling back failed too (%v): the journal at %s holds the original bytes, and the next txscope run retries", cause, err, journalPath(t.root))
	}
	return fmt.Errorf("write: %w; rolled back, every file is as it was", cause)
}

// syncDirs syncs the directory of each file, which holds its new name.
func syncDirs(files []journalFile) error {
	seen := map[string]bool{}
	for _, f := range files {
		dir := filepath.Dir(f.Path)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
