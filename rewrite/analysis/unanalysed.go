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
// not pass by skipping them: calls a package-level initializer makes
// itself (`var n = count(db.WithTenant(…))`), outside any function
// literal, which run once at init and have no statements to move. Calls
// in literals held in variables and route tables are found like others.
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
					if ws.Lookup(fn) != nil && !inFuncLit(g, call) {
						out = append(out, Finding{Code: "TS010", Pos: call.Pos(),
							Message: fmt.Sprintf("not analysed: %s is called by a package-level initializer, once at init; txscope rewrites wrapper calls inside functions only (move it into one)", fn.Name())})
					}
				})
			}
		}
	}
	return out
}

// inFuncLit reports whether n lies inside a function literal within root.
func inFuncLit(root, n ast.Node) bool {
	found := false
	ast.Inspect(root, func(x ast.Node) bool {
		if found || x == nil || !syntax.ContainsNode(x, n) {
			return false
		}
		_, found = x.(*ast.FuncLit)
		return !found
	})
	return found
}
