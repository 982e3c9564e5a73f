package analysis

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// OutsideTx proves that e, the handle a library wrapper is called on, is in
// no transaction: a package variable (models.DB) that the loaded code only
// ever sets to what a fresh connection's constructor returns
// (rules.IsFreshConnection: pop.Connect), and whose address it never takes.
// why says what stands in the way when it cannot.
func OutsideTx(prog *load.Program, info *types.Info, e ast.Expr) (ok bool, why string) {
	v := packageVar(info, e)
	if v == nil {
		return false, types.ExprString(e) + " is not a package variable"
	}
	why = ""
	for _, pkg := range prog.Packages {
		for _, f := range pkg.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				if why != "" {
					return false
				}
				switch n := n.(type) {
				case *ast.AssignStmt:
					for i, lhs := range n.Lhs {
						if packageVar(pkg.TypesInfo, lhs) == v && !freshValue(pkg.TypesInfo, pick(n.Rhs, i)) {
							why = fmt.Sprintf("%s is set at %s to something other than a new connection", v.Name(), prog.Position(n.Pos()))
						}
					}
				case *ast.ValueSpec:
					for i, id := range n.Names {
						if pkg.TypesInfo.Defs[id] == v && len(n.Values) > 0 && !freshValue(pkg.TypesInfo, pick(n.Values, i)) {
							why = fmt.Sprintf("%s is initialised at %s to something other than a new connection", v.Name(), prog.Position(n.Pos()))
						}
					}
				case *ast.UnaryExpr:
					if n.Op == token.AND && packageVar(pkg.TypesInfo, n.X) == v {
						why = fmt.Sprintf("the address of %s is taken at %s", v.Name(), prog.Position(n.Pos()))
					}
				}
				return true
			})
		}
	}
	return why == "", why
}

// packageVar is the package-level variable e names (DB, models.DB), or nil.
func packageVar(info *types.Info, e ast.Expr) *types.Var {
	id := syntax.NameOf(e)
	if id == nil {
		return nil
	}
	v, ok := info.Uses[id].(*types.Var)
	if !ok {
		v, ok = info.Defs[id].(*types.Var)
	}
	if !ok || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() {
		return nil
	}
	return v
}

// freshValue matches a call of a fresh connection's constructor.
func freshValue(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return fn != nil && rules.IsFreshConnection(fn)
}
