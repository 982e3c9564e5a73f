package analysis

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// Wrapper is a function that opens a tenant transaction and runs a callback
// in it: what txscope narrows.
type Wrapper struct {
	Func     *types.Func
	Callback int    // parameter index of the callback
	Tenant   int    // parameter index of the tenant id, -1 when unknown
	Setting  string // the tenant setting, e.g. app.current_tenant_id
	// Pool is the expression the transaction begins on, as a template over
	// {recv} and {argN}; "" when the wrapper's body is not in the loaded code.
	Pool string
	// RollsBack is the wrapper's contract: an error from the callback rolls
	// the transaction back. Narrowing relies on it.
	RollsBack bool
	Contract  string // why RollsBack is false, for the report
	// EndsOuter is a library wrapper's contract (rules.WrapperContract)
	// when its pool is already in a transaction: the callback runs in that
	// one, and the wrapper's commit or rollback ends it.
	EndsOuter bool
	Findings  []Finding
	// SettingCall is the statement that sets the tenant, for the TS003/TS004 fix.
	SettingCall *ast.CallExpr
	SettingSQL  ast.Expr
	Source      load.FuncSource
	// Isolation is the level of the transactions the wrapper begins, read
	// from its body (TxOptions, SET TRANSACTION) or, when it chooses none,
	// the database's default (isolation: in txscope.yaml, else read
	// committed); IsolationUnknown when the body cannot tell.
	// IsolationWhy is the evidence, for the report.
	Isolation    rules.Isolation
	IsolationWhy string
	// Middleware marks a configured middleware: it validates the session
	// inside a wrapper's transaction and then calls its callback with a
	// value carrying the tx (a struct such as SalesContext, or the tx).
	Middleware bool
	// Passes maps each argument of the wrapper's call of its callback to
	// the wrapper parameter it is, unchanged in the body (-1 for any other
	// value): what a parameter of the callback is worth outside the
	// transaction, such as the caller's context.
	Passes []int
	// imported marks a wrapper of another package, known from its fact;
	// unfixable is then SettingUnfixable as its own package found it.
	imported  bool
	unfixable string
}

// SettingUnfixable says why txscope cannot write the fix of the
// wrapper's tenant setting (TS003, TS004), "" when it can: the SQL is an
// argument of the statement that sets it and the tenant one of the
// wrapper's parameters. A wrapper of another package is fixed there, by
// that package's analysis.
func (w *Wrapper) SettingUnfixable() string {
	switch {
	case w.imported:
		return w.unfixable
	case w.SettingCall == nil || w.SettingArg() < 0:
		return "the statement that sets it could not be found"
	case w.Tenant < 0:
		return "the tenant is not one of its parameters, so it cannot be bound"
	case w.Source.Decl == nil:
		return "its source is not in the loaded packages"
	}
	return ""
}

// SettingArg is the index of the SQL among the setting call's arguments.
func (w *Wrapper) SettingArg() int {
	if w.SettingCall == nil {
		return -1
	}
	for i, a := range w.SettingCall.Args {
		if a == w.SettingSQL {
			return i
		}
	}
	return -1
}

// txLike reports whether t can be the transaction handle of a callback of a
// function with signature owner: a driver transaction type, a querier
// interface, or (gobuffalo/pop) the type of the connection itself.
func txLike(t types.Type, owner *types.Signature) bool {
	if rules.IsTxType(t) || IsQuerierInterface(t) {
		return true
	}
	if owner != nil && owner.Recv() != nil && types.Identical(owner.Recv().Type(), t) {
		return true
	}
	return false
}

// IsQuerierInterface matches interfaces offering SQL methods (Querier, DBTX).
func IsQuerierInterface(t types.Type) bool {
	iface, ok := types.Unalias(t).Underlying().(*types.Interface)
	if !ok {
		return false
	}
	for i := 0; i < iface.NumMethods(); i++ {
		name := iface.Method(i).Name()
		if strings.HasPrefix(name, "Exec") || strings.HasPrefix(name, "Query") {
			return true
		}
	}
	return false
}

// callbackParam finds the callback parameter of sig: a func-typed parameter
// one of whose parameters is transaction-like. It returns the parameter
// index and the tx's index within the callback, or -1.
func callbackParam(sig *types.Signature) (param, tx int) {
	for i := sig.Params().Len() - 1; i >= 0; i-- {
		cb := syntax.FuncSignature(sig.Params().At(i).Type())
		if cb == nil {
			continue
		}
		if j := TxParam(cb, sig); j >= 0 {
			return i, j
		}
	}
	return -1, -1
}

// TxParam is the index of the transaction parameter of a callback, found
// by type rather than position.
func TxParam(cb, owner *types.Signature) int {
	for j := 0; j < cb.Params().Len(); j++ {
		if txLike(cb.Params().At(j).Type(), owner) {
			return j
		}
	}
	return -1
}

// middlewareCallback finds a middleware's handler parameter: a func-typed
// parameter one of whose parameters carries the tx, directly or in a
// struct. It returns the parameter index and the carrier's index, or -1.
func middlewareCallback(sig *types.Signature) (param, tx int) {
	for i := sig.Params().Len() - 1; i >= 0; i-- {
		if cb := syntax.FuncSignature(sig.Params().At(i).Type()); cb != nil {
			if j := carrierParam(cb); j >= 0 {
				return i, j
			}
		}
	}
	return -1, -1
}

// carrierParam is the index of the first parameter of cb that carries a tx.
func carrierParam(cb *types.Signature) int {
	for j := 0; j < cb.Params().Len(); j++ {
		if carriesTx(cb.Params().At(j).Type()) {
			return j
		}
	}
	return -1
}

// analyzeWrapper reads a candidate wrapper's body: where the callback runs,
// which tx it gets, where the tenant is set and on which pool it begins.
// It returns nil when fn does not set a tenant setting before the callback.
func analyzeWrapper(prog *load.Program, src load.FuncSource, fn *types.Func) *Wrapper {
	sig := fn.Type().(*types.Signature)
	cbIndex, txIndex := callbackParam(sig)
	if cbIndex < 0 {
		return nil
	}
	info := src.Pkg.TypesInfo
	cbVar := sig.Params().At(cbIndex)
	var cbCall *ast.CallExpr
	ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && cbCall == nil {
			if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && info.Uses[id] == cbVar && txIndex < len(call.Args) {
				cbCall = call
			}
		}
		return cbCall == nil
	})
	if cbCall == nil {
		return nil
	}
	txVar := syntax.ObjectOf(info, syntax.RootIdent(cbCall.Args[txIndex]))
	if txVar == nil {
		return nil
	}
	w := &Wrapper{Func: fn, Callback: cbIndex, Tenant: -1, Source: src}
	if !w.findSetting(prog, info, src.Decl.Body, sig, txVar, cbCall.Pos()) {
		return nil
	}
	w.Pool = poolTemplate(info, src.Decl.Body, sig, txVar)
	w.RollsBack, w.Contract = readContract(info, src.Decl.Body, txVar, cbCall)
	w.Passes = callbackPasses(info, src.Decl.Body, sig, cbCall)
	w.Isolation, w.IsolationWhy = readIsolation(prog, src)
	return w
}

// findSetting locates the set_config / SET LOCAL on the tx before the
// callback runs and records the setting, the tenant parameter and the
// TS003/TS004 findings.
func (w *Wrapper) findSetting(prog *load.Program, info *types.Info, body *ast.BlockStmt, sig *types.Signature, txVar types.Object, before token.Pos) bool {
	txObjs := map[types.Object]bool{txVar: true}
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || w.SettingCall != nil || call.Pos() >= before || !syntax.Mentions(info, call, txObjs) {
			return w.SettingCall == nil
		}
		text, arg, ok := sqlArg(info, call)
		if !ok || !mentionsSetting(text.Text) {
			return true
		}
		use := rules.ClassifySQL(text.Text).Setting
		if use == nil || !strings.Contains(use.Name, ".") {
			return true
		}
		w.Setting, w.SettingCall, w.SettingSQL = use.Name, call, arg
		w.Tenant = tenantParam(info, sig, call, text)
		if !use.Local {
			w.Findings = append(w.Findings, Finding{Code: "TS003", Pos: call.Pos(),
				Message: "tenant setting " + use.Name + " is set at session level: under transaction pooling it leaks to other clients and tenants"})
		}
		if text.Formatted || !use.Bound {
			w.Findings = append(w.Findings, Finding{Code: "TS004", Pos: arg.Pos(),
				Message: "tenant id is formatted into the SQL text of " + use.Name + " instead of a bind parameter"})
		}
		return false
	})
	return w.SettingCall != nil
}

// tenantParam is the wrapper parameter whose value the setting receives,
// as a bind argument or formatted into the text.
func tenantParam(info *types.Info, sig *types.Signature, call *ast.CallExpr, text sqlString) int {
	candidates := append(append([]ast.Expr{}, call.Args...), text.Values...)
	for _, a := range candidates {
		found := -2
		ast.Inspect(a, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && found < 0 {
				if i := syntax.ParamIndex(sig, info.Uses[id]); i >= 0 && !IsContext(info.TypeOf(id)) && syntax.FuncSignature(info.TypeOf(id)) == nil {
					found = i
				}
			}
			return found < 0
		})
		if found >= 0 {
			return found
		}
	}
	return -1
}

func IsContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

// poolTemplate finds what the tx begins on — `tx, err := X.Begin(ctx)`, or
// the callback of `X.BeginFunc`, `pgx.BeginFunc(ctx, X, …)`,
// `X.Transaction(…)` — and renders X over {recv} and {argN}.
func poolTemplate(info *types.Info, body *ast.BlockStmt, sig *types.Signature, txVar types.Object) string {
	var pool ast.Expr
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 && len(n.Lhs) >= 1 {
				if id, ok := n.Lhs[0].(*ast.Ident); ok && syntax.ObjectOf(info, id) == txVar {
					pool = beginReceiver(info, n.Rhs[0])
				}
			}
		case *ast.CallExpr:
			for _, a := range n.Args {
				if lit, ok := a.(*ast.FuncLit); ok && declaresParam(info, lit, txVar) {
					pool = beginReceiver(info, n)
				}
			}
		}
		return pool == nil
	})
	if pool == nil {
		return ""
	}
	return exprTemplate(info, sig, pool)
}

// beginReceiver is X in X.Begin*(…), X.Transaction(…), or the first
// non-context argument of a package-level Begin*(ctx, X, …).
func beginReceiver(info *types.Info, e ast.Expr) ast.Expr {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return nil
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil || !(strings.HasPrefix(fn.Name(), "Begin") || fn.Name() == "Transaction") {
		return nil
	}
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && fn.Type().(*types.Signature).Recv() != nil {
		return sel.X
	}
	for _, a := range call.Args {
		if !IsContext(info.TypeOf(a)) {
			return a
		}
	}
	return nil
}

func declaresParam(info *types.Info, lit *ast.FuncLit, v types.Object) bool {
	for _, f := range lit.Type.Params.List {
		for _, name := range f.Names {
			if info.Defs[name] == v {
				return true
			}
		}
	}
	return false
}

// exprTemplate prints e with the receiver as {recv} and parameters as {argN}.
func exprTemplate(info *types.Info, sig *types.Signature, e ast.Expr) string {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		switch i := syntax.ParamIndex(sig, info.Uses[x]); {
		case i == -1:
			return "{recv}"
		case i >= 0:
			return "{arg" + syntax.Itoa(i) + "}"
		}
		if v, ok := info.Uses[x].(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
			return "{pkg " + v.Pkg().Path() + "}." + x.Name
		}
	case *ast.CallExpr:
		// A chain method that returns its receiver's type: db.g.WithContext(ctx).
		if sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr); ok && types.Identical(info.TypeOf(x), info.TypeOf(sel.X)) {
			return exprTemplate(info, sig, sel.X)
		}
	case *ast.SelectorExpr:
		if inner := exprTemplate(info, sig, x.X); inner != "" {
			return inner + "." + x.Sel.Name
		}
		if v, ok := info.Uses[x.Sel].(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
			return "{pkg " + v.Pkg().Path() + "}." + x.Sel.Name
		}
	}
	return ""
}

// callbackPasses maps each argument of the callback call to the wrapper
// parameter it is, when the body never changes that parameter: a
// context.WithTimeout or a WithValue carrying the tx assigned to it would
// not be the caller's context.
func callbackPasses(info *types.Info, body *ast.BlockStmt, sig *types.Signature, cbCall *ast.CallExpr) []int {
	out := make([]int, len(cbCall.Args))
	for i, a := range cbCall.Args {
		out[i] = -1
		if id, ok := ast.Unparen(a).(*ast.Ident); ok {
			param := info.Uses[id]
			if j := syntax.ParamIndex(sig, param); j >= 0 && !changedIn(info, body, param) {
				out[i] = j
			}
		}
	}
	return out
}

// changedIn reports whether body assigns v, increments it, ranges into it
// or takes its address.
func changedIn(info *types.Info, body ast.Node, v types.Object) bool {
	found := false
	is := func(e ast.Expr) {
		if id := syntax.RootIdent(e); id != nil && syntax.ObjectOf(info, id) == v {
			found = true
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				is(lhs)
			}
		case *ast.IncDecStmt:
			is(n.X)
		case *ast.RangeStmt:
			if n.Key != nil {
				is(n.Key)
			}
			if n.Value != nil {
				is(n.Value)
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				is(n.X)
			}
		}
		return !found
	})
	return found
}
