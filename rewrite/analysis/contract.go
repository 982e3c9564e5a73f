package analysis

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
)

// readContract reads what the wrapper does when the callback returns an
// error. Narrowing moves statements out of the transaction and relies on
// "error → rollback"; any other contract must be stated in the config.
func readContract(info *types.Info, body *ast.BlockStmt, txVar types.Object, cbCall *ast.CallExpr) (bool, string) {
	if isCallbackParamOfLit(body, info, txVar) {
		// BeginFunc, Transaction and friends roll back when the callback fails.
		return true, ""
	}
	list, i := syntax.EnclosingStmt(body, cbCall)
	if list == nil {
		return false, "the wrapper's commit path could not be read"
	}
	switch s := list[i].(type) {
	case *ast.IfStmt:
		if s.Init != nil && syntax.ContainsNode(s.Init, cbCall) {
			return errCheckReturns(info, s)
		}
	case *ast.AssignStmt:
		if i+1 < len(list) {
			if next, ok := list[i+1].(*ast.IfStmt); ok && next.Init == nil {
				return errCheckReturns(info, next)
			}
		}
	case *ast.ExprStmt:
		return false, "the wrapper commits even when the callback returns an error"
	}
	return false, "the wrapper's handling of a callback error could not be read"
}

// errCheckReturns accepts `if err != nil { …; return … }` exactly: a wider
// condition (a special error type that still commits) is another contract.
func errCheckReturns(info *types.Info, s *ast.IfStmt) (bool, string) {
	bin, ok := s.Cond.(*ast.BinaryExpr)
	if !ok || bin.Op != token.NEQ || !IsNil(info, bin.Y) {
		return false, "the wrapper commits on some callback errors (" + types.ExprString(s.Cond) + ")"
	}
	if len(s.Body.List) == 0 {
		return false, "the wrapper ignores the callback's error"
	}
	if _, ok := s.Body.List[len(s.Body.List)-1].(*ast.ReturnStmt); !ok {
		return false, "the wrapper carries on after the callback's error"
	}
	return true, ""
}

func IsNil(info *types.Info, e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	_, isNil := info.Uses[id].(*types.Nil)
	return ok && isNil
}

func isCallbackParamOfLit(body *ast.BlockStmt, info *types.Info, v types.Object) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok && declaresParam(info, lit, v) {
			found = true
		}
		return !found
	})
	return found
}
