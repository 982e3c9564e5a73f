package write

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/txscope/txscope/rewrite/load"
)

// Recovery is what Recover did about a write that a crash interrupted.
type Recovery struct {
	Journal   string
	Files     int
	Completed bool // else rolled back
}

func (r *Recovery) String() string {
	if r.Completed {
		return fmt.Sprintf("finished a write that was interrupted (%s): all %d files it lists have their new content", r.Journal, r.Files)
	}
	return fmt.Sprintf("rolled back a write that was interrupted (%s): all %d files it lists are as they were before it", r.Journal, r.Files)
}

// Recover finishes or rolls back a write that a crash or a kill
// interrupted in the module (or workspace) of dir, and says which; nil
// when there was none. Run it before loading: a tree half written may not
// load. It waits briefly for a run that is writing, then refuses.
func Recover(dir string) (*Recovery, error) {
	root, err := rootOf(dir)
	if err != nil {
		return nil, nil // not a module: loading says so
	}
	// A run that writes holds stateDir for as long as it runs.
	if _, err := os.Lstat(filepath.Join(root, stateDir)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	lock, err := lockRoot(root)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	return recoverLocked(root)
}

// rootOf is the module (or workspace) root of dir, as Load finds it.
func rootOf(dir string) (string, error) {
	abs, err := filepath.Abs(load.OrDot(dir))
	if err != nil {
		return "", err
	}
	root, _, err := load.ModuleRoot(abs)
	return root, err
}

// recoverLocked completes a committed journal whose files are all in
// place or ready beside it, and rolls back any other.
func recoverLocked(root string) (*Recovery, error) {
	if err := removeIfExists(journalTemp(root)); err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	path := journalPath(root)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("recover: %s, left by an interrupted txscope write, is unreadable (%v): restore the files it lists by hand, then delete %s", path, err, filepath.Dir(path))
	}
	rec := &Recovery{Journal: path, Files: len(j.Files)}
	if rec.Completed, err = j.completable(root); err != nil {
		return nil, err
	}
	if rec.Completed {
		err = j.complete()
	} else {
		err = j.rollback()
	}
	if err == nil {
		err = j.discard(root)
	}
	if err != nil {
		return nil, fmt.Errorf("recover: %s: %w (the journal stays for the next run)", path, err)
	}
	return rec, nil
}

// completable reports whether every file of a committed journal has its
// new content, in place or in its temporary file. A file with neither its
// old nor its new content was changed by someone since: hands off.
func (j *journal) completable(root string) (bool, error) {
	complete := j.State == stateCommitted
	for _, f := range j.Files {
		isNew, err := f.hasNew(f.Path)
		if err != nil {
			return false, fmt.Errorf("recover: %w", err)
		}
		switch {
		case isNew:
		case f.unchanged() != nil:
			return false, fmt.Errorf("recover: %s, left by an interrupted txscope write, lists %s, which now has neither its old nor its new content: txscope leaves the tree as it is; settle the files by hand (the journal holds their original bytes, the new ones wait beside them as .NAME.txscope-*), then delete %s", journalPath(root), load.RelPos(root, f.Path), filepath.Join(root, stateDir))
		default:
			ready, err := f.hasNew(f.Temp)
			if err != nil {
				return false, fmt.Errorf("recover: %w", err)
			}
			complete = complete && ready
		}
	}
	return complete, nil
}

// hasNew reports whether path holds the file's new content.
func (f journalFile) hasNew(path string) (bool, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	}
	return digest(data) == f.New, nil
}

// complete renames what is still beside its target.
func (j *journal) complete() error {
	for _, f := range j.Files {
		isNew, err := f.hasNew(f.Path)
		if err != nil {
			return err
		}
		if isNew {
			continue
		}
		if err := os.Rename(f.Temp, f.Path); err != nil {
			return err
		}
	}
	return syncDirs(j.Files)
}

// rollback gives the files that have their new content the old one back.
func (j *journal) rollback() error {
	var renamed []journalFile
	for _, f := range j.Files {
		isNew, err := f.hasNew(f.Path)
		if err != nil {
			return err
		}
		if isNew {
			renamed = append(renamed, f)
		}
	}
	return j.restore(renamed)
}
