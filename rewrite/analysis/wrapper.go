package analysis

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/schema"
	"github.com/txscope/txscope/rules"
	"github.com/txscope/txscope/rules/sqllex"
	"golang.org/x/tools/go/types/typeutil"
)

// Wrapper is a function that opens a tenant transaction and runs a callback
// in it: what txscope narrows.
type Wrapper struct {
	Func     *types.Func
	Callback int    // parameter index of the callback
	Tenant   int    // parameter index of the tenant id, -1 when unknown
	Setting  string // the tenant setting, e.g. app.current_tenant_id
	// Plain marks a wrapper that begins and ends a transaction and sets no
	// tenant (GORM's Transaction, pgx.BeginFunc, a module's own): the pool
	// it begins on is as scoped as its transactions.
	Plain bool
	// Pool is the expression the transaction begins on, as a template over
	// {recv} and {argN}; "" when the wrapper's body is not in the loaded code.
	Pool string
	// RollsBack is the wrapper's contract: an error from the callback rolls
	// the transaction back. Narrowing relies on it.
	RollsBack bool
	Contract  string // why RollsBack is false, for the report
	// Commits are the errors that commit the transaction when the
	// callback returns them (a commit-anyway contract, read or stated in
	// the config); the wrapper still returns them.
	Commits []CommitError
	// MapsWith is M when the wrapper returns M(e) for the callback's
	// result e (`return errutil.MapDBError(run())`): what moves out of the
	// callback must return through M too. MapsError says how it returns
	// something else in place of the callback's error, which a rewrite
	// cannot reproduce; "" when it returns the error as it is.
	MapsWith  *types.Func
	MapsError string
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
	imported     bool
	unfixable    string
	handleUnlike string
	// settingIn is the helper that sets the tenant, when not the body;
	// settingVia the wrapper's call of it.
	settingIn  *types.Func
	settingVia *ast.CallExpr
	// extra is the wrapper's first use of the tx besides beginning,
	// setting, the callback and ending it, with its position.
	extra string
	// poolWhy says why the pool it begins on cannot be named at a call.
	poolWhy string
	// SettingFunction is the SQL function of the migrations the wrapper
	// sets the tenant through, nil when it calls set_config or SET itself.
	SettingFunction *schema.Function
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
	case w.SettingFunction != nil:
		return "it is set by the SQL function " + w.SettingFunction.QualifiedName() + " (" + w.SettingFunction.Pos.String() + "): fix it there"
	case w.settingIn != nil:
		return "it is set in " + rules.FuncName(w.settingIn) + ", which its other callers share: fix it there"
	case w.SettingCall == nil || w.SettingArg() < 0:
		return "the statement that sets it could not be found"
	case w.Tenant < 0:
		return "the tenant is not one of its parameters, so it cannot be bound"
	case w.Source.Decl == nil:
		return "its source is not in the loaded packages"
	}
	return ""
}

// HandleUnlike says why a tenant-scoped handle would not do what the
// wrapper's setting of the tenant does, "" when it would.
func (w *Wrapper) HandleUnlike() string {
	if w.imported {
		return w.handleUnlike
	}
	if f := w.SettingFunction; f != nil && (!f.OnlySets || len(f.Sets) != 1) {
		return fmt.Sprintf("%s sets the tenant through the SQL function %s (%s), which does more than set one setting to its parameter: a tenant-scoped handle would not do the same", rules.FuncName(w.Func), f.QualifiedName(), f.Pos)
	}
	if w.poolWhy != "" {
		return w.poolWhy
	}
	if w.extra != "" {
		return fmt.Sprintf("%s also runs %s in its transaction, which a handle running the reads on their own would not", rules.FuncName(w.Func), w.extra)
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
// It returns nil when fn neither sets a tenant setting before the callback
// nor begins the transaction it passes.
func analyzeWrapper(prog *load.Program, src load.FuncSource, fn *types.Func) *Wrapper {
	sig := fn.Type().(*types.Signature)
	cbIndex, txIndex := callbackParam(sig)
	if cbIndex < 0 {
		return nil
	}
	info := src.Pkg.TypesInfo
	cbVar := sig.Params().At(cbIndex)
	calls := slices.DeleteFunc(callbackCalls(info, src.Decl.Body, cbVar), func(call *ast.CallExpr) bool { return txIndex >= len(call.Args) })
	if len(calls) == 0 {
		return delegatingWrapper(prog, src, fn, cbIndex, cbVar)
	}
	// The call that hands on a tx the function begins or sets the tenant
	// on; a call with a tx from elsewhere (one carried in ctx) is not it.
	var w *Wrapper
	var cbCall *ast.CallExpr
	var txVar types.Object
	var pool ast.Expr
	for _, call := range calls {
		tv := syntax.ObjectOf(info, syntax.RootIdent(call.Args[txIndex]))
		if tv == nil {
			continue
		}
		cand := &Wrapper{Func: fn, Callback: cbIndex, Tenant: -1, Source: src}
		pool = beginPool(info, src.Decl.Body, tv)
		if pool != nil {
			cand.Pool = exprTemplate(info, sig, pool)
		}
		if !cand.findSetting(prog, info, src.Decl.Body, sig, tv, call.Pos(), map[*types.Func]bool{fn: true}) {
			if pool == nil {
				continue // neither sets a tenant nor begins the transaction it hands on
			}
			cand.Plain = true
		}
		w, cbCall, txVar = cand, call, tv
		break
	}
	if w == nil {
		return nil
	}
	w.setContract(prog.Config, readContract(prog, src, cbVar))
	if why := runsOnceWhy(prog, src.Decl.Body, calls); why != "" && w.RollsBack {
		w.RollsBack, w.Contract = false, why
	}
	if pool != nil && w.Pool == "" {
		w.poolWhy = fmt.Sprintf("%s begins its transaction on %s (%s), which is neither its receiver nor one of its parameters", rules.FuncName(fn), types.ExprString(pool), prog.Position(pool.Pos()))
		if w.Plain && w.RollsBack {
			// No pool to move onto and no tenant to scope one: its
			// callers are found and kept, not skipped.
			w.RollsBack, w.Contract = false, w.poolWhy
		}
	}
	if w.extra == "" {
		w.extra = extraTxUse(prog, info, src.Decl.Body, txVar, cbCall, w.SettingCall, w.settingVia)
	}
	w.Passes = callbackPasses(info, src.Decl.Body, sig, cbCall)
	w.Isolation, w.IsolationWhy = readIsolation(prog, src)
	return w
}

// delegatingWrapper reads a function that hands its callback, as it came,
// to a library's transaction wrapper (`return pgx.BeginFunc(ctx, d.Pool,
// fn)`): a plain wrapper with the library's contract, on the pool given.
func delegatingWrapper(prog *load.Program, src load.FuncSource, fn *types.Func, cbIndex int, cbVar types.Object) *Wrapper {
	info := src.Pkg.TypesInfo
	var w *Wrapper
	syntax.Calls(info, src.Decl.Body, func(call *ast.CallExpr, lib *types.Func) {
		c, ok := rules.LibraryWrapper(lib)
		if !ok || w != nil {
			return
		}
		libCb, _ := callbackParam(lib.Type().(*types.Signature))
		if libCb < 0 || libCb >= len(call.Args) || syntax.ObjectOf(info, syntax.IdentOf(call.Args[libCb])) != cbVar {
			return
		}
		var recv ast.Expr
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && lib.Type().(*types.Signature).Recv() != nil {
			recv = sel.X
		}
		// The library's pool is one placeholder of its call ({recv}, {arg1}).
		tmpl, err := rules.ParseTemplate(c.Pool)
		if err != nil {
			return
		}
		p, ok := tmpl.Placeholder()
		if !ok {
			return
		}
		arg, err := rules.WrapperCall{Recv: recv, Args: call.Args}.Expr(p)
		if err != nil || arg == nil {
			return
		}
		sig := fn.Type().(*types.Signature)
		level, why, ok := callIsolation(prog, info, call)
		if !ok {
			level, why = dbIsolation(prog)
			why = c.Source + " is given no options: " + why
		}
		w = &Wrapper{Func: fn, Callback: cbIndex, Tenant: -1, Plain: true, Source: src,
			Pool: exprTemplate(info, sig, arg), Isolation: level, IsolationWhy: why}
		w.setContract(prog.Config, libraryContract(c))
	})
	if w == nil || w.Pool == "" {
		return nil
	}
	return w
}

// findSetting locates the set_config / SET LOCAL on the tx before the
// callback runs, in the body or in a helper of the module it passes the tx
// to, and records the setting, the tenant parameter and the TS003/TS004
// findings. seen holds the functions being read, against recursion.
func (w *Wrapper) findSetting(prog *load.Program, info *types.Info, body *ast.BlockStmt, sig *types.Signature, txVar types.Object, before token.Pos, seen map[*types.Func]bool) bool {
	txObjs := map[types.Object]bool{txVar: true}
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || w.SettingCall != nil || call.Pos() >= before || !syntax.Mentions(info, call, txObjs) {
			return w.SettingCall == nil
		}
		if w.helperSetting(prog, info, sig, call, txObjs, seen) {
			return false
		}
		text, arg, ok := sqlArg(info, call)
		if !ok {
			return true
		}
		var use *rules.SettingUse
		var fun *schema.Function
		onlySets := true
		if mentionsSetting(text.Text) {
			use, onlySets = rules.ClassifySQL(text.Text).Setting, rules.OnlySets(text.Text)
		} else {
			use, fun, onlySets = settingFunction(prog, text.Text)
		}
		if use == nil || !strings.Contains(use.Name, ".") {
			return true
		}
		w.Setting, w.SettingCall, w.SettingSQL, w.SettingFunction = use.Name, call, arg, fun
		switch {
		case use.More:
			w.extra = fmt.Sprintf("%s, which sets more than the tenant, at %s", shortExpr(call), prog.Position(call.Pos()))
		case !onlySets:
			w.extra = fmt.Sprintf("%s, which does more than set the tenant, at %s", shortExpr(call), prog.Position(call.Pos()))
		}
		w.Tenant = tenantParam(info, sig, call, arg, text, use.Value)
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

// settingFunction reads a call of a SQL function of the migrations that
// sets the tenant (`SELECT app.set_tenant($1)`) as the setting itself: its
// first dotted setting, with the SQL the Go code passes for its value. A
// function that does more than that, or a call with more around it (exact
// false), is still the setting; HandleUnlike says why no handle stands in.
func settingFunction(prog *load.Program, sql string) (use *rules.SettingUse, f *schema.Function, exact bool) {
	f, args, exact := prog.Schema.SetterCall(sql)
	if f == nil {
		return nil, nil, false
	}
	set := f.Sets[0]
	for _, s := range f.Sets {
		if strings.Contains(s.Name, ".") {
			set = s
			break
		}
	}
	// A value the body computes is not the Go code's to bind.
	use = &rules.SettingUse{Name: set.Name, Local: set.Local, Bound: true}
	if set.Param >= 0 && set.Param < len(args) {
		use.Value, use.Bound = args[set.Param], rules.Bound(args[set.Param])
	}
	return use, f, exact
}

// helperSetting follows a call that passes the tx to a function of the
// module (`setTenant(ctx, tx, id)`) and takes the setting it makes on it;
// the tenant is the argument that reaches the helper's tenant parameter.
func (w *Wrapper) helperSetting(prog *load.Program, info *types.Info, sig *types.Signature, call *ast.CallExpr, txObjs map[types.Object]bool, seen map[*types.Func]bool) bool {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil || seen[fn] {
		return false
	}
	src, ok := prog.Source(fn)
	if !ok {
		return false
	}
	hsig := fn.Type().(*types.Signature)
	for i, a := range call.Args {
		if i >= hsig.Params().Len() || syntax.ObjectOf(info, syntax.IdentOf(a)) == nil || !txObjs[syntax.ObjectOf(info, syntax.IdentOf(a))] {
			continue
		}
		seen[fn] = true
		inner := &Wrapper{Tenant: -1}
		found := inner.findSetting(prog, src.Pkg.TypesInfo, src.Decl.Body, hsig, hsig.Params().At(i), src.Decl.Body.End(), seen)
		delete(seen, fn)
		if !found {
			continue
		}
		w.Setting, w.SettingCall, w.SettingSQL, w.Findings = inner.Setting, inner.SettingCall, inner.SettingSQL, inner.Findings
		w.SettingFunction, w.settingIn, w.settingVia = inner.SettingFunction, fn, call
		w.extra = inner.extra
		if w.extra == "" {
			w.extra = extraTxUse(prog, src.Pkg.TypesInfo, src.Decl.Body, hsig.Params().At(i), inner.SettingCall, inner.settingVia)
		}
		if inner.Tenant >= 0 && inner.Tenant < len(call.Args) {
			if id := syntax.IdentOf(call.Args[inner.Tenant]); id != nil {
				w.Tenant = syntax.ParamIndex(sig, info.Uses[id])
			}
		}
		return true
	}
	return false
}

// tenantParam is the wrapper parameter whose value the setting receives:
// the argument bound to the parameter in value, or the one formatted into
// the text; -1 when it cannot be told.
func tenantParam(info *types.Info, sig *types.Signature, call *ast.CallExpr, sqlExpr ast.Expr, text sqlString, value []sqllex.Token) int {
	var candidates []ast.Expr
	sqlIndex := slices.Index(call.Args, sqlExpr)
	switch {
	case text.Formatted:
		candidates = text.Values
	case boundArg(call, sqlIndex, text.Text, value) != nil:
		candidates = []ast.Expr{boundArg(call, sqlIndex, text.Text, value)}
	case sqlIndex >= 0 && len(call.Args) == sqlIndex+2:
		// One bind argument (a named one, @tenant): it is the value.
		candidates = call.Args[sqlIndex+1:]
	}
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

// beginPool finds what the tx begins on — `tx, err := X.Begin(ctx)`, or
// the callback of `X.BeginFunc`, `pgx.BeginFunc(ctx, X, …)`,
// `X.Transaction(…)` — and renders X over {recv} and {argN}.
func beginPool(info *types.Info, body *ast.BlockStmt, txVar types.Object) ast.Expr {
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
	return pool
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
