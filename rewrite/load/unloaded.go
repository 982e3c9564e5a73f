package load

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// UnloadedFile is a .go file of the module that the loaded build leaves
// out: a _test.go file without --tests, a file for another GOOS or
// GOARCH, one behind a build tag, or any file of a package no pattern
// loaded. It is parsed, not type-checked.
type UnloadedFile struct {
	Name string // absolute
	File *ast.File
	Fset *token.FileSet
	Err  error // the parse error, when the file does not parse
}

// UnloadedFiles scans every directory under the roots (skipping vendor,
// testdata, directories the go command ignores and nested modules) for
// .go files the loaded packages do not compile, and parses each one: a
// change of a declaration's signature must account for the references
// they hold. The result is computed once per program.
func (p *Program) UnloadedFiles() []UnloadedFile {
	p.unloadedOnce.Do(func() { p.unloaded = p.scanUnloaded() })
	return p.unloaded
}

func (p *Program) scanUnloaded() []UnloadedFile {
	loaded := map[string]bool{}
	for _, pkg := range append(slices.Clip(p.Packages), p.replaced...) {
		for _, list := range [][]string{pkg.GoFiles, pkg.CompiledGoFiles} {
			for _, name := range list {
				loaded[name] = true
				if real, err := filepath.EvalSymlinks(name); err == nil {
					loaded[real] = true
				}
			}
		}
	}
	fset := token.NewFileSet()
	var out []UnloadedFile
	for _, root := range p.Roots() {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				base := d.Name()
				if path != root && (base == "vendor" || base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
					return filepath.SkipDir
				}
				if path != root && fileExists(filepath.Join(path, "go.mod")) {
					return filepath.SkipDir // another module
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || loaded[path] {
				return nil
			}
			if real, err := filepath.EvalSymlinks(path); err == nil && loaded[real] {
				return nil
			}
			src, err := p.FileContent(path)
			if err != nil {
				out = append(out, UnloadedFile{Name: path, Fset: fset, Err: err})
				return nil
			}
			f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
			out = append(out, UnloadedFile{Name: path, File: f, Fset: fset, Err: err})
			return nil
		})
	}
	return out
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
