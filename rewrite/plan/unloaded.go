package plan

import (
	"fmt"
	"go/ast"
	"go/types"
	"path/filepath"
	"strconv"

	"github.com/txscope/txscope/rewrite/load"
)

// UnloadedRefs lists the references to fn in the module's files outside
// the loaded build (_test.go without --tests, other GOOS/GOARCH, build
// tags), found by a syntactic scan, as "path:line:col". A name is matched
// without types, so a field or variable of the same name counts too: the
// caller then keeps the declaration as it is (a variant beside it, or no
// change). Only the files that could see fn are read: its package's
// directory, and files importing its package when fn is exported. A file
// among those that does not parse is an error naming it: its references
// cannot be known.
func UnloadedRefs(prog *load.Program, fn *types.Func) ([]string, error) {
	src, ok := prog.Source(fn)
	if !ok || fn.Pkg() == nil {
		return nil, nil
	}
	dir := filepath.Dir(prog.Fset.Position(src.File.Pos()).Filename)
	var refs []string
	for _, uf := range prog.UnloadedFiles() {
		sameDir := filepath.Dir(uf.Name) == dir
		if !sameDir && !fn.Exported() {
			continue
		}
		if uf.Err != nil {
			if sameDir || fn.Exported() {
				return nil, fmt.Errorf("%s, outside the loaded build, cannot be read for references to %s: %v", prog.Rel(uf.Name), fn.Name(), uf.Err)
			}
			continue
		}
		if !sameDir && !imports(uf.File, fn.Pkg().Path()) {
			continue
		}
		for _, d := range uf.File.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && sameDir && fd.Name.Name == fn.Name() && (fd.Recv == nil) == (src.Decl.Recv == nil) {
				p := uf.Fset.Position(fd.Name.Pos())
				return nil, fmt.Errorf("%s is declared again at %s:%d:%d for another build, which a change to it would leave behind", fn.Name(), prog.Rel(p.Filename), p.Line, p.Column)
			}
		}
		ast.Inspect(uf.File, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == fn.Name() {
				p := uf.Fset.Position(id.Pos())
				refs = append(refs, fmt.Sprintf("%s:%d:%d", prog.Rel(p.Filename), p.Line, p.Column))
			}
			return true
		})
	}
	return refs, nil
}

func imports(f *ast.File, path string) bool {
	for _, spec := range f.Imports {
		if p, err := strconv.Unquote(spec.Path.Value); err == nil && p == path {
			return true
		}
	}
	return false
}

// outsideRefs are the references to the middleware and its layer outside
// the loaded build: their users get the declarations as they were.
func outsideRefs(prog *load.Program, fns ...*types.Func) ([]string, error) {
	var out []string
	for _, fn := range fns {
		if fn == nil {
			continue
		}
		refs, err := UnloadedRefs(prog, fn)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	return out, nil
}
