package analysis

import (
	"fmt"
	"go/ast"
	"go/types"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// contextTransactions finds functions that begin a transaction and hand it
// on in a context or a framework's request locals (`ctx =
// context.WithValue(ctx, key, tx)`, `c.Set(key, rCtx)` with the tx in
// rCtx) rather than to a callback: per-request transaction middleware.
// txscope narrows callback wrappers only, so each is listed as not
// analysed (TS010) and check counts it, instead of passing the service.
func contextTransactions(prog *load.Program, ws *Wrappers) []Finding {
	wrappers := map[*ast.FuncDecl]bool{}
	for _, w := range ws.List() { // ws is nil when init found none
		// A wrapper may also put the tx in ctx for nested calls: its
		// callback gets it all the same.
		wrappers[w.Source.Decl] = true
	}
	var out []Finding
	prog.EachFunc(func(src load.FuncSource) {
		if wrappers[src.Decl] {
			return
		}
		info := src.Pkg.TypesInfo
		carriers := map[types.Object]bool{}
		// One finding a transaction: where it began, the call that stored
		// it, and a function value it was also handed to.
		var begin ast.Node
		var stored, dynamic *ast.CallExpr
		flush := func() {
			if begin == nil || stored == nil {
				return
			}
			to := "not to a callback"
			if dynamic != nil {
				// route.handler(rCtx, req): a handler taken from a route
				// table, not a callback parameter of a wrapper to follow.
				to = fmt.Sprintf("and to the function value %s at %s, not to a callback parameter", types.ExprString(dynamic.Fun), prog.Position(dynamic.Pos()))
			}
			out = append(out, Finding{Code: "TS010", Pos: stored.Pos(), Message: fmt.Sprintf(
				"not analysed: %s begins a transaction at %s and hands it on with %s, %s, so every request through it holds a connection to the end; txscope narrows transactions run by callback wrappers only",
				DeclName(src), prog.Position(begin.Pos()), types.ExprString(stored.Fun), to)})
		}
		ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if len(n.Rhs) == 1 && beginReceiver(info, n.Rhs[0]) != nil {
					if obj := syntax.ObjectOf(info, syntax.IdentOf(n.Lhs[0])); obj != nil && txHandle(obj.Type()) {
						flush()
						carriers[obj], begin, stored, dynamic = true, n, nil, nil
					}
					return true
				}
				// A value built from the tx whose type holds one carries
				// it (rCtx := Ctx{DBTxn: tx}); what a call computes with
				// it (a user it loaded, an error) does not.
				for i, rhs := range n.Rhs {
					if _, isCall := ast.Unparen(rhs).(*ast.CallExpr); isCall || i >= len(n.Lhs) || !syntax.Mentions(info, rhs, carriers) {
						continue
					}
					if obj := syntax.ObjectOf(info, syntax.RootIdent(n.Lhs[i])); obj != nil && carriesTx(obj.Type()) {
						carriers[obj] = true
					}
				}
			case *ast.CallExpr:
				if begin != nil && stored == nil && storesInContext(info, n, carriers) {
					stored = n
				}
				if begin != nil && dynamic == nil && handsToFuncValue(info, n, carriers) {
					dynamic = n
				}
			}
			return true
		})
		flush()
	})
	return out
}

// txHandle reports whether t, the result of a Begin call, is a
// transaction: a driver's, or a handle of the module's own with Commit and
// Rollback (`func (d *DB) Begin(ctx, opts) (*Transaction, error)` wrapping
// a *sql.Tx to add query logging and a scope). A span begun with BeginSpan
// commits nothing and is no transaction.
func txHandle(t types.Type) bool {
	if rules.IsTxType(t) {
		return true
	}
	ms := types.NewMethodSet(t)
	return ms.Lookup(nil, "Commit") != nil && ms.Lookup(nil, "Rollback") != nil
}

// handsToFuncValue reports whether call calls a function value (a field,
// a variable, a parameter: no declared function) with a carrier of the tx.
func handsToFuncValue(info *types.Info, call *ast.CallExpr, carriers map[types.Object]bool) bool {
	if _, ok := typeutil.Callee(info, call).(*types.Func); ok || isFuncLit(call.Fun) {
		return false
	}
	if tv, ok := info.Types[call.Fun]; !ok || tv.IsType() || tv.IsBuiltin() {
		return false
	}
	for _, a := range call.Args {
		if syntax.Mentions(info, a, carriers) {
			return true
		}
	}
	return false
}

// storesInContext reports whether call puts a carrier of the tx into a
// context (context.WithValue) or request locals (a Set, SetValue, Locals
// or WithValue method).
func storesInContext(info *types.Info, call *ast.CallExpr, carriers map[types.Object]bool) bool {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil {
		return false
	}
	isStore := fn.Pkg() != nil && fn.Pkg().Path() == "context" && fn.Name() == "WithValue"
	if fn.Signature().Recv() != nil {
		switch fn.Name() {
		case "Set", "SetValue", "Locals", "WithValue":
			isStore = true
		}
	}
	if !isStore {
		return false
	}
	for _, a := range call.Args {
		if syntax.Mentions(info, a, carriers) {
			return true
		}
	}
	return false
}
