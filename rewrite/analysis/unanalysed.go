package analysis

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
)

// unanalysed finds wrapper calls txscope cannot plan, so that check does
// not pass by skipping them: calls in package-level initializers (`var h =
// func(…) error { return s.db.WithTenant(…) }`, route tables), which have
// no enclosing function declaration to rewrite.
func unanalysed(prog *load.Program, ws *Wrappers) []Finding {
	var out []Finding
	for _, pkg := range prog.Packages {
		info := pkg.TypesInfo
		for _, f := range pkg.Syntax {
			if prog.Generated[f] {
				continue
			}
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.VAR {
					continue
				}
				syntax.Calls(info, g, func(call *ast.CallExpr, fn *types.Func) {
					if ws.Lookup(fn) != nil {
						out = append(out, Finding{Code: "TS010", Pos: call.Pos(),
							Message: fmt.Sprintf("not analysed: %s is called in a package-level initializer; txscope reads and rewrites wrapper calls inside function declarations only (move it into a function)", fn.Name())})
					}
				})
			}
		}
	}
	return out
}
