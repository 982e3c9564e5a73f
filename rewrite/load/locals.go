package load

import (
	"go/ast"
	"go/token"
	"go/types"
)

// LocalValue is the expression a local variable of the loaded code is
// given, when that is the only value it ever has: it is declared with it,
// outside any loop of its function, and nowhere assigned again (closures
// included) nor has its address taken. Anything else reads it as unknown:
// the value at a use could be another one. It serves SQL text held in a
// variable (q := "SELECT …") and a handle bound once (q := store.New(tx)).
func (p *Program) LocalValue(v *types.Var) (ast.Expr, bool) {
	if p.locals == nil {
		p.locals = map[*types.Var]ast.Expr{}
		for f, pkg := range p.Index().Files {
			indexLocals(pkg.TypesInfo, f, p.locals)
		}
	}
	e, ok := p.locals[v]
	return e, ok && e != nil
}

// indexLocals records in out the value of each local variable of f
// declared with one, and nil for each one given another value too (or
// declared without one, or in a loop).
func indexLocals(info *types.Info, f *ast.File, out map[*types.Var]ast.Expr) {
	local := func(id *ast.Ident, uses bool) *types.Var {
		obj := info.Defs[id]
		if uses {
			obj = info.Uses[id]
		}
		v, ok := obj.(*types.Var)
		if !ok || v.IsField() || v.Parent() == nil || v.Parent() == v.Pkg().Scope() {
			return nil
		}
		return v
	}
	// stack is the path to the node visited, to tell a declaration in a
	// loop of its own function (a function literal's variables are fresh
	// on each call) from one that runs once.
	var stack []ast.Node
	inLoop := func() bool {
		for i := len(stack) - 2; i >= 0; i-- {
			switch stack[i].(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt, *ast.RangeStmt:
				return true
			}
		}
		return false
	}
	declare := func(id *ast.Ident, value ast.Expr) {
		if v := local(id, false); v != nil {
			if inLoop() {
				value = nil
			}
			out[v] = value
		}
	}
	spoil := func(e ast.Expr) {
		if id, ok := ast.Unparen(e).(*ast.Ident); ok {
			if v := local(id, true); v != nil {
				out[v] = nil
			}
		}
	}
	visit := func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if id, ok := e.(*ast.Ident); ok && n.Tok == token.DEFINE {
					declare(id, nil)
				} else if e != nil {
					spoil(e)
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok || n.Tok != token.DEFINE || info.Defs[id] == nil {
					spoil(lhs)
					continue
				}
				var value ast.Expr
				if len(n.Lhs) == len(n.Rhs) {
					value = n.Rhs[i]
				}
				declare(id, value)
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				var value ast.Expr
				if len(n.Names) == len(n.Values) {
					value = n.Values[i]
				}
				declare(id, value)
			}
		case *ast.IncDecStmt:
			spoil(n.X)
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				spoil(n.X)
			}
		case *ast.SelectorExpr:
			// A method with a pointer receiver takes the address of a
			// variable that is not a pointer itself.
			if sel := info.Selections[n]; sel != nil && sel.Kind() == types.MethodVal && !isPointer(info.TypeOf(n.X)) {
				if isPointer(sel.Obj().(*types.Func).Signature().Recv().Type()) {
					spoil(n.X)
				}
			}
		}
		return true
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			ast.Inspect(fd.Body, visit)
		}
	}
}

func isPointer(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Pointer)
	return ok
}
