package write

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// lockWait is how long a run waits for another run's write to end before
// refusing.
var lockWait = 3 * time.Second

// rootLock keeps other txscope runs from writing or recovering the same
// root at once.
type rootLock struct {
	f   *os.File
	dir string
}

func lockRoot(root string) (*rootLock, error) {
	dir := filepath.Join(root, stateDir)
	path := filepath.Join(dir, "lock")
	deadline := time.Now().Add(lockWait)
	for {
		l, err := tryLock(dir, path)
		if l != nil || err != nil {
			return l, err
		}
		if time.Now().After(deadline) {
			holder := "another txscope run"
			if pid, _ := os.ReadFile(path); len(bytes.TrimSpace(pid)) > 0 {
				holder += fmt.Sprintf(" (pid %s)", bytes.TrimSpace(pid))
			}
			return nil, fmt.Errorf("%s is writing in %s: try again when it has finished (it holds %s)", holder, root, path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tryLock returns nil and no error while another run holds the lock.
func tryLock(dir, path string) (*rootLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // the previous holder just removed dir: try again
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	held, err := flock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The previous holder removes the file as it unlocks: a lock taken on
	// a file no longer at path locks nothing.
	if !held || !stillAt(f, path) {
		f.Close()
		return nil, nil
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid()) // only to name the holder
	}
	return &rootLock{f: f, dir: dir}, nil
}

func stillAt(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// unlock removes the lock before releasing it (see tryLock), then the
// state directory unless a journal stays in it for recovery.
func (l *rootLock) unlock() {
	os.Remove(filepath.Join(l.dir, "lock"))
	l.f.Close()
	os.Remove(l.dir) // fails, rightly, while a journal waits for the next run
}
