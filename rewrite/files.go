package rewrite

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// realPosition is where pos lies in the file as loaded: the token.File's
// own name, line and column, never what a //line directive claims. Every
// file name txscope reads, writes or reports comes from here, so a
// directive cannot point a read or a write anywhere else.
func realPosition(fset *token.FileSet, pos token.Pos) token.Position {
	return fset.PositionFor(pos, false)
}

// Roots are the directories txscope may read targets from and write to:
// the module (or workspace) root and the directory of every main module.
func (p *Program) Roots() []string {
	roots := []string{p.Root}
	for _, pkg := range p.Packages {
		if m := pkg.Module; m != nil && m.Main && m.Dir != "" && !slices.Contains(roots, m.Dir) {
			roots = append(roots, m.Dir)
		}
	}
	return roots
}

// targetFile is the name of f when txscope may rewrite it: inside the
// roots, through symlinks too. A file the go command compiled from
// elsewhere is refused rather than read.
func (p *Program) targetFile(f *ast.File) (string, error) {
	name := realPosition(p.Fset, f.Pos()).Filename
	if _, err := newRootSet(p.Roots()).resolve(name); err != nil {
		return "", fmt.Errorf("apply: %w", err)
	}
	return name, nil
}

// rootSet holds each root as given and with its symlinks evaluated, so
// names from the go command and from the file system both compare.
type rootSet struct{ given, real []string }

func newRootSet(roots []string) rootSet {
	rs := rootSet{given: roots}
	for _, r := range roots {
		if real, err := filepath.EvalSymlinks(r); err == nil {
			rs.real = append(rs.real, real)
		}
	}
	return rs
}

// resolve is the file that path names once its symlinks are followed,
// when both path and that file are inside the roots. A path that does not
// exist yet (a file the rewrite creates) resolves through its nearest
// existing directory.
func (rs rootSet) resolve(path string) (string, error) {
	if !within(rs.given, path) && !within(rs.real, path) {
		return "", fmt.Errorf("%s is outside the module: txscope neither reads nor writes it", path)
	}
	real, err := evalExisting(path)
	if err != nil {
		return "", err
	}
	if !within(rs.real, real) {
		return "", fmt.Errorf("%s is a symlink to %s, outside the module: txscope neither reads nor writes it", path, real)
	}
	return real, nil
}

// evalExisting evaluates the symlinks of path, or of its nearest existing
// ancestor when path does not exist.
func evalExisting(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return real, err
	}
	if _, lerr := os.Lstat(path); lerr == nil {
		return "", fmt.Errorf("%s is a symlink to a file that does not exist", path)
	}
	dir := filepath.Dir(path)
	if dir == path {
		return "", err
	}
	parent, err := evalExisting(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(parent, filepath.Base(path)), nil
}

// within reports whether path is one of roots or below one of them.
func within(roots []string, path string) bool {
	for _, r := range roots {
		rel, err := filepath.Rel(r, path)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}
