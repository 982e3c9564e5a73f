package analysis

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// Buffalo is an app that runs every request in buffalo-pop's transaction:
// `app.Use(popmw.Transaction(models.DB))` begins one transaction per
// request on models.DB, puts it in the context as "tx" (where actions take
// it: `tx := c.Value("tx").(*pop.Connection)`), rolls it back when the
// action returns an error or the response status is 400 or more, and
// commits it otherwise. Buffalo's own default, and the incident's shape.
type Buffalo struct {
	Func load.FuncSource // the function that registers the middleware (App())
	Use  *ast.ExprStmt   // app.Use(…, popmw.Transaction(models.DB), …)
	MW   *ast.CallExpr   // popmw.Transaction(models.DB)
	// Stack is the receiver of Use as the Skip call names it:
	// "app.Middleware" for app.Use.
	Stack string
	// Pool is the package variable the middleware begins on (models.DB);
	// nil when it is not one, and PoolWhy says what it is.
	Pool    *types.Var
	PoolWhy string
	// Skip is an existing `app.Middleware.Skip(popmw.Transaction(…), …)`
	// right after Use; nil when there is none. SkipWhy says why no Skip
	// can be written ("" when one can).
	Skip    *ast.CallExpr
	SkipWhy string
	// Actions are the handlers routed through the middleware in Func, in
	// the order they are registered; Skipped those Skip already names.
	Actions []*Action
	Skipped []string
	// Wrapper is the middleware as a wrapper, for the planner.
	Wrapper *Wrapper
	// strict follows the transaction through the context with the pool
	// as no fallback (ContextTx); response finds who writes the response.
	strict   *txReach
	response *responseReach
}

// Action is a handler behind the middleware.
type Action struct {
	Name  string        // "HomeHandler", "WidgetsResource.List"
	Func  *types.Func   // nil when the handler is not a function or method
	Route *ast.CallExpr // its registration: app.GET(…), app.Resource(…)
	// SkipName is how a Skip call names the handler (HomeHandler,
	// WidgetsResource{}.List): the same function, so the same name.
	SkipName string
	// Accessor is where it takes the transaction; nil when it takes none.
	Accessor *Accessor
	// Wrapped is its classified body, the accessor's variable as the tx.
	Wrapped *Wrapped
	// Why says why it keeps the transaction whatever its effects: "" when
	// its effects decide.
	Why string
	// Around says why a transaction of its own around its writes would not
	// end where popmw's did: middleware between popmw and the action that
	// may fail, or answer with an error status, after the action returned.
	// "" when none can.
	Around string
}

// Accessor is the statement of an action that takes the request's
// transaction: `tx := c.Value("tx").(*pop.Connection)`, the comma-ok form
// with its `if !ok { … }` check, or `tx := models.Tx(c)` through a helper
// of the module that returns it.
type Accessor struct {
	Stmt  *ast.AssignStmt
	Var   types.Object
	Check *ast.IfStmt // the `if !ok { … }` after the comma-ok form, or nil
}

// findBuffalo finds the apps that register popmw.Transaction and the
// actions behind it, and classifies each action's body.
func findBuffalo(prog *load.Program, c *Classifier) []*Buffalo {
	var out []*Buffalo
	prog.EachFunc(func(src load.FuncSource) {
		info := src.Pkg.TypesInfo
		syntax.Calls(info, src.Decl.Body, func(call *ast.CallExpr, fn *types.Func) {
			if !rules.IsPopmwTransaction(fn) {
				return
			}
			if b := buffaloAt(prog, src, call); b != nil {
				reach := newTxReach(prog, b.Pool)
				b.strict = newTxReach(prog, nil)
				b.response = &responseReach{prog: prog, memo: newFuncMemo()}
				b.findActions(prog, c, reach)
				out = append(out, b)
			}
		})
	})
	calledElsewhere(prog, out)
	return out
}

// calledElsewhere keeps the actions the loaded code also calls, or takes
// as a value, other than to route or skip them: what the migration changes
// in an action's body would change there too, where it runs in another
// action's transaction or in none.
func calledElsewhere(prog *load.Program, apps []*Buffalo) {
	actions := map[*types.Func][]*Action{}
	for _, b := range apps {
		for _, a := range b.Actions {
			if a.Func != nil {
				actions[a.Func.Origin()] = append(actions[a.Func.Origin()], a)
			}
		}
	}
	if len(actions) == 0 {
		return
	}
	first := map[*types.Func]token.Pos{}
	for _, pkg := range prog.Packages {
		info := pkg.TypesInfo
		routed := map[*ast.Ident]bool{}
		for _, f := range pkg.Syntax {
			syntax.Calls(info, f, func(call *ast.CallExpr, fn *types.Func) {
				if rules.IsBuffaloRoute(fn) || rules.IsBuffaloResource(fn) || rules.IsBuffaloSkip(fn) {
					for _, arg := range call.Args {
						ast.Inspect(arg, func(n ast.Node) bool {
							if id, ok := n.(*ast.Ident); ok {
								routed[id] = true
							}
							return true
						})
					}
				}
			})
		}
		for id, obj := range info.Uses {
			if fn, ok := obj.(*types.Func); ok && !routed[id] && actions[fn.Origin()] != nil {
				if p, seen := first[fn.Origin()]; !seen || id.Pos() < p {
					first[fn.Origin()] = id.Pos()
				}
			}
		}
	}
	for fn, pos := range first {
		for _, a := range actions[fn] {
			a.Why = cmp.Or(a.Why, fmt.Sprintf("%s is also called at %s, not through its route: a change to its body would change it there too", a.Name, prog.Position(pos)))
		}
	}
}

// buffaloAt reads the statement a popmw.Transaction call is in: the app it
// is registered with, the pool it gets, and an existing Skip after it. A
// call inside a Skip is that Skip's, not a registration: nil.
func buffaloAt(prog *load.Program, src load.FuncSource, mw *ast.CallExpr) *Buffalo {
	info := src.Pkg.TypesInfo
	list, i := syntax.EnclosingStmt(src.Decl.Body, mw)
	if list == nil {
		return nil
	}
	stmt, ok := list[i].(*ast.ExprStmt)
	use, isCall := ast.Unparen(stmt.X).(*ast.CallExpr)
	if !ok || !isCall || !slices.Contains(use.Args, ast.Expr(mw)) {
		return nil
	}
	fn, _ := typeutil.Callee(info, use).(*types.Func)
	if fn == nil || !rules.IsBuffaloUse(fn) {
		return nil
	}
	recv := types.ExprString(ast.Unparen(use.Fun).(*ast.SelectorExpr).X)
	if rules.IsBuffaloAppUse(fn) {
		recv += ".Middleware" // app.Use(mw) is app.Middleware.Use(mw)
	}
	level, why := dbIsolation(prog)
	w := &Wrapper{Func: typeutil.Callee(info, mw).(*types.Func), Callback: -1, Tenant: -1, RollsBack: true, Source: src,
		Isolation: level, IsolationWhy: "popmw.Transaction begins at the database's default isolation: " + why}
	b := &Buffalo{Func: src, Use: stmt, MW: mw, Stack: recv, Wrapper: w}
	if len(mw.Args) == 1 {
		b.Pool = packageVar(info, mw.Args[0])
	}
	if len(mw.Args) != 1 || !plainName(mw.Args[0]) {
		b.SkipWhy = fmt.Sprintf("the argument of popmw.Transaction at %s is not a plain name, which a Skip could evaluate again", prog.Position(mw.Pos()))
	}
	if b.Pool == nil {
		b.PoolWhy = fmt.Sprintf("the connection popmw.Transaction gets at %s (%s) is not a package variable the actions can name", prog.Position(mw.Pos()), exprText(mw.Args))
	}
	if i+1 < len(list) {
		if s, ok := list[i+1].(*ast.ExprStmt); ok {
			if skip, ok := ast.Unparen(s.X).(*ast.CallExpr); ok && isPopmwSkip(info, skip) {
				b.Skip = skip
			}
		}
	}
	return b
}

func exprText(es []ast.Expr) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, types.ExprString(e))
	}
	return strings.Join(parts, ", ")
}

// isPopmwSkip matches `….Skip(popmw.Transaction(…), handlers…)`.
func isPopmwSkip(info *types.Info, call *ast.CallExpr) bool {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil || !rules.IsBuffaloSkip(fn) || len(call.Args) == 0 {
		return false
	}
	mw, ok := ast.Unparen(call.Args[0]).(*ast.CallExpr)
	if !ok {
		return false
	}
	inner, _ := typeutil.Callee(info, mw).(*types.Func)
	return inner != nil && rules.IsPopmwTransaction(inner)
}

// findActions lists the routes registered in the app's function on the
// app, or on a group made from it after the middleware was added (a group
// copies the middleware when it is made), and reads each action.
func (b *Buffalo) findActions(prog *load.Program, c *Classifier, reach *txReach) {
	info := b.Func.Pkg.TypesInfo
	root := syntax.ObjectOf(info, syntax.RootIdent(ast.Unparen(b.Use.X.(*ast.CallExpr).Fun).(*ast.SelectorExpr).X))
	if root == nil {
		return
	}
	// apps are the app and its groups, each with why its routes keep the
	// transaction whatever they do ("" when that is up to them), and why
	// none can open its own around its writes (Action.Around).
	apps := map[types.Object]string{root: b.middlewareInside(prog, reach, root)}
	around := map[types.Object]string{root: b.middlewareAround(prog, root)}
	skipped := map[*types.Func]bool{}
	if b.Skip != nil {
		for _, h := range b.Skip.Args[1:] {
			if fn := handlerFunc(info, h); fn != nil {
				skipped[fn] = true
				b.Skipped = append(b.Skipped, types.ExprString(h))
			}
		}
	}
	ast.Inspect(b.Func.Decl.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			// g := app.Group("/api"), made after the middleware: its routes
			// run it too, and the group's own middleware inside it.
			for i, lhs := range n.Lhs {
				call, ok := ast.Unparen(pick(n.Rhs, i)).(*ast.CallExpr)
				if !ok || n.Pos() < b.Use.Pos() {
					continue
				}
				if parent, ok := onApp(info, call, apps, rules.IsBuffaloGroup); ok {
					if obj := syntax.ObjectOf(info, syntax.IdentOf(lhs)); obj != nil {
						apps[obj] = cmp.Or(apps[parent], b.middlewareInside(prog, reach, obj))
						around[obj] = cmp.Or(around[parent], b.middlewareAround(prog, obj))
					}
				}
			}
		case *ast.CallExpr:
			if app, ok := onApp(info, n, apps, rules.IsBuffaloRoute); ok && len(n.Args) == 2 {
				b.addAction(prog, c, reach, n, n.Args[1], skipped, apps[app], around[app])
			} else if app, ok := onApp(info, n, apps, rules.IsBuffaloResource); ok && len(n.Args) == 2 {
				b.addResource(prog, c, reach, n, skipped, apps[app], around[app])
			}
		}
		return true
	})
}

// onApp returns the app or group a method call matched by is is made on.
func onApp(info *types.Info, call *ast.CallExpr, apps map[types.Object]string, is func(*types.Func) bool) (types.Object, bool) {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if fn == nil || !ok || !is(fn) {
		return nil, false
	}
	obj := syntax.ObjectOf(info, syntax.IdentOf(sel.X))
	_, tracked := apps[obj]
	return obj, tracked
}

// middlewareInside is why middleware that app (or a group) uses inside
// popmw.Transaction keeps its actions in the transaction: one that takes
// the transaction from the context. "" when none does.
func (b *Buffalo) middlewareInside(prog *load.Program, reach *txReach, app types.Object) string {
	why := ""
	b.eachInside(app, func(mw ast.Expr) bool {
		if how, ok := reach.expr(b.Func.Pkg.TypesInfo, mw); ok {
			why = fmt.Sprintf("middleware %s at %s runs inside popmw.Transaction and %s", types.ExprString(mw), prog.Position(mw.Pos()), how)
		}
		return why == ""
	})
	return why
}

// middlewareAround is why an action of app (or a group) cannot open its
// own transaction around its writes: middleware inside popmw.Transaction
// that does not pass the action's result on as it is (passesThrough).
// "" when there is none.
func (b *Buffalo) middlewareAround(prog *load.Program, app types.Object) string {
	why := ""
	b.eachInside(app, func(mw ast.Expr) bool {
		why = b.passesThrough(prog, mw)
		return why == ""
	})
	return why
}

// eachInside visits the middleware app (or a group) uses inside
// popmw.Transaction, until visit returns false. For the app, that is what
// it uses after popmw's (the stack runs in that order); a group's runs
// after all of its app's.
func (b *Buffalo) eachInside(app types.Object, visit func(mw ast.Expr) bool) {
	info := b.Func.Pkg.TypesInfo
	more := true
	ast.Inspect(b.Func.Decl.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || !more {
			return more
		}
		fn, _ := typeutil.Callee(info, call).(*types.Func)
		sel, isSel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if fn == nil || !isSel || !rules.IsBuffaloUse(fn) || syntax.ObjectOf(info, syntax.RootIdent(sel.X)) != app {
			return true
		}
		for _, mw := range call.Args {
			if call.Pos() < b.Use.Pos() || mw.Pos() <= b.MW.Pos() && call == b.Use.X {
				continue // runs before popmw's
			}
			if more = visit(mw); !more {
				break
			}
		}
		return more
	})
}

// addResource adds the actions of `app.Resource(path, R{})`: each method
// Resource routes, named "pkgpath.R.Method" by Buffalo.
func (b *Buffalo) addResource(prog *load.Program, c *Classifier, reach *txReach, call *ast.CallExpr, skipped map[*types.Func]bool, inside, around string) {
	info := b.Func.Pkg.TypesInfo
	res := ast.Unparen(call.Args[1])
	lit := res
	if u, ok := res.(*ast.UnaryExpr); ok && u.Op == token.AND {
		lit = ast.Unparen(u.X)
	}
	t := info.TypeOf(lit)
	named, _ := types.Unalias(t).(*types.Named)
	if _, isLit := lit.(*ast.CompositeLit); !isLit || named == nil {
		b.Actions = append(b.Actions, &Action{Name: types.ExprString(res), Route: call,
			Why: "the resource is not a composite literal of a named type, so txscope cannot name its actions for Skip"})
		return
	}
	if _, _, isMiddler := lookupMethod(named, "Use"); isMiddler {
		inside = fmt.Sprintf("resource %s adds middleware of its own (Use), which txscope does not read", named.Obj().Name())
	}
	for _, m := range rules.ResourceActions {
		fn, ptrRecv, ok := lookupMethod(named, m)
		if !ok {
			continue
		}
		a := &Action{Name: named.Obj().Name() + "." + m, Func: fn, Route: call, SkipName: types.ExprString(lit) + "." + m}
		if ptrRecv {
			// Buffalo names the route pkgpath.T.M; a method value of *T is
			// named pkgpath.*T.M, so no Skip can match it.
			a.SkipName = ""
			a.Why = fmt.Sprintf("%s has a pointer receiver: Buffalo names its route after %s, which no method value of *%s matches, so Skip cannot name it",
				a.Name, named.Obj().Name(), named.Obj().Name())
		}
		a.Around = around
		b.readAction(prog, c, reach, a, skipped, inside)
	}
}

// lookupMethod finds method name of T: whether only *T has it.
func lookupMethod(named *types.Named, name string) (*types.Func, bool, bool) {
	obj, _, _ := types.LookupFieldOrMethod(named, false, named.Obj().Pkg(), name)
	if fn, ok := obj.(*types.Func); ok {
		return fn, false, true
	}
	obj, _, _ = types.LookupFieldOrMethod(types.NewPointer(named), true, named.Obj().Pkg(), name)
	fn, ok := obj.(*types.Func)
	return fn, true, ok
}

// addAction adds the action of `app.GET(path, h)`.
func (b *Buffalo) addAction(prog *load.Program, c *Classifier, reach *txReach, call *ast.CallExpr, h ast.Expr, skipped map[*types.Func]bool, inside, around string) {
	info := b.Func.Pkg.TypesInfo
	a := &Action{Name: types.ExprString(h), Route: call, Func: handlerFunc(info, h), Around: around}
	if _, ok := ast.Unparen(h).(*ast.FuncLit); ok {
		a.Name = "a function literal"
	}
	switch {
	case a.Func == nil:
		a.Why = "the handler is not a function or a method of a composite literal, so txscope cannot name it for Skip"
	case !nameable(info, h):
		a.Why = fmt.Sprintf("the handler %s is not a package-level name or a method of a composite literal, so a Skip after the middleware cannot name it", types.ExprString(h))
	default:
		a.SkipName = types.ExprString(h)
	}
	if a.Func != nil {
		a.Name = funcName(a.Func)
	}
	b.readAction(prog, c, reach, a, skipped, inside)
}

// handlerFunc is the function or method a handler expression names.
func handlerFunc(info *types.Info, h ast.Expr) *types.Func {
	switch x := ast.Unparen(h).(type) {
	case *ast.Ident:
		fn, _ := info.Uses[x].(*types.Func)
		return fn
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[x]; ok && sel.Kind() == types.MethodVal {
			fn, _ := sel.Obj().(*types.Func)
			return fn
		}
		fn, _ := info.Uses[x.Sel].(*types.Func) // pkg.Handler
		return fn
	}
	return nil
}

// nameable reports whether h means the same function anywhere in the
// app's function: a package-level function or a method of a composite
// literal (or of a package variable).
func nameable(info *types.Info, h ast.Expr) bool {
	sel, ok := ast.Unparen(h).(*ast.SelectorExpr)
	if !ok {
		return true // a function's name
	}
	if _, isMethod := info.Selections[sel]; !isMethod {
		return true // pkg.Handler
	}
	x := ast.Unparen(sel.X)
	if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.AND {
		x = ast.Unparen(u.X)
	}
	if _, ok := x.(*ast.CompositeLit); ok {
		return true
	}
	return packageVar(info, x) != nil
}

// readAction finds where an action takes the transaction, what else
// reaches it, and classifies the body.
func (b *Buffalo) readAction(prog *load.Program, c *Classifier, reach *txReach, a *Action, skipped map[*types.Func]bool, inside string) {
	if a.Func != nil && skipped[a.Func] {
		return // already outside the transaction
	}
	b.Actions = append(b.Actions, a)
	if a.Why == "" {
		a.Why = inside
	}
	if a.Func == nil {
		return
	}
	src, ok := prog.Source(a.Func)
	if !ok {
		a.Why = cmp.Or(a.Why, "its body ("+rules.FuncName(a.Func)+") is not in the loaded code")
		return
	}
	info := src.Pkg.TypesInfo
	ctx := contextParam(info, src.Decl)
	acc, why := findAccessor(prog, info, src.Decl.Body, ctx, reach)
	a.Accessor = acc
	a.Why = cmp.Or(a.Why, why)
	// The context carries the transaction: what takes it from there, in
	// the body or in the helpers the context is passed to, is followed
	// from it. The planner's tx is the accessor's variable when there is one.
	tx := ctx
	if acc != nil {
		tx = acc.Var
	}
	lit := &ast.FuncLit{Type: src.Decl.Type, Body: src.Decl.Body}
	site := &Site{Wrapper: b.Wrapper, Call: a.Route, Callback: lit, Tx: tx, Func: src}
	h := &Wrapped{Site: site, Stmts: c.Body(info, src.Decl.Body, []types.Object{ctx})}
	h.Class = classify(h.Stmts)
	a.Wrapped = h
}

// contextParam is the action's buffalo.Context parameter (its only one).
func contextParam(info *types.Info, decl *ast.FuncDecl) types.Object {
	params := decl.Type.Params.List
	if len(params) != 1 || len(params[0].Names) != 1 {
		return nil
	}
	return info.Defs[params[0].Names[0]]
}

// findAccessor reads how body takes the request's transaction: at most one
// accessor statement on the action's context ctx, and nothing else that
// reaches it (another c.Value("tx"), a helper that takes it from the
// context, a context value under a key that is not a constant).
func findAccessor(prog *load.Program, info *types.Info, body *ast.BlockStmt, ctx types.Object, reach *txReach) (*Accessor, string) {
	var acc *Accessor
	why := ""
	accessorCalls := map[*ast.CallExpr]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || why != "" {
			return why == ""
		}
		call, ok := accessorExpr(info, as, ctx, reach)
		if !ok {
			return true
		}
		if acc != nil {
			why = fmt.Sprintf("it takes the request's transaction twice (%s and %s)", prog.Position(acc.Stmt.Pos()), prog.Position(as.Pos()))
			return false
		}
		acc = &Accessor{Stmt: as, Var: syntax.ObjectOf(info, syntax.IdentOf(as.Lhs[0]))}
		accessorCalls[call] = true
		if len(as.Lhs) == 2 {
			acc.Check, why = okCheck(prog, info, body, as)
		}
		return true
	})
	if why != "" {
		return nil, why
	}
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || why != "" || accessorCalls[call] {
			return why == "" && !accessorCalls[call]
		}
		if how, ok := reach.call(info, call); ok {
			why = "it " + how + ": txscope moves an action only when it takes the transaction itself, in one statement"
		}
		return why == ""
	})
	if why != "" {
		return nil, why
	}
	return acc, ""
}

// accessorExpr matches `tx := c.Value("tx").(*pop.Connection)` (or with
// `, ok`, or `=`) and `tx := helper(c)` for a helper that returns the
// transaction it takes from its context: the call that reads the context.
func accessorExpr(info *types.Info, as *ast.AssignStmt, ctx types.Object, reach *txReach) (*ast.CallExpr, bool) {
	if ctx == nil || len(as.Rhs) != 1 || len(as.Lhs) > 2 || syntax.IdentOf(as.Lhs[0]) == nil {
		return nil, false
	}
	rhs := ast.Unparen(as.Rhs[0])
	if ta, ok := rhs.(*ast.TypeAssertExpr); ok && ta.Type != nil && rules.IsTxType(info.TypeOf(ta.Type)) {
		call, ok := ast.Unparen(ta.X).(*ast.CallExpr)
		return call, ok && isTxValue(info, call) && onObject(info, call, ctx)
	}
	call, ok := rhs.(*ast.CallExpr)
	if !ok || len(as.Lhs) != 1 || len(call.Args) != 1 || syntax.ObjectOf(info, syntax.IdentOf(call.Args[0])) != ctx {
		return nil, false
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return call, fn != nil && reach.helper(fn).ok
}

// isTxValue matches X.Value("tx") on a context.
func isTxValue(info *types.Info, call *ast.CallExpr) bool {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil || !rules.IsContextValue(fn) || len(call.Args) != 1 {
		return false
	}
	tv := info.Types[call.Args[0]]
	return tv.Value != nil && tv.Value.Kind() == constant.String && constant.StringVal(tv.Value) == rules.BuffaloTxKey
}

// onObject reports whether call is a method call on obj.
func onObject(info *types.Info, call *ast.CallExpr, obj types.Object) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	return ok && syntax.ObjectOf(info, syntax.IdentOf(sel.X)) == obj
}

// okCheck finds the `if !ok { … }` right after a comma-ok accessor, and
// requires ok to be used nowhere else.
func okCheck(prog *load.Program, info *types.Info, body *ast.BlockStmt, as *ast.AssignStmt) (*ast.IfStmt, string) {
	ok := syntax.ObjectOf(info, syntax.IdentOf(as.Lhs[1]))
	list, i := syntax.EnclosingStmt(body, as)
	if ok == nil || list == nil || list[i] != ast.Stmt(as) {
		return nil, fmt.Sprintf("the transaction's type assertion at %s is not a statement of its own", prog.Position(as.Pos()))
	}
	var check *ast.IfStmt
	if i+1 < len(list) {
		if s, isIf := list[i+1].(*ast.IfStmt); isIf && s.Init == nil && s.Else == nil {
			if u, isNot := ast.Unparen(s.Cond).(*ast.UnaryExpr); isNot && u.Op == token.NOT && syntax.ObjectOf(info, syntax.IdentOf(u.X)) == ok {
				check = s
			}
		}
	}
	uses := 0
	ast.Inspect(body, func(n ast.Node) bool {
		if id, isID := n.(*ast.Ident); isID && info.Uses[id] == ok {
			uses++
		}
		return true
	})
	if check == nil || uses != 1 {
		return nil, fmt.Sprintf("%s of the transaction's type assertion at %s is used other than in an `if !%s` check right after it", ok.Name(), prog.Position(as.Pos()), ok.Name())
	}
	return check, ""
}

func newTxReach(prog *load.Program, pool *types.Var) *txReach {
	return &txReach{prog: prog, pool: pool, memo: newFuncMemo(), helpers: map[*types.Func]accessorHelper{}}
}

// txReach answers whether code reaches the request's transaction through
// a context: c.Value under the key "tx" or a key that is not a constant,
// or a call of a function of the module that does, transitively.
type txReach struct {
	prog    *load.Program
	pool    *types.Var // popmw's pool, nil when it is not a package variable
	memo    *funcMemo
	helpers map[*types.Func]accessorHelper
}

// call reports whether call itself reaches the transaction, and how, as
// a clause for "it …": "takes the request's transaction at p".
func (r *txReach) call(info *types.Info, call *ast.CallExpr) (string, bool) {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	at := r.prog.Position(call.Pos())
	switch {
	case fn == nil:
		return "", false
	case r.pool != nil && r.helper(fn).tolerant && r.helper(fn).fallback == r.pool:
		return "", false // skipped by popmw, it gives the pool
	case rules.IsContextValue(fn):
		if len(call.Args) == 1 && info.Types[call.Args[0]].Value == nil {
			return "reads a context value at " + at + " under a key that is not a constant, which may be the transaction", true
		}
		return "takes the request's transaction at " + at, isTxValue(info, call)
	case r.funcReaches(fn):
		return fmt.Sprintf("calls %s.%s at %s, which takes the request's transaction from the context", fn.Pkg().Name(), funcName(fn), at), true
	}
	return "", false
}

// expr reports whether evaluating e, or calling the function it names (a
// middleware), reaches the transaction.
func (r *txReach) expr(info *types.Info, e ast.Expr) (string, bool) {
	if fn := handlerFunc(info, e); fn != nil && r.funcReaches(fn) {
		return "takes the request's transaction from the context", true
	}
	why, found := "", false
	ast.Inspect(e, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && !found {
			why, found = r.call(info, call)
		}
		return !found
	})
	return why, found
}

// plainName reports whether e is a name or a chain of selectors on one
// (models.DB, s.db): evaluating it again gives the same value.
func plainName(e ast.Expr) bool {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		return plainName(x.X)
	}
	return false
}

// funcName is a function's name without its package path.
func funcName(fn *types.Func) string {
	return strings.TrimPrefix(rules.FuncName(fn), fn.Pkg().Path()+".")
}

// funcReaches reports whether a function of the loaded code reaches the
// transaction (a library does not know buffalo-pop's key).
func (r *txReach) funcReaches(fn *types.Func) bool {
	return r.memo.has(r.prog, fn, func(src load.FuncSource) bool {
		found := false
		ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && !found {
				_, found = r.call(src.Pkg.TypesInfo, call)
			}
			return !found
		})
		return found
	})
}

// funcMemo memoizes a property that a function of the loaded code has when
// a call in its body has it, directly or through the function it calls:
// the least fixpoint, so a recursive cycle adds nothing (models that load
// each other). A function on the path being searched does not have it
// there; a search that finds nothing proves that of every function it
// visited, and one that finds it, of the functions on the path.
type funcMemo struct {
	known    map[*types.Func]bool
	visiting map[*types.Func]bool // during a search
}

func newFuncMemo() *funcMemo { return &funcMemo{known: map[*types.Func]bool{}} }

// has reports whether fn has the property, as body finds it in fn's body
// (asking has, through its calls, of the functions they call); false for
// a function whose body is not loaded.
func (m *funcMemo) has(prog *load.Program, fn *types.Func, body func(load.FuncSource) bool) (found bool) {
	fn = fn.Origin()
	if v, ok := m.known[fn]; ok {
		return v
	}
	src, ok := prog.Source(fn)
	if !ok || m.visiting[fn] {
		return false
	}
	if m.visiting == nil {
		m.visiting = map[*types.Func]bool{}
		defer func() {
			for f := range m.visiting {
				if !found {
					m.known[f] = false
				}
			}
			m.visiting = nil
		}()
	}
	m.visiting[fn] = true
	if found = body(src); found {
		m.known[fn] = true
	}
	return found
}

// accessorHelper is what a function of the module like models.Tx(c) is:
// one context parameter, a pop connection as its one result, and every
// return gives the transaction it takes from the parameter (the comma-ok
// form's variable) or a package variable (the pool, when the context holds
// no transaction). Calling one is taking the transaction.
type accessorHelper struct {
	ok bool
	// tolerant: with no transaction in the context it returns fallback
	// and does nothing else (no log line), so an action skipped by popmw
	// gets the pool from it, as the rewrite would give it.
	tolerant bool
	fallback *types.Var
}

func (r *txReach) helper(fn *types.Func) accessorHelper {
	fn = fn.Origin()
	if h, ok := r.helpers[fn]; ok {
		return h
	}
	r.helpers[fn] = accessorHelper{} // a cycle is no helper
	h := r.readHelper(fn)
	r.helpers[fn] = h
	return h
}

func (r *txReach) readHelper(fn *types.Func) accessorHelper {
	src, ok := r.prog.Source(fn)
	sig := fn.Type().(*types.Signature)
	if !ok || sig.Params().Len() != 1 || sig.Results().Len() != 1 || !rules.IsTxType(sig.Results().At(0).Type()) {
		return accessorHelper{}
	}
	info := src.Pkg.TypesInfo
	param := sig.Params().At(0)
	taken := map[types.Object]bool{}
	for _, s := range src.Decl.Body.List {
		if as, ok := s.(*ast.AssignStmt); ok {
			if _, ok := accessorExpr(info, as, param, r); ok {
				taken[syntax.ObjectOf(info, syntax.IdentOf(as.Lhs[0]))] = true
			}
		}
	}
	if len(taken) == 0 {
		return accessorHelper{}
	}
	h := accessorHelper{ok: true, tolerant: true}
	ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			h.ok = false
		case *ast.CallExpr:
			if !isTxValue(info, n) {
				h.tolerant = false // it logs, or takes the transaction through another helper
			}
		case *ast.ReturnStmt:
			if len(n.Results) != 1 {
				h.ok = false
				break
			}
			switch v := packageVar(info, n.Results[0]); {
			case taken[syntax.ObjectOf(info, syntax.IdentOf(n.Results[0]))]:
			case v != nil && (h.fallback == nil || h.fallback == v):
				h.fallback = v
			default:
				h.ok = false
			}
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				if obj := syntax.ObjectOf(info, syntax.IdentOf(lhs)); taken[obj] && n.Tok != token.DEFINE {
					h.ok = false // the variable is set again
				}
			}
		}
		return h.ok
	})
	h.tolerant = h.ok && h.tolerant && h.fallback != nil
	return h
}
