package rewrite

import (
	"go/ast"
	"go/types"
	"strconv"
)

// rootIdent returns the identifier an expression is rooted in: x for x,
// x.f.g, x[i], *x, (x), x.M().
func rootIdent(e ast.Expr) *ast.Ident {
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

// objectOf is the object an identifier defines or uses.
func objectOf(info *types.Info, id *ast.Ident) types.Object {
	if id == nil {
		return nil
	}
	if obj := info.Uses[id]; obj != nil {
		return obj
	}
	return info.Defs[id]
}

// paramIndex returns the index of v among sig's parameters, -1 for the
// receiver, and -2 when v is neither.
func paramIndex(sig *types.Signature, v types.Object) int {
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

// funcSignature is the signature of t when t is a func type.
func funcSignature(t types.Type) *types.Signature {
	if t == nil {
		return nil
	}
	sig, _ := types.Unalias(t).Underlying().(*types.Signature)
	return sig
}

// mentions reports whether any identifier under n refers to one of objs.
func mentions(info *types.Info, n ast.Node, objs map[types.Object]bool) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && objs[info.Uses[id]] {
			found = true
		}
		return !found
	})
	return found
}

func itoa(i int) string { return strconv.Itoa(i) }
