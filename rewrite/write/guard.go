package write

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/txscope/txscope/rewrite/edit"
	"github.com/txscope/txscope/rewrite/load"
)

// CheckClean is the dirty-tree guard: a reviewer must be able to tell
// txscope's diff from their own work, so it refuses to write over a
// target that git does not hold committed. It fails closed: without git,
// on any git error, or for a target outside the git repository of the
// module root, it refuses too, with the reason. Targets git ignores are
// written, and returned (relative to root) to be named in the report.
func CheckClean(root string, edits []edit.FileEdit) (ignored []string, err error) {
	if len(edits) == 0 {
		return nil, nil
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, errors.New("the dirty-tree guard needs git, and git is not on PATH")
	}
	top, err := gitTop(root)
	if err != nil {
		return nil, fmt.Errorf("the dirty-tree guard cannot ask git about %s: %w", root, err)
	}
	paths, err := guardedPaths(top, edits)
	if err != nil {
		return nil, err
	}
	out, err := git(top, append([]string{"status", "--porcelain=v1", "-z", "--ignored=matching", "--untracked-files=all", "--"}, paths...)...)
	if err != nil {
		return nil, fmt.Errorf("the dirty-tree guard cannot ask git about %s: %w", top, err)
	}
	var dirty []string
	for _, st := range porcelain(out) {
		rel := load.RelPos(root, filepath.Join(top, filepath.FromSlash(st.path)))
		if st.code == "!!" {
			ignored = append(ignored, rel)
		} else {
			dirty = append(dirty, st.code+" "+rel)
		}
	}
	if len(dirty) > 0 {
		return nil, fmt.Errorf("files have uncommitted changes (commit them first):\n%s", strings.Join(dirty, "\n"))
	}
	sort.Strings(ignored)
	return ignored, nil
}

// guardedPaths are the files the edits overwrite, symlinks followed, each
// of which must be in the repository at top itself (not outside it, and
// not in a repository nested in it, whose changes its status does not
// show).
func guardedPaths(top string, edits []edit.FileEdit) ([]string, error) {
	tops := map[string]string{top: top}
	var paths []string
	for _, e := range edits {
		path, err := load.EvalExisting(e.Path)
		if err != nil {
			return nil, err
		}
		dir, err := load.EvalExisting(filepath.Dir(e.Path))
		for err == nil && !exists(dir) {
			dir = filepath.Dir(dir) // a directory the rewrite creates
		}
		if err != nil {
			return nil, err
		}
		if _, ok := tops[dir]; !ok {
			if tops[dir], err = gitTop(dir); err != nil {
				return nil, fmt.Errorf("%s is outside the git repository of the module root (%s), so the dirty-tree guard cannot protect it: %w", e.Rel, top, err)
			}
		}
		if tops[dir] != top {
			return nil, fmt.Errorf("%s is in the git repository %s, not in that of the module root (%s), so the dirty-tree guard cannot protect it", e.Rel, tops[dir], top)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// gitTop is the top directory of the work tree that holds dir, symlinks
// followed.
func gitTop(dir string) (string, error) {
	out, err := git(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(strings.TrimSpace(string(out)))
}

// git runs git in dir; a failure carries what git said. Pathspecs are
// literal: a file name with glob characters names only itself.
func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_LITERAL_PATHSPECS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.Join(strings.Fields(stderr.String()), " "); msg != "" {
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("git %s: %w", args[0], err)
	}
	return out, nil
}

type gitStatus struct{ code, path string }

// porcelain parses `git status --porcelain=v1 -z`: "XY path" entries,
// where a rename or copy is followed by its source path.
func porcelain(out []byte) []gitStatus {
	var sts []gitStatus
	fields := strings.Split(string(out), "\x00")
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) < 4 {
			continue
		}
		sts = append(sts, gitStatus{code: f[:2], path: f[3:]})
		if f[0] == 'R' || f[0] == 'C' {
			i++
		}
	}
	return sts
}
