package load

import (
	"errors"
	"fmt"
	"go/ast"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
)

// FileContent returns a loaded file's bytes: the overlay's, or the disk's.
func (p *Program) FileContent(name string) ([]byte, error) {
	if data, ok := p.options.Overlay[name]; ok {
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return data, nil
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

// TargetFile is the name of f when txscope may rewrite it: inside the
// roots, through symlinks too. A file the go command compiled from
// elsewhere is refused rather than read.
func (p *Program) TargetFile(f *ast.File) (string, error) {
	name := syntax.RealPosition(p.Fset, f.Pos()).Filename
	if _, err := NewRootSet(p.Roots()).Resolve(name); err != nil {
		return "", fmt.Errorf("apply: %w", err)
	}
	return name, nil
}

// RootSet holds each root as given and with its symlinks evaluated, so
// names from the go command and from the file system both compare.
type RootSet struct{ given, real []string }

func NewRootSet(roots []string) RootSet {
	rs := RootSet{given: roots}
	for _, r := range roots {
		if real, err := filepath.EvalSymlinks(r); err == nil {
			rs.real = append(rs.real, real)
		}
	}
	return rs
}

// Resolve is the file that path names once its symlinks are followed,
// when both path and that file are inside the roots. A path that does not
// exist yet (a file the rewrite creates) resolves through its nearest
// existing directory.
func (rs RootSet) Resolve(path string) (string, error) {
	if !within(rs.given, path) && !within(rs.real, path) {
		return "", fmt.Errorf("%s is outside the module: txscope neither reads nor writes it", path)
	}
	real, err := EvalExisting(path)
	if err != nil {
		return "", err
	}
	if !within(rs.real, real) {
		return "", fmt.Errorf("%s is a symlink to %s, outside the module: txscope neither reads nor writes it", path, real)
	}
	return real, nil
}

// EvalExisting evaluates the symlinks of path, or of its nearest existing
// ancestor when path does not exist.
func EvalExisting(path string) (string, error) {
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
	parent, err := EvalExisting(dir)
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
