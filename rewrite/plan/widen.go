package plan

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// Widening changes a helper's transaction parameter (pgx.Tx, *sql.Tx,
// *sqlx.Tx) to a querier interface, so that the pooled handle can be
// passed where the tx was: the helper uses the tx only for methods the
// handle has too, and every reference to it is a direct call with a tx.
type Widening struct {
	Func  *types.Func
	Param int        // index of the tx parameter
	Tx    types.Type // its type before
	// Methods are what the helper needs of the tx: the methods it calls on
	// it and those of the interface parameters it passes it to, by name.
	Methods []string
	// Passes are the helpers it passes the tx to: widened too.
	Passes []WidenKey
}

// WidenKey names a helper's parameter across the package variants of a
// load with tests, which share the syntax (so the position) but not the
// objects.
type WidenKey struct {
	Pos   token.Pos // of the helper's name
	Param int
}

func (w Widening) Key() WidenKey { return WidenKey{w.Func.Pos(), w.Param} }

// Unwidened is a helper that needs the concrete transaction type, with why:
// a query through it stays in the transaction.
type Unwidened struct {
	Func *types.Func
	Tx   types.Type
	Why  string
}

// String is the report's wording: "store.Lock needs pgx.Tx: tx.Conn() at store/store.go:40:9".
func (u Unwidened) String() string {
	return fmt.Sprintf("%s needs %s: %s", ShortName(rules.FuncName(u.Func)), shortType(u.Tx), u.Why)
}

// shortType prints t qualified by package names: pgx.Tx, *sql.Tx.
func shortType(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string { return p.Name() })
}

// widener decides, for one handler's call, whether a helper and the
// helpers it passes the tx to can all be widened.
type widener struct {
	prog *load.Program
	seen map[WidenKey]bool
	out  []Widening
}

// widenHelper reports whether parameter i of fn, a driver's transaction,
// can become a querier interface: the widenings that takes (fn's first),
// or why not.
func widenHelper(prog *load.Program, fn *types.Func, i int) ([]Widening, string) {
	w := &widener{prog: prog, seen: map[WidenKey]bool{}}
	if why := w.visit(fn.Origin(), i); why != "" {
		return nil, why
	}
	return w.out, ""
}

func (w *widener) visit(fn *types.Func, i int) string {
	key := WidenKey{fn.Pos(), i}
	if w.seen[key] {
		return "" // a recursive helper: decided where the visit began
	}
	w.seen[key] = true
	sig := fn.Signature()
	tx := sig.Params().At(i).Type()
	switch {
	case !w.prog.Whole():
		return "the analyzer sees one package at a time, and the helper's callers in other packages cannot be checked"
	case sig.Variadic() && i == sig.Params().Len()-1: // tx is a slice of them
		return "its transaction parameter is variadic"
	case pooledMethods[TxKind(tx)] == nil || !rules.IsTxType(tx):
		return fmt.Sprintf("tenantpool has no handle for %s", shortType(tx))
	case sig.TypeParams().Len() > 0 || sig.RecvTypeParams().Len() > 0:
		return "it is generic"
	}
	src, ok := w.prog.Source(fn)
	switch {
	case !ok:
		return "its body is not in the loaded code"
	case w.prog.Generated[src.File]:
		return "it is declared in a generated file"
	}
	if f := paramField(src.Decl, i); f == nil || len(f.Names) > 1 {
		return "its transaction parameter shares its type with another parameter"
	}
	at := len(w.out)
	w.out = append(w.out, Widening{Func: fn, Param: i, Tx: tx})
	methods, passes, why := w.uses(src, fn, i)
	if why != "" {
		return why
	}
	if why := w.references(fn, i); why != "" {
		return why
	}
	if why := configuredQuerierLacks(w.prog, src, tx, methods); why != "" {
		return why
	}
	w.out[at].Methods, w.out[at].Passes = methods, passes
	return ""
}

// paramField is the field of decl's parameter list that declares
// parameter i.
func paramField(decl *ast.FuncDecl, i int) *ast.Field {
	n := 0
	for _, f := range decl.Type.Params.List {
		n += max(len(f.Names), 1)
		if i < n {
			return f
		}
	}
	return nil
}

// uses checks every use of the helper's tx parameter in its body: the
// receiver of a method the pooled handle has too, or an argument of a
// helper that can itself be widened, or of a parameter whose interface the
// handle satisfies. Anything else (compared, stored, returned, converted,
// asserted, a method only the tx has) needs the concrete type.
func (w *widener) uses(src load.FuncSource, fn *types.Func, i int) (methods []string, passes []WidenKey, why string) {
	info := src.Pkg.TypesInfo
	param := fn.Signature().Params().At(i)
	tx := param.Type()
	pos := func(n ast.Node) string { return w.prog.Position(n.Pos()) }
	need := func(name string) {
		if !slices.Contains(methods, name) {
			methods = append(methods, name)
		}
	}
	ast.PreorderStack(src.Decl.Body, nil, func(n ast.Node, stack []ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if why != "" || !ok {
			return why == ""
		}
		if obj, ok := info.Uses[id].(*types.Var); !ok || obj.Pos() != param.Pos() {
			return true
		}
		name := id.Name
		child, parent, grand := outerOf(id, stack)
		switch p := parent.(type) {
		case *ast.SelectorExpr:
			call, ok := grand.(*ast.CallExpr)
			switch {
			case !ok || ast.Unparen(call.Fun) != p:
				why = fmt.Sprintf("%s.%s at %s is a method value", name, p.Sel.Name, pos(p))
			case !sharedMethod(tx, p.Sel.Name):
				why = fmt.Sprintf("%s.%s() at %s", name, p.Sel.Name, pos(call))
			default:
				need(p.Sel.Name)
			}
		case *ast.CallExpr:
			j := slices.Index(p.Args, child)
			if j < 0 {
				why = fmt.Sprintf("%s is called at %s", name, pos(p))
				break
			}
			ms, key, whyNot := w.passed(info, p, j)
			switch {
			case whyNot != "":
				why = fmt.Sprintf("%s is passed to %s at %s, which %s", name, types.ExprString(p.Fun), pos(p), whyNot)
			case key != nil:
				passes = append(passes, *key)
			}
			for _, m := range ms {
				need(m)
			}
		case *ast.BinaryExpr, *ast.TypeAssertExpr:
			why = fmt.Sprintf("%s at %s", types.ExprString(p.(ast.Expr)), pos(p))
		case *ast.ReturnStmt:
			why = fmt.Sprintf("%s is returned at %s", name, pos(p))
		case *ast.AssignStmt, *ast.ValueSpec, *ast.CompositeLit, *ast.KeyValueExpr, *ast.SendStmt:
			why = fmt.Sprintf("%s is stored at %s", name, pos(child))
		default:
			why = fmt.Sprintf("%s is used as a value at %s", name, pos(child))
		}
		return why == ""
	})
	slices.Sort(methods)
	return methods, passes, why
}

// outerOf is the expression that holds the identifier (the identifier, or
// its parentheses), its parent, and the parent's parent.
func outerOf(id *ast.Ident, stack []ast.Node) (child ast.Expr, parent, grand ast.Node) {
	child = id
	k := len(stack) - 1
	for k >= 0 {
		p, ok := stack[k].(*ast.ParenExpr)
		if !ok {
			break
		}
		child, k = p, k-1
	}
	if k >= 0 {
		parent = stack[k]
	}
	if k >= 1 {
		grand = stack[k-1]
	}
	return child, parent, grand
}

// passed decides argument j of call, the helper's tx: the parameter is
// the same tx type of a helper that can be widened too (its key), or an
// interface with methods that the pooled handle has (their names); else
// why not, as a clause on the callee.
func (w *widener) passed(info *types.Info, call *ast.CallExpr, j int) (methods []string, key *WidenKey, why string) {
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() {
		return nil, nil, "converts it"
	}
	callee, _ := typeutil.Callee(info, call).(*types.Func)
	if callee == nil {
		return nil, nil, "is not a function txscope can see"
	}
	pt := paramType(callee.Signature(), j)
	if pt == nil {
		return nil, nil, "takes no such parameter"
	}
	if rules.IsTxType(pt) {
		if why := w.visit(callee.Origin(), j); why != "" {
			return nil, nil, fmt.Sprintf("needs %s: %s", shortType(pt), why)
		}
		return nil, &WidenKey{callee.Origin().Pos(), j}, ""
	}
	iface, ok := pt.Underlying().(*types.Interface)
	if _, generic := types.Unalias(pt).(*types.TypeParam); !ok || generic || iface.NumMethods() == 0 {
		return nil, nil, fmt.Sprintf("takes %s", shortType(pt))
	}
	for k := range iface.NumMethods() {
		m := iface.Method(k)
		if !sharedMethod(info.TypeOf(call.Args[j]), m.Name()) {
			return nil, nil, fmt.Sprintf("takes %s, whose %s the pooled handle lacks", shortType(pt), m.Name())
		}
		methods = append(methods, m.Name())
	}
	return methods, nil, ""
}

// sharedMethod reports whether the pooled handle for a tx of type tx has
// its method name with the same signature: one an interface can copy from
// the tx (not sqlx's Unsafe, which returns the tx on the tx and the handle
// on the handle).
func sharedMethod(tx types.Type, name string) bool {
	if !pooledMethods[TxKind(tx)][name] {
		return false
	}
	obj, _, _ := types.LookupFieldOrMethod(tx, true, nil, name)
	m, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	res := m.Signature().Results()
	for k := range res.Len() {
		if types.Identical(res.At(k).Type(), tx) {
			return false
		}
	}
	return true
}

// references checks every reference to the helper in the module: a direct
// call with a tx that is not nil (a method value or a func variable would
// change type; a nil tx is a non-nil interface when the tx is a pointer),
// nothing outside the loaded build, and for a method no interface in the
// module it may satisfy by its signature.
func (w *widener) references(fn *types.Func, i int) string {
	why := ""
	for _, pkg := range w.prog.Packages {
		info := pkg.TypesInfo
		for _, f := range pkg.Syntax {
			calls := map[*ast.Ident]*ast.CallExpr{}
			ast.Inspect(f, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					switch fun := ast.Unparen(call.Fun).(type) {
					case *ast.Ident:
						calls[fun] = call
					case *ast.SelectorExpr:
						if tv, ok := info.Types[fun.X]; !ok || !tv.IsType() { // not a method expression
							calls[fun.Sel] = call
						}
					}
				}
				return why == ""
			})
			ast.Inspect(f, func(n ast.Node) bool {
				id, ok := n.(*ast.Ident)
				if why != "" || !ok {
					return why == ""
				}
				if ref, ok := info.Uses[id].(*types.Func); !ok || ref.Origin().Pos() != fn.Pos() || ref.Name() != fn.Name() {
					return true
				}
				call := calls[id]
				switch {
				case call == nil:
					why = fmt.Sprintf("it is used as a value at %s", w.prog.Position(id.Pos()))
				case len(call.Args) != fn.Signature().Params().Len():
					why = fmt.Sprintf("it is called with the results of another call at %s", w.prog.Position(call.Pos()))
				case analysis.IsNil(info, ast.Unparen(call.Args[i])):
					why = fmt.Sprintf("it is called with a nil transaction at %s", w.prog.Position(call.Pos()))
				}
				return why == ""
			})
			if why != "" {
				return why
			}
		}
	}
	refs, err := UnloadedRefs(w.prog, fn)
	switch {
	case err != nil:
		return err.Error()
	case len(refs) > 0:
		hint := "" // another build (tags, GOOS) or a package outside the pattern: --tests would not load it
		if !slices.ContainsFunc(refs, func(ref string) bool { return !strings.Contains(ref, "_test.go:") }) {
			hint = ": run with --tests"
		}
		return fmt.Sprintf("it is referred to at %s, outside the loaded build, where txscope cannot check the change%s", strings.Join(refs, ", "), hint)
	}
	if fn.Signature().Recv() != nil {
		return satisfiable(w.prog, fn)
	}
	return ""
}

// satisfiable names an interface type in the module with a method of the
// helper's name: its receiver may implement it by the signature the
// widening would change.
func satisfiable(prog *load.Program, fn *types.Func) string {
	for _, pkg := range prog.Packages {
		for e, tv := range pkg.TypesInfo.Types {
			iface, ok := tv.Type.(*types.Interface)
			if !ok || !tv.IsType() {
				continue
			}
			for k := range iface.NumMethods() {
				if iface.Method(k).Name() == fn.Name() {
					return fmt.Sprintf("the interface at %s has a method %s, which its receiver may implement", prog.Position(e.Pos()), fn.Name())
				}
			}
		}
	}
	return ""
}

// configuredQuerierLacks says why the configured querier (querier: in
// txscope.yaml) cannot be the helper's parameter: not an interface both
// the tx and the pooled handle satisfy with the methods the helper uses,
// or not importable from the helper's package. "" without a configured
// querier.
func configuredQuerierLacks(prog *load.Program, src load.FuncSource, tx types.Type, methods []string) string {
	name := prog.Config.Querier
	if name == "" {
		return ""
	}
	tn, ok := analysis.LookupName(prog, name).(*types.TypeName)
	if !ok {
		return fmt.Sprintf("the configured querier %s is not loaded", name)
	}
	iface, ok := tn.Type().Underlying().(*types.Interface)
	short := ShortName(name)
	switch {
	case !ok:
		return fmt.Sprintf("the configured querier %s is not an interface", short)
	case !types.Implements(tx, iface):
		return fmt.Sprintf("%s does not implement the configured querier %s", shortType(tx), short)
	}
	for _, m := range methods {
		if obj, _, _ := types.LookupFieldOrMethod(tn.Type(), false, nil, m); obj == nil {
			return fmt.Sprintf("it uses %s, which the configured querier %s lacks", m, short)
		}
	}
	if !customPooled(prog.Config) {
		// The runtime's handle has the methods sharedMethod knows; the
		// project's own handle is checked by the verify stage.
		for k := range iface.NumMethods() {
			if m := iface.Method(k).Name(); !sharedMethod(tx, m) {
				return fmt.Sprintf("the configured querier %s has %s, which the pooled handle lacks", short, m)
			}
		}
	}
	return importable(prog, src.Pkg.PkgPath, tn.Pkg().Path())
}

// customPooled reports whether the config names a pooled handle of the
// project's own instead of the runtime's.
func customPooled(cfg *rules.Config) bool {
	return cfg.Pooled != "" && cfg.Pooled != rules.DefaultPooled
}

// importable says why package from cannot import package to: an import
// cycle, or an internal directory it is not under; "" when it can.
func importable(prog *load.Program, from, to string) string {
	if from == to {
		return ""
	}
	if i := strings.LastIndex(to+"/", "/internal/"); i >= 0 && !strings.HasPrefix(from, to[:i]+"/") && from != to[:i] {
		return fmt.Sprintf("%s is internal to %s", to, to[:i])
	}
	if importsPath(prog, to, from, map[string]bool{}) {
		return fmt.Sprintf("%s imports %s, which would make an import cycle", to, from)
	}
	return ""
}

// importsPath reports whether package path imports target, directly or not,
// through the loaded packages and the type information of the others.
func importsPath(prog *load.Program, path, target string, seen map[string]bool) bool {
	if seen[path] {
		return false
	}
	seen[path] = true
	for _, pkg := range prog.Packages {
		if pkg.PkgPath != path {
			continue
		}
		for dep := range pkg.Imports {
			if dep == target || importsPath(prog, dep, target, seen) {
				return true
			}
		}
		return false
	}
	for _, pkg := range prog.Packages {
		for _, imp := range pkg.Types.Imports() {
			if imp.Path() != path {
				continue
			}
			for _, dep := range imp.Imports() {
				if dep.Path() == target || importsPath(prog, dep.Path(), target, seen) {
					return true
				}
			}
			return false
		}
	}
	return false
}
