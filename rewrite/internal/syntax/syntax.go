package syntax

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"

	"golang.org/x/tools/go/types/typeutil"
)

// EnclosingBlock is the block-like node whose statement list holds the
// statement containing n, and that statement's index.
func EnclosingBlock(root ast.Node, n ast.Node) (ast.Node, int) {
	var parent ast.Node
	index := -1
	ast.Inspect(root, func(x ast.Node) bool {
		if x == nil || !ContainsNode(x, n) {
			return false
		}
		for i, s := range StmtList(x) {
			if ContainsNode(s, n) {
				parent, index = x, i
			}
		}
		return true
	})
	return parent, index
}

// RootIdent returns the identifier an expression is rooted in: x for x,
// x.f.g, x[i], *x, (x), x.M().
func RootIdent(e ast.Expr) *ast.Ident {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.UnaryExpr:
			e = x.X
		case *ast.CallExpr:
			e = x.Fun
		default:
			return nil
		}
	}
}

// ObjectOf is the object an identifier defines or uses.
func ObjectOf(info *types.Info, id *ast.Ident) types.Object {
	if id == nil {
		return nil
	}
	if obj := info.Uses[id]; obj != nil {
		return obj
	}
	return info.Defs[id]
}

// ParamIndex returns the index of v among sig's parameters, -1 for the
// receiver, and -2 when v is neither.
func ParamIndex(sig *types.Signature, v types.Object) int {
	if sig.Recv() != nil && sig.Recv() == v {
		return -1
	}
	for i := 0; i < sig.Params().Len(); i++ {
		if sig.Params().At(i) == v {
			return i
		}
	}
	return -2
}

// FuncSignature is the signature of t when t is a func type.
func FuncSignature(t types.Type) *types.Signature {
	if t == nil {
		return nil
	}
	sig, _ := types.Unalias(t).Underlying().(*types.Signature)
	return sig
}

// Mentions reports whether any identifier under n refers to one of objs.
func Mentions(info *types.Info, n ast.Node, objs map[types.Object]bool) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && objs[info.Uses[id]] {
			found = true
		}
		return !found
	})
	return found
}

func Itoa(i int) string { return strconv.Itoa(i) }

// EnclosingStmt finds the statement list and index of the innermost
// statement that contains n.
func EnclosingStmt(root ast.Node, n ast.Node) ([]ast.Stmt, int) {
	parent, index := EnclosingBlock(root, n)
	if parent == nil {
		return nil, -1
	}
	return StmtList(parent), index
}

// StmtList is the statement list of a block, case or select clause; nil
// for any other node.
func StmtList(n ast.Node) []ast.Stmt {
	switch b := n.(type) {
	case *ast.BlockStmt:
		return b.List
	case *ast.CaseClause:
		return b.Body
	case *ast.CommClause:
		return b.Body
	}
	return nil
}

// Calls visits every call under n whose callee is a function or method
// the type checker resolved (generic ones as their origin); the one walk
// every stage uses to follow callees.
func Calls(info *types.Info, n ast.Node, visit func(call *ast.CallExpr, fn *types.Func)) {
	ast.Inspect(n, func(x ast.Node) bool {
		if call, ok := x.(*ast.CallExpr); ok {
			if fn, ok := typeutil.Callee(info, call).(*types.Func); ok {
				visit(call, fn.Origin())
			}
		}
		return true
	})
}

// WalkReturns visits the returns under n of the function n is in, not
// those of nested function literals.
func WalkReturns(n ast.Node, visit func(*ast.ReturnStmt)) {
	ast.Inspect(n, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			visit(x)
		}
		return true
	})
}

func ContainsNode(outer, inner ast.Node) bool {
	return outer.Pos() <= inner.Pos() && inner.End() <= outer.End()
}

// RealPosition is where pos lies in the file as loaded: the token.File's
// own name, line and column, never what a //line directive claims. Every
// file name txscope reads, writes or reports comes from here, so a
// directive cannot point a read or a write anywhere else.
func RealPosition(fset *token.FileSet, pos token.Pos) token.Position {
	return fset.PositionFor(pos, false)
}

func IdentOf(e ast.Expr) *ast.Ident {
	id, _ := ast.Unparen(e).(*ast.Ident)
	return id
}

// NameOf is the identifier e names: x itself, or the x of p.x; nil for
// any other expression.
func NameOf(e ast.Expr) *ast.Ident {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		return x
	case *ast.SelectorExpr:
		return x.Sel
	}
	return nil
}
