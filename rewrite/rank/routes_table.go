package rank

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"golang.org/x/tools/go/packages"
)

// routeRow is one registration's method, path and handler expressions.
type routeRow struct {
	method, path string
	handler      ast.Expr
}

// routeRows reads the registration's constant method and path, or else the
// rows of the route table literal the call ranges over.
func (w *routeWalker) routeRows(call *ast.CallExpr, reg routeRegistrar, hIdx int) []routeRow {
	path, okPath := w.constString(call, reg.pathArg)
	method, okMethod := "", true
	if reg.methArg >= 0 {
		method, okMethod = w.constString(call, reg.methArg)
	}
	if okPath && okMethod {
		return []routeRow{{method: method, path: path, handler: call.Args[hIdx]}}
	}
	return w.tableRows(call, reg, hIdx)
}

// tableRows expands `for _, rt := range table { mux.HandleFunc(rt.pattern, rt.h) }`
// (a slice of structs) and `for pattern, h := range table` (a map) when
// table is a composite literal: inline or a variable initialised with one.
func (w *routeWalker) tableRows(call *ast.CallExpr, reg routeRegistrar, hIdx int) []routeRow {
	id := syntax.RootIdent(call.Args[reg.pathArg])
	if id == nil {
		return nil
	}
	rs := w.ranges[w.info.Uses[id]]
	if rs == nil {
		return nil
	}
	table, ok := ast.Unparen(rs.X).(*ast.CompositeLit)
	if x, isIdent := ast.Unparen(rs.X).(*ast.Ident); isIdent {
		table, ok = w.values[w.info.Uses[x]], w.values[w.info.Uses[x]] != nil
	}
	if !ok {
		return nil
	}
	var rows []routeRow
	for _, elt := range table.Elts {
		b := routeBinding{info: w.info, value: elt}
		if kv, isKV := elt.(*ast.KeyValueExpr); isKV {
			b.key, b.value = kv.Key, kv.Value
		}
		b.keyVar, b.valueVar = syntax.ObjectOf(w.info, syntax.IdentOf(rs.Key)), syntax.ObjectOf(w.info, syntax.IdentOf(rs.Value))
		row := routeRow{handler: b.subst(call.Args[hIdx])}
		var okPath, okMethod = false, true
		row.path, okPath = routeConst(w.info, b.subst(call.Args[reg.pathArg]))
		if reg.methArg >= 0 {
			row.method, okMethod = routeConst(w.info, b.subst(call.Args[reg.methArg]))
		}
		if okPath && okMethod {
			rows = append(rows, row)
		}
	}
	return rows
}

// routeBinding is one row of a route table: what the range key and value
// variables stand for.
type routeBinding struct {
	info             *types.Info
	keyVar, valueVar types.Object
	key, value       ast.Expr
}

// subst returns the table's expression for e: the key or value variable
// itself, a field of the value (rt.pattern), or the first such use inside a
// call around it (wrap(rt.h)); e unchanged when it uses neither.
func (b routeBinding) subst(e ast.Expr) ast.Expr {
	var found ast.Expr
	ast.Inspect(e, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.Ident:
			switch obj := b.info.Uses[n]; {
			case obj == nil:
			case obj == b.keyVar:
				found = b.key
			case obj == b.valueVar:
				found = b.value
			}
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && b.valueVar != nil && b.info.Uses[id] == b.valueVar {
				found = routeField(b.info, b.value, n.Sel.Name)
				return false
			}
		}
		return found == nil
	})
	if found == nil {
		return e
	}
	return found
}

// routeField is the value of field name in a struct literal (or &literal).
func routeField(info *types.Info, e ast.Expr, name string) ast.Expr {
	e = ast.Unparen(e)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = ast.Unparen(u.X)
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil
	}
	st, ok := info.TypeOf(lit).Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	for i, elt := range lit.Elts {
		if kv, isKV := elt.(*ast.KeyValueExpr); isKV {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
				return kv.Value
			}
		} else if i < st.NumFields() && st.Field(i).Name() == name {
			return elt
		}
	}
	return nil
}

// routeTableValues maps variables initialised with a composite literal to
// that literal, so a route table declared before its range is found.
func routeTableValues(pkg *packages.Package) map[types.Object]*ast.CompositeLit {
	values := map[types.Object]*ast.CompositeLit{}
	note := func(id *ast.Ident, e ast.Expr) {
		if lit, ok := ast.Unparen(e).(*ast.CompositeLit); ok && id != nil {
			if obj := syntax.ObjectOf(pkg.TypesInfo, id); obj != nil {
				values[obj] = lit
			}
		}
	}
	for _, f := range pkg.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i := range n.Lhs {
						note(syntax.IdentOf(n.Lhs[i]), n.Rhs[i])
					}
				}
			case *ast.ValueSpec:
				if len(n.Names) == len(n.Values) {
					for i := range n.Names {
						note(n.Names[i], n.Values[i])
					}
				}
			}
			return true
		})
	}
	return values
}
