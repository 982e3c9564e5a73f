package plan

import (
	"go/ast"
	"go/types"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// pooledMethods are the methods of a driver's tx that its pooled handle
// (tenantpool.Handle, tenantpool.SQLHandle, sqlxpool.Handle) has too, with
// the same signature (a tx in it the handle): a statement that needs anything else of the tx stays
// in the transaction.
var pooledMethods = map[string]map[string]bool{
	pgxPkg: {"Exec": true, "Query": true, "QueryRow": true, "SendBatch": true, "CopyFrom": true},
	sqlPkg: {"ExecContext": true, "QueryContext": true, "QueryRowContext": true},
	sqlxPkg: {
		"Exec": true, "ExecContext": true, "Query": true, "QueryContext": true, "QueryRow": true, "QueryRowContext": true,
		"Get": true, "GetContext": true, "Select": true, "SelectContext": true,
		"MustExec": true, "MustExecContext": true, "NamedExec": true, "NamedExecContext": true,
		"NamedQuery": true, "Queryx": true, "QueryxContext": true, "QueryRowx": true, "QueryRowxContext": true,
		"Rebind": true, "BindNamed": true, "DriverName": true,
		// The handle's Unsafe returns a handle, as the tx's returns a tx.
		"Unsafe": true,
	},
}

// pooledMethod reports whether the pooled handle standing in for a tx of
// type tx has its method name. For a tx the runtime has no handle for, the
// configured handle's methods are not known here: those of pgx's and
// database/sql's handles are taken, and the verify stage type-checks the
// calls moved onto it.
func pooledMethod(tx types.Type, name string) bool {
	if methods, ok := pooledMethods[TxKind(tx)]; ok {
		return methods[name]
	}
	return pooledMethods[pgxPkg][name] || pooledMethods[sqlPkg][name]
}

// keepTxOnlyCalls moves the block start back to the first statement before
// it that needs the concrete transaction: a helper whose parameter is the
// driver's tx type, or a tx method the pooled handle lacks. The call that
// needs it comes back too, for the report.
func keepTxOnlyCalls(h *analysis.Wrapped, start int) (int, *ast.CallExpr) {
	if rules.IsSelfPooled(h.Site.Tx.Type()) {
		return start, nil // the pooled handle is of the tx's own type: it serves every call
	}
	info := h.Site.Func.Pkg.TypesInfo
	aliases := analysis.TrackAliases(info, h.Site.Callback.Body, []types.Object{h.Site.Tx})
	for i := 0; i < start; i++ {
		if call := needsTx(info, h.Stmts[i].Stmt, aliases.Objs); call != nil {
			return i, call
		}
	}
	return start, nil
}

// needsTx finds a call in s that only the concrete transaction can serve.
func needsTx(info *types.Info, s ast.Stmt, aliases map[types.Object]bool) *ast.CallExpr {
	var found *ast.CallExpr
	ast.Inspect(s, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || found != nil {
			return found == nil
		}
		fn, _ := typeutil.Callee(info, call).(*types.Func)
		if fn == nil {
			return true
		}
		sig := fn.Type().(*types.Signature)
		if recv := analysis.ReceiverExpr(call, fn); recv != nil && isTxIdent(info, recv, aliases) && !pooledMethod(info.TypeOf(recv), fn.Name()) {
			found = call
		}
		for i, a := range call.Args {
			if isTxIdent(info, a, aliases) && rules.IsTxType(paramType(sig, i)) {
				found = call
			}
		}
		return found == nil
	})
	return found
}

// isTxIdent matches the tx itself (not values computed from it).
func isTxIdent(info *types.Info, e ast.Expr, aliases map[types.Object]bool) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && aliases[info.Uses[id]] && rules.IsTxType(info.TypeOf(id))
}

// paramType is the type of the parameter receiving argument i.
func paramType(sig *types.Signature, i int) types.Type {
	n := sig.Params().Len()
	if sig.Variadic() && i >= n-1 {
		return sig.Params().At(n - 1).Type().(*types.Slice).Elem()
	}
	if i < n {
		return sig.Params().At(i).Type()
	}
	return nil
}
