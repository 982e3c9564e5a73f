package write

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateDir, at the module (or workspace) root, holds the lock and the
// journal while a write runs, and only then.
const stateDir = ".txscope"

// A journal is prepared while the temporary files are written (a crash
// then rolls back) and committed once they all are (a crash then
// completes, or rolls back when a temporary file is gone).
const (
	statePrepared  = "prepared"
	stateCommitted = "committed"
)

type journal struct {
	State string        `json:"state"`
	Files []journalFile `json:"files"`
	Dirs  []string      `json:"dirs,omitempty"` // made for created files, parents first
}

// journalFile is one target: enough to finish its rename or undo it.
type journalFile struct {
	Path    string      `json:"path"` // the real file, symlinks followed
	Temp    string      `json:"temp"` // its new content
	Created bool        `json:"created,omitempty"`
	Old     []byte      `json:"old,omitempty"`
	New     string      `json:"new"` // sha256 of the new content
	Mode    fs.FileMode `json:"mode"`
	UID     int         `json:"uid"`
	GID     int         `json:"gid"`
}

func journalPath(root string) string { return filepath.Join(root, stateDir, "journal") }

// journalTemp is where the next journal is written before it replaces the
// last one.
func journalTemp(root string) string { return journalPath(root) + ".tmp" }

// save replaces the journal atomically and durably: a crash finds the
// previous state or this one, whole.
func (j *journal) save(root, state string) error {
	j.State = state
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, stateDir)
	tmp := journalTemp(root)
	if err := removeIfExists(tmp); err != nil {
		return err
	}
	if err := writeSynced(tmp, data, 0o600, -1, -1); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := os.Rename(tmp, journalPath(root)); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(root) // stateDir itself may be new
}

// restoreTemp holds a file's original bytes on their way back.
func (f journalFile) restoreTemp() string { return f.Temp + "-old" }

// restore gives files their original content back (removes the created
// ones), with their owner and mode, through a rename each.
func (j *journal) restore(files []journalFile) error {
	for i, f := range files {
		if err := fault(context.Background(), "restore", i); err != nil {
			return err
		}
		if f.Created {
			if err := removeIfExists(f.Path); err != nil {
				return err
			}
			continue
		}
		tmp := f.restoreTemp()
		if err := removeIfExists(tmp); err != nil {
			return err
		}
		if err := writeSynced(tmp, f.Old, f.Mode, f.UID, f.GID); err != nil {
			return err
		}
		if err := os.Rename(tmp, f.Path); err != nil {
			return err
		}
	}
	return syncDirs(files)
}

// discard removes everything a write made besides its targets: the
// temporary files, the directories made for created files and, last,
// the journal.
func (j *journal) discard(root string) error {
	for _, f := range j.Files {
		if err := removeIfExists(f.Temp); err != nil {
			return err
		}
		if err := removeIfExists(f.restoreTemp()); err != nil {
			return err
		}
	}
	for i := len(j.Dirs) - 1; i >= 0; i-- {
		os.Remove(j.Dirs[i]) // fails when someone else put a file there: theirs stays
	}
	if err := removeIfExists(journalTemp(root)); err != nil {
		return err
	}
	return removeIfExists(journalPath(root))
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
