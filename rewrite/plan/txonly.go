package plan

import (
	"go/ast"
	"go/types"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
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
// driver's tx type and that cannot be widened, or a tx method the pooled
// handle lacks. What it needs comes back too, for the report.
func keepTxOnlyCalls(prog *load.Program, h *analysis.Wrapped, start int) (int, txNeed) {
	if rules.IsSelfPooled(h.Site.Tx.Type()) {
		return start, txNeed{} // the pooled handle is of the tx's own type: it serves every call
	}
	info := h.Site.Func.Pkg.TypesInfo
	aliases := analysis.TrackAliases(info, h.Site.Callback.Body, []types.Object{h.Site.Tx})
	for i := 0; i < start; i++ {
		if need := needsTx(prog, info, h.Stmts[i].Stmt, aliases.Objs); need.call != nil {
			return i, need
		}
	}
	return start, txNeed{}
}

// movedWidenings are the helpers the statements that leave the
// transaction pass the pooled handle to, each widened to take it.
func movedWidenings(prog *load.Program, h *analysis.Wrapped, moved []analysis.StmtEffect) []Widening {
	if rules.IsSelfPooled(h.Site.Tx.Type()) {
		return nil
	}
	info := h.Site.Func.Pkg.TypesInfo
	aliases := analysis.TrackAliases(info, h.Site.Callback.Body, []types.Object{h.Site.Tx})
	var out []Widening
	for _, s := range moved {
		out = append(out, needsTx(prog, info, s.Stmt, aliases.Objs).widen...)
	}
	return out
}

// txNeed is what a statement needs of the concrete transaction: call is
// the first call only the tx can serve (nil: none), left the helper it
// calls when txscope cannot widen it; widen are the helpers its other
// calls take the tx through, which can be.
type txNeed struct {
	call  *ast.CallExpr
	left  *Unwidened
	widen []Widening
}

// why is the clause the keep reason adds for a helper left as it is.
func (n txNeed) why() string {
	if n.left == nil {
		return ""
	}
	return " (" + n.left.String() + ")"
}

// needsTx finds a call in s that only the concrete transaction can serve.
func needsTx(prog *load.Program, info *types.Info, s ast.Stmt, aliases map[types.Object]bool) txNeed {
	var need txNeed
	ast.Inspect(s, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || need.call != nil {
			return need.call == nil
		}
		fn, _ := typeutil.Callee(info, call).(*types.Func)
		if fn == nil {
			return true
		}
		sig := fn.Type().(*types.Signature)
		if recv := analysis.ReceiverExpr(call, fn); recv != nil && isTxIdent(info, recv, aliases) && !pooledMethod(info.TypeOf(recv), fn.Name()) {
			need.call = call
		}
		for i, a := range call.Args {
			if need.call != nil || !isTxIdent(info, a, aliases) || !rules.IsTxType(paramType(sig, i)) {
				continue
			}
			ws, why := widenHelper(prog, fn, i)
			if why != "" {
				need.call, need.left = call, &Unwidened{Func: fn.Origin(), Tx: paramType(sig, i), Why: why}
				continue
			}
			need.widen = append(need.widen, ws...)
		}
		return need.call == nil
	})
	return need
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
