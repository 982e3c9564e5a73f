package analysis

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
)

// cgoUnanalysed finds wrapper calls in files that import "C". go/packages
// hands over the cgo translation of such a file (CompiledGoFiles, in the
// build cache, marked generated), not the file itself: txscope neither
// plans nor edits it, and says so at the call's line in the user's file
// (TS010), so that check does not pass by skipping it.
func cgoUnanalysed(prog *load.Program, ws *Wrappers) []Finding {
	var out []Finding
	users := map[string]*token.File{} // the user's file, parsed into the program's file set
	for _, pkg := range prog.Packages {
		if slices.Equal(pkg.GoFiles, pkg.CompiledGoFiles) {
			continue // no cgo
		}
		for _, f := range pkg.Syntax {
			if !prog.Generated[f] {
				continue
			}
			name := prog.Fset.PositionFor(f.Package, true).Filename
			if !slices.Contains(pkg.GoFiles, name) || slices.Contains(pkg.CompiledGoFiles, name) {
				continue // not a translation of one of the package's files
			}
			tf, ok := users[name]
			if !ok {
				tf = userFile(prog, name)
				users[name] = tf
			}
			if tf == nil {
				continue // the user's file is itself generated, or unreadable
			}
			syntax.Calls(pkg.TypesInfo, f, func(call *ast.CallExpr, fn *types.Func) {
				if ws.Lookup(fn) == nil {
					return
				}
				p := prog.Fset.PositionFor(call.Pos(), true)
				pos := tf.Pos(0)
				if p.Line >= 1 && p.Line <= tf.LineCount() {
					pos = tf.LineStart(p.Line) + token.Pos(max(p.Column-1, 0))
				}
				out = append(out, Finding{Code: "TS010", Pos: pos,
					Message: fmt.Sprintf("not analysed: %s is called in a file that imports \"C\"; txscope reads the cgo translation of such a file, which it cannot rewrite (move the handler to a file without cgo)", fn.Name())})
			})
		}
	}
	return out
}

// userFile parses the user's file of a cgo translation into the program's
// file set, for positions in it; nil when it is generated itself.
func userFile(prog *load.Program, name string) *token.File {
	src, err := prog.FileContent(name)
	if err != nil {
		return nil
	}
	f, err := parser.ParseFile(prog.Fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil || ast.IsGenerated(f) {
		return nil
	}
	return prog.Fset.File(f.Pos())
}
