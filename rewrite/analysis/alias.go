package analysis

import (
	"go/ast"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// handles are the objects that hold the transaction inside a body.
type handles struct {
	Objs map[types.Object]bool
	// methods maps a method value of the tx (`exec := tx.Exec`) to the
	// method, so that calls through it are classified like tx.Exec(…).
	methods map[types.Object]*types.Func
}

// methodValue is the tx method fun refers to through a method value, or nil.
func (h handles) methodValue(info *types.Info, fun ast.Expr) *types.Func {
	id, ok := ast.Unparen(fun).(*ast.Ident)
	if !ok {
		return nil
	}
	return h.methods[info.Uses[id]]
}

// TrackAliases returns the objects that hold the transaction inside body:
// the seeds and every variable assigned from them that can carry a handle
// (`q := store.New(tx)`, `repo := Repo{tx: tx}`, `exec := tx.Exec`,
// `ctx = context.WithValue(ctx, key, tx)`).
func TrackAliases(info *types.Info, body ast.Node, seeds []types.Object) handles {
	aliases := map[types.Object]bool{}
	methods := map[types.Object]*types.Func{}
	for _, s := range seeds {
		if s != nil {
			aliases[s] = true
		}
	}
	for changed := true; changed; {
		changed = false
		bind := func(lhs *ast.Ident, rhs ast.Expr) {
			obj := syntax.ObjectOf(info, lhs)
			if obj != nil && !aliases[obj] && becomesAlias(info, obj, rhs, aliases) {
				aliases[obj] = true
				changed = true
				if sel, ok := ast.Unparen(rhs).(*ast.SelectorExpr); ok && syntax.FuncSignature(obj.Type()) != nil {
					if m, ok := info.Uses[sel.Sel].(*types.Func); ok {
						methods[obj] = m
					}
				}
			}
		}
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if id, ok := lhs.(*ast.Ident); ok {
						bind(id, pick(n.Rhs, i))
					}
				}
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if len(n.Values) > 0 {
						bind(id, pick(n.Values, i))
					}
				}
			case *ast.CallExpr:
				// jc.Set("tx", tx) on a context of the program's own (a
				// job's context with a map of values): the context now
				// carries the tx, as after ctx = context.WithValue(…, tx),
				// so what it is handed to is followed with it.
				if obj := contextStore(info, n, aliases); obj != nil && !aliases[obj] {
					aliases[obj] = true
					changed = true
				}
			}
			return true
		})
	}
	return handles{Objs: aliases, methods: methods}
}

// contextStore is the variable x of a method call x.M(…, tx, …) when x is
// a context (IsContextLike) and an argument carries the tx: the method
// may keep it, and Value give it back. nil otherwise.
func contextStore(info *types.Info, call *ast.CallExpr, aliases map[types.Object]bool) types.Object {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || len(aliasArgs(info, call, aliases)) == 0 {
		return nil
	}
	if s, isMethod := info.Selections[sel]; !isMethod || s.Kind() != types.MethodVal {
		return nil
	}
	id, ok := ast.Unparen(sel.X).(*ast.Ident)
	if !ok || !IsContextLike(info.TypeOf(id)) {
		return nil
	}
	if v, isVar := syntax.ObjectOf(info, id).(*types.Var); isVar {
		return v
	}
	return nil
}

// pick is the right-hand side for the i-th left-hand side: its own, or the
// single multi-value expression.
func pick(rhs []ast.Expr, i int) ast.Expr {
	if len(rhs) == 1 {
		return rhs[0]
	}
	return rhs[i]
}

func becomesAlias(info *types.Info, obj types.Object, rhs ast.Expr, aliases map[types.Object]bool) bool {
	if !syntax.Mentions(info, rhs, aliases) {
		return false
	}
	if carriesTx(obj.Type()) || presetAlias(info, rhs) || rules.IsDriverValue(obj.Type()) {
		return true // a handle, or a value the tx handed out (rows, a statement, a batch)
	}
	if opaqueHandle(obj.Type()) {
		return true // `tx := drv.UnwrapTx(execTx)`: it may be the tx itself
	}
	if sel, ok := ast.Unparen(rhs).(*ast.SelectorExpr); ok && syntax.FuncSignature(obj.Type()) != nil {
		return syntax.Mentions(info, sel.X, aliases) // a method value of the tx
	}
	if call, ok := ast.Unparen(rhs).(*ast.CallExpr); ok && IsContext(obj.Type()) {
		return len(aliasArgs(info, call, aliases)) > 0 // the tx carried in a context
	}
	return false
}

// opaqueHandle reports whether t is a type parameter whose constraint has
// no methods, such as a generic handler's own transaction type (`TTx
// any`): a value of it got from the tx may be the tx itself.
func opaqueHandle(t types.Type) bool {
	tp, ok := types.Unalias(t).(*types.TypeParam)
	return ok && mayHoldTx(tp)
}

// carriesTx reports whether a value of type t can hold a transaction
// handle: a driver tx, a querier interface, or a struct (or pointer to one)
// with such a field, a few levels deep.
func carriesTx(t types.Type) bool { return carriesTxDepth(t, 3) }

func carriesTxDepth(t types.Type, depth int) bool {
	if t == nil || depth == 0 {
		return false
	}
	if rules.IsTxType(t) || IsQuerierInterface(t) || rules.IsPoolType(t) {
		return true
	}
	if isLibraryType(t) {
		return false // the internals of rows, statements and clients hold no tx of ours
	}
	switch u := types.Unalias(t).Underlying().(type) {
	case *types.Pointer:
		return carriesTxDepth(u.Elem(), depth)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if carriesTxDepth(u.Field(i).Type(), depth-1) {
				return true
			}
		}
	}
	return false
}

// isLibraryType reports whether t is a named type of the standard library or
// of a database driver: its fields are implementation details.
func isLibraryType(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	path := n.Obj().Pkg().Path()
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") || driverPackages[path]
}

var driverPackages = map[string]bool{
	"github.com/jackc/pgx/v5": true, "github.com/jackc/pgx/v5/pgxpool": true, "github.com/jackc/pgx/v5/pgconn": true,
	"github.com/jmoiron/sqlx": true, "gorm.io/gorm": true,
}

// presetAlias reports whether rhs is a call of a driver method whose result
// is a handle on the same transaction (tx.Prepare, GORM chains), or a
// driver value (tx.QueryRow(…) in tx.QueryRow(…).Scan(…)): callers have
// checked that rhs mentions the tx.
func presetAlias(info *types.Info, rhs ast.Expr) bool {
	call, ok := ast.Unparen(rhs).(*ast.CallExpr)
	if !ok {
		return false
	}
	if rules.IsDriverValue(info.TypeOf(call)) {
		return true
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil {
		return false
	}
	rule, ok := rules.Preset(fn)
	return ok && rule.Alias
}

// isPooledHandle matches pools and tenant-scoped pooled handles: a query on
// one inside a transaction takes a second connection.
func isPooledHandle(t types.Type) bool {
	if rules.IsPoolType(t) {
		return true
	}
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && strings.HasSuffix(n.Obj().Pkg().Path(), "/tenantpool")
}

func isQueryMethod(fn *types.Func) bool {
	for _, p := range []string{"Exec", "Query", "Select", "Get", "SendBatch", "CopyFrom", "Begin"} {
		if strings.HasPrefix(fn.Name(), p) {
			return true
		}
	}
	return false
}
