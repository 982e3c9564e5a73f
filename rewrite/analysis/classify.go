package analysis

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/types/typeutil"
)

// StmtEffect is the effect of one top-level statement of a callback body.
type StmtEffect struct {
	Stmt   ast.Stmt
	Effect rules.Effect
	Calls  []CallEffect // the calls and uses that gave it its effect
	// Tables are the tables its calls read and write (the union of theirs).
	Tables rules.Tables
}

// CallEffect explains part of a statement's effect: a call (or a use of the
// tx) at a position, the callee and why it has this effect.
type CallEffect struct {
	Node   ast.Node
	Callee string
	Effect rules.Effect
	Why    string
	// Pooled marks a query on a pool or pooled handle rather than the tx.
	Pooled bool
	// Session marks a configured session check.
	Session bool
	// Tables are the tables the call reads and writes: from its constant
	// SQL, or its callee's summary; any table when neither names them.
	Tables rules.Tables
}

// SessionCheck reports whether the statement's only effect is a configured
// session check that takes no lock: its values (the session's user) may
// feed the writes, and it still moves before the transaction.
func (s StmtEffect) SessionCheck() bool {
	if s.Effect != rules.Read || len(s.Calls) == 0 {
		return false
	}
	for _, ce := range s.Calls {
		if !ce.Session && ce.Effect != rules.Pure {
			return false
		}
	}
	return true
}

// Classifier computes effects; it memoizes interprocedural summaries so a
// helper called from many handlers is read once.
type Classifier struct {
	prog      *load.Program
	cfg       *rules.Config
	slow      []rules.Pattern
	summaries map[summaryKey]*summary
	// paramSQL binds string parameters to the constant SQL the caller
	// passed, while a summary of that callee is being computed.
	paramSQL map[types.Object]string
	imported *imported
	// viaInterface memoizes slowViaInterface by interface method; an entry
	// being computed reads as not slow, so a cycle through it ends.
	viaInterface map[*types.Func]slowness
	// types are the named types the loaded packages declare (implements).
	types []types.Type
}

// slowness is whether a call is slow, and why.
type slowness struct {
	slow bool
	why  string
}

type summaryKey struct {
	fn     *types.Func
	mask   uint64 // bit i+1: parameter i carries the tx; bit 0: the receiver
	consts string // the constant SQL arguments, when the tx is passed too
}

type summary struct {
	effect rules.Effect
	why    string
	tables rules.Tables
	done   bool
}

// NewClassifier prepares effect rules from the configuration.
func NewClassifier(prog *load.Program, cfg *rules.Config) *Classifier {
	return &Classifier{
		prog:         prog,
		cfg:          cfg,
		slow:         append(rules.DefaultSlow(), cfg.Effects.Slow...),
		summaries:    map[summaryKey]*summary{},
		imported:     newImported(prog),
		viaInterface: map[*types.Func]slowness{},
	}
}

// Body classifies each top-level statement of body, where seeds are the
// objects holding the transaction (the callback's tx parameter).
func (c *Classifier) Body(info *types.Info, body *ast.BlockStmt, seeds []types.Object) []StmtEffect {
	h := TrackAliases(info, body, seeds)
	out := make([]StmtEffect, 0, len(body.List))
	for _, s := range body.List {
		out = append(out, c.stmt(info, s, h, body))
	}
	return out
}

// stmt joins the effects of every call and tx use under s.
func (c *Classifier) stmt(info *types.Info, s ast.Stmt, h handles, scope ast.Node) StmtEffect {
	aliases := h.Objs
	se := StmtEffect{Stmt: s}
	add := func(ce CallEffect) {
		se.Effect |= ce.Effect
		se.Tables = se.Tables.Union(ce.Tables)
		if ce.Effect != rules.Pure || ce.Pooled {
			se.Calls = append(se.Calls, ce)
		}
	}
	ast.Inspect(s, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			if syntax.Mentions(info, n, aliases) {
				add(CallEffect{Node: n, Effect: rules.Escapes, Why: "tx used by a goroutine", Tables: rules.AnyTable})
			}
		case *ast.SendStmt:
			if syntax.Mentions(info, n.Value, aliases) {
				add(CallEffect{Node: n, Effect: rules.Escapes, Why: "tx sent on a channel", Tables: rules.AnyTable})
			}
		case *ast.AssignStmt:
			if node, ok := storesAlias(info, n, aliases, scope); ok {
				add(CallEffect{Node: node, Effect: rules.Escapes, Why: "tx stored outside the callback", Tables: rules.AnyTable})
			}
		case *ast.CallExpr:
			if obj := contextStore(info, n, aliases); obj != nil {
				// As context.WithValue(ctx, key, tx), whose body is not
				// loaded: moved out of the block, the statement would
				// fill the context with the pooled handle while what is
				// handed the context runs in the block.
				add(CallEffect{Node: n, Callee: types.ExprString(n.Fun), Effect: rules.Unknown,
					Why: "the tx is stored in the context " + obj.Name() + ", which carries it from here", Tables: rules.AnyTable})
				return true
			}
			add(c.call(info, n, h))
		}
		return true
	})
	return se
}

// storesAlias finds an assignment of the tx to something that outlives the
// callback: a field, an element, a package variable or a variable declared
// outside scope.
func storesAlias(info *types.Info, a *ast.AssignStmt, aliases map[types.Object]bool, scope ast.Node) (ast.Node, bool) {
	for i, lhs := range a.Lhs {
		if i >= len(a.Rhs) || !syntax.Mentions(info, a.Rhs[i], aliases) || !carriesTx(info.TypeOf(a.Rhs[i])) && !opaqueHandle(info.TypeOf(a.Rhs[i])) {
			continue
		}
		id, isIdent := ast.Unparen(lhs).(*ast.Ident)
		if !isIdent {
			return lhs, true
		}
		obj := syntax.ObjectOf(info, id)
		if obj != nil && !containsPos(scope, obj.Pos()) {
			return lhs, true
		}
	}
	return nil, false
}

func containsPos(n ast.Node, pos token.Pos) bool {
	return pos.IsValid() && n.Pos() <= pos && pos < n.End()
}

// call is the effect of one call expression given the tx aliases in scope.
func (c *Classifier) call(info *types.Info, call *ast.CallExpr, h handles) CallEffect {
	if tv, ok := info.Types[call.Fun]; ok && (tv.IsType() || tv.IsBuiltin()) {
		return CallEffect{Node: call}
	}
	aliases := h.Objs
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	recv := ReceiverExpr(call, fn)
	onTx := recv != nil && syntax.Mentions(info, recv, aliases) && (carriesTx(info.TypeOf(recv)) || obtainedFromTx(info, recv, aliases))
	if m := h.methodValue(info, call.Fun); fn == nil && m != nil {
		fn, onTx = m, true
	}
	txArgs := aliasArgs(info, call, aliases)
	if fn != nil {
		txArgs = append(txArgs, c.contextArgs(info, call, fn, aliases)...)
	}
	if fn == nil {
		if isFuncLit(call.Fun) {
			return CallEffect{Node: call} // called in place: the calls in its body are classified where they are
		}
		if onTx || len(txArgs) > 0 || syntax.Mentions(info, call.Fun, aliases) {
			return CallEffect{Node: call, Callee: types.ExprString(call.Fun), Effect: rules.Unknown, Why: "dynamic call with the tx", Tables: rules.AnyTable}
		}
		// A function value handed a context that carries the tx (a
		// Buffalo action's c) may take the tx from it: no body to follow.
		for _, a := range call.Args {
			if IsContextLike(info.TypeOf(a)) && syntax.Mentions(info, a, aliases) {
				return CallEffect{Node: call, Callee: types.ExprString(call.Fun), Effect: rules.Unknown, Why: "dynamic call with a context that carries the tx", Tables: rules.AnyTable}
			}
		}
		return CallEffect{Node: call}
	}
	ce := CallEffect{Node: call, Callee: rules.FuncName(fn)}
	if e, ok := c.configured(fn); ok {
		ce.Effect, ce.Why = e, "effects rule in txscope.yaml"
		ce.Session = e == rules.Read && matchAny(c.cfg.Sessions, fn)
		ce.Tables = rules.TablesFor(e)
		return ce
	}
	switch {
	case onTx:
		ce.Effect, ce.Why, ce.Tables = c.method(info, call, fn, append([]int{-1}, txArgs...))
	case len(txArgs) > 0 && isPresetFunc(fn):
		// A driver's package-level function given the tx (pop.Q(tx)).
		ce.Effect, ce.Why, ce.Tables = c.method(info, call, fn, txArgs)
	case len(txArgs) > 0:
		ce.Effect, ce.Why, ce.Tables = c.summarize(fn, txArgs, c.constArgs(info, call))
	default:
		ce.Effect, ce.Why = c.untouched(fn)
		ce.Pooled = recv != nil && isPooledHandle(info.TypeOf(recv)) && isQueryMethod(fn)
		if ce.Pooled {
			ce.Tables = rules.TablesFor(ce.Effect | rules.Read)
		}
	}
	return ce
}

// obtainedFromTx reports whether recv is a value the tx handed out (a
// prepared statement), though its type holds no tx of ours: a variable
// bound to one, or the handing-out call itself (tx.StmtContext(…).Exec…).
// A context that carries the tx is not one: its methods are its own.
func obtainedFromTx(info *types.Info, recv ast.Expr, aliases map[types.Object]bool) bool {
	if IsContextLike(info.TypeOf(recv)) {
		return false
	}
	return aliases[syntax.ObjectOf(info, syntax.IdentOf(recv))] || presetAlias(info, recv)
}

// method is the effect of a method called on the tx or an alias of it,
// and the tables it touches: those its constant SQL names, any table for
// a driver method that runs no text of its own but has an effect.
func (c *Classifier) method(info *types.Info, call *ast.CallExpr, fn *types.Func, txArgs []int) (rules.Effect, string, rules.Tables) {
	rule, ok := rules.TxMethod(fn)
	if !ok {
		return c.summarize(fn, txArgs, c.constArgs(info, call))
	}
	if rule.SQLArg < 0 || rule.SQLArg >= len(call.Args) {
		if isGormClauses(fn) {
			e := rules.ClausesEffect(argTypes(info, call))
			return e, "GORM clauses", rules.TablesFor(e)
		}
		e, why := rule.Effect, "driver method"
		if len(rule.Hooks) > 0 {
			he, hwhy := c.hooks(info, call, rule)
			if he != rules.Pure {
				e, why = e|he, "driver method; "+hwhy
			}
		}
		return e, why, rules.TablesFor(e)
	}
	text, ok := ReadSQL(info, c.prog, call.Args[rule.SQLArg])
	if id := syntax.IdentOf(call.Args[rule.SQLArg]); !ok && id != nil {
		text.Text, ok = c.paramSQL[info.Uses[id]]
	}
	if !ok {
		return rule.Default, "SQL text is not a constant", rules.TablesFor(rule.Default | rules.Read)
	}
	tables := rules.SQLTables(text.Text)
	if text.Formatted {
		// A value formatted into the text may be a table name.
		tables = rules.AnyTable
	}
	e := rules.ClassifySQL(text.Text).Effect
	if f, _, _ := c.prog.Schema.SetterCall(text.Text); f != nil {
		// A setting function of the migrations sets what it sets: the
		// statements after it depend on it, as after a set_config.
		e |= rules.TxState
	}
	return e, "SQL text", tables
}

// untouched is the effect of a call that does not get the tx: slow when a
// slow rule says so, its body (in the loaded code, or its fact) makes slow
// calls, or, for a method of an interface, every implementation is slow.
func (c *Classifier) untouched(fn *types.Func) (rules.Effect, string) {
	for _, p := range c.slow {
		if p.Match(fn) {
			return rules.Slow, "slow call (" + p.Raw + ")"
		}
	}
	if e, why, _ := c.summarize(fn, nil, nil); e.Has(rules.Slow) {
		return rules.Slow, why
	}
	if s := c.slowViaInterface(fn); s.slow {
		return rules.Slow, s.why
	}
	return rules.Pure, ""
}

// slowViaInterface is whether a call of the interface method fn is slow
// because every type of the loaded code that implements the interface
// makes it slow (a slow rule on the implementation, or its body). Only an
// interface declared in the loaded code counts: the implementations of
// another module's are not all in view. A rule on the interface method
// itself is matched by untouched. An implementation that calls through the
// interface again (a decorator) is not slow by that call: the cycle ends.
func (c *Classifier) slowViaInterface(fn *types.Func) slowness {
	recv := fn.Signature().Recv()
	if recv == nil || fn.Pkg() == nil || !types.IsInterface(recv.Type()) || !c.declaresLoaded(fn.Pkg()) {
		return slowness{}
	}
	if s, ok := c.viaInterface[fn]; ok {
		return s
	}
	c.viaInterface[fn] = slowness{}
	iface := recv.Type().Underlying().(*types.Interface)
	var s slowness
	for _, t := range c.loadedTypes() {
		if !types.Implements(t, iface) {
			continue
		}
		m, _ := types.NewMethodSet(t).Lookup(fn.Pkg(), fn.Name()).Obj().(*types.Func)
		e, why := c.untouched(m)
		if !e.Has(rules.Slow) {
			s = slowness{}
			break
		}
		if !s.slow {
			s = slowness{slow: true, why: fmt.Sprintf("every implementation of %s in the module is slow: %s, %s", rules.FuncName(fn), rules.FuncName(m), why)}
		}
	}
	c.viaInterface[fn] = s
	return s
}

// declaresLoaded reports whether pkg is one of the loaded packages.
func (c *Classifier) declaresLoaded(pkg *types.Package) bool {
	return slices.ContainsFunc(c.prog.Packages, func(p *packages.Package) bool { return p.Types == pkg })
}

// loadedTypes are the named non-interface types the loaded packages
// declare at package level, each as *T, whose method set has T's methods
// too: every type that may implement an interface of the loaded code.
func (c *Classifier) loadedTypes() []types.Type {
	if c.types != nil {
		return c.types
	}
	c.types = []types.Type{}
	for _, p := range c.prog.Packages {
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || tn.IsAlias() {
				continue
			}
			if n, ok := tn.Type().(*types.Named); ok && !types.IsInterface(n) && n.TypeParams().Len() == 0 {
				c.types = append(c.types, types.NewPointer(n))
			}
		}
	}
	return c.types
}

// configured applies the effects rules of txscope.yaml; sessions are reads.
func (c *Classifier) configured(fn *types.Func) (rules.Effect, bool) {
	for _, r := range []struct {
		patterns []rules.Pattern
		effect   rules.Effect
	}{
		{c.cfg.Effects.Write, rules.Write},
		{c.cfg.Effects.Slow, rules.Slow},
		{c.cfg.Effects.Read, rules.Read},
		{c.cfg.Sessions, rules.Read},
	} {
		for _, p := range r.patterns {
			if p.Match(fn) {
				return r.effect, true
			}
		}
	}
	return rules.Pure, false
}

// ReceiverExpr is x in a method call x.M(…).
func ReceiverExpr(call *ast.CallExpr, fn *types.Func) ast.Expr {
	if fn == nil || fn.Type().(*types.Signature).Recv() == nil {
		return nil
	}
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		return sel.X
	}
	return nil
}

// aliasArgs lists the arguments that carry the tx (directly, as a value
// of an opaque type parameter, or captured by a function literal).
func aliasArgs(info *types.Info, call *ast.CallExpr, aliases map[types.Object]bool) []int {
	var out []int
	for i, a := range call.Args {
		if syntax.Mentions(info, a, aliases) && (carriesTx(info.TypeOf(a)) || opaqueHandle(info.TypeOf(a)) || isFuncLit(a)) {
			out = append(out, i)
		}
	}
	return out
}

// contextArgs lists the arguments that are a context carrying the tx
// (context.WithValue(ctx, key, tx), a Buffalo context with popmw's tx in
// it) when fn's body is in the loaded code: the code that can know the key
// it is stored under. A library given such a context is not reading it.
func (c *Classifier) contextArgs(info *types.Info, call *ast.CallExpr, fn *types.Func, aliases map[types.Object]bool) []int {
	if _, ok := c.prog.Source(fn); !ok {
		return nil
	}
	var out []int
	for i, a := range call.Args {
		if IsContextLike(info.TypeOf(a)) && syntax.Mentions(info, a, aliases) && !carriesTx(info.TypeOf(a)) {
			out = append(out, i)
		}
	}
	return out
}

// IsContextLike matches context.Context, interfaces that embed it
// (buffalo.Context) and the program's own types that implement it (a
// job's context keeping values in a map): their methods are the
// context's, not a tx's.
func IsContextLike(t types.Type) bool {
	if IsContext(t) {
		return true
	}
	iface, ok := types.Unalias(t).Underlying().(*types.Interface)
	if !ok {
		return implementsContext(t)
	}
	for i := 0; i < iface.NumEmbeddeds(); i++ {
		if IsContext(iface.EmbeddedType(i)) {
			return true
		}
	}
	return false
}

// implementsContext reports whether the named type t (or *T) has the
// methods of context.Context: Deadline, Done, Err and Value(any) any.
func implementsContext(t types.Type) bool {
	if t == nil || isLibraryType(t) {
		return false
	}
	ms := types.NewMethodSet(t)
	for _, name := range []string{"Deadline", "Done", "Err", "Value"} {
		if ms.Lookup(nil, name) == nil {
			return false
		}
	}
	sig, _ := ms.Lookup(nil, "Value").Obj().Type().(*types.Signature)
	return sig != nil && sig.Params().Len() == 1 && sig.Results().Len() == 1
}

func isFuncLit(e ast.Expr) bool {
	_, ok := ast.Unparen(e).(*ast.FuncLit)
	return ok
}

// isPresetFunc matches a package-level function with a driver preset.
func isPresetFunc(fn *types.Func) bool {
	_, ok := rules.Preset(fn)
	return ok && fn.Type().(*types.Signature).Recv() == nil
}

// isGormClauses matches (*gorm.DB).Clauses, whose effect depends on the
// types of the clauses passed.
func isGormClauses(fn *types.Func) bool {
	return rules.FuncName(fn) == "gorm.io/gorm.(*DB).Clauses"
}

func argTypes(info *types.Info, call *ast.CallExpr) []types.Type {
	ts := make([]types.Type, len(call.Args))
	for i, a := range call.Args {
		ts[i] = info.TypeOf(a)
	}
	return ts
}
