package edit

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"github.com/dave/dst/dstutil"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"golang.org/x/tools/go/packages"
)

// fileRewrite edits one file's dst tree for the plans in it.
type fileRewrite struct {
	prog    *load.Program
	pkg     *packages.Package
	astFile *ast.File
	info    *types.Info
	dec     *decorator.Decorator
	file    *dst.File
	src     []byte
	imports map[string]bool   // paths the edits need
	names   map[string]string // package names by import path
	pkgPath string
	edited  []*ast.FuncDecl
}

// rewriteSite applies one pooled or narrowed plan.
func (fr *fileRewrite) rewriteSite(p plan.Plan) error {
	site := fr.localSite(p.Wrapped.Site)
	body := plan.Reorder(site.Callback.Body.List, p.Order)
	if p.Order != nil {
		// The slow-call move: what leaves the transaction comes first.
		lit := fr.dec.Dst.Nodes[site.Callback].(*dst.FuncLit)
		lit.Body.List = plan.Reorder(lit.Body.List, p.Order)
	}
	moved := body[:p.Start]
	replays, err := fr.replays(site, p, nil, "")
	if err != nil {
		return err
	}
	rebinds := fr.rebinds(site, p)
	pooled := p.Action == plan.ActionPooled
	tmpl := p.Pooled
	qName := plan.FreshName(fr.info, site, "q")
	hoisted, bind := fr.hoister(site, pooled, qName)
	var bound []string // what the wrapper's arguments became, names the moved code must not take
	expr, err := renderTemplate(tmpl, site, fr.text, func(placeholder string, arg ast.Expr) (string, error) {
		name, err := bind(placeholder, arg)
		bound = append(bound, name)
		return name, err
	})
	if err != nil {
		return err
	}
	qDecl, err := parseStmt(qName + " := " + expr)
	if err != nil {
		return fmt.Errorf("pooled template %q: %w", tmpl, err)
	}
	if declares(*hoisted, expr) {
		// The handle is a variable the edit just bound (a plain wrapper's
		// pool): the moved statements use it as it is. Any other
		// expression, a pooled call's receiver text among them, is
		// evaluated once, into q.
		qName, qDecl = expr, nil
	}
	usesTx := false
	for _, s := range moved {
		usesTx = usesTx || syntax.Mentions(fr.info, s, map[types.Object]bool{site.Tx: true})
		fr.renameUses(s, site.Tx, qName)
	}
	sh := plan.ShapeOf(fr.info, site, moved, pooled)
	if p.MapError != nil {
		fr.mapErrors(p.MapError, moved)
		// The sink would see the mapped error under another name: only
		// `return W(…)` takes the moved returns as they are.
		sh.Inline = sh.Inline && sh.Sink == plan.SinkReturn
	}
	// Inlined, the moved statements and what binds their names land in the
	// block around the call; otherwise in a closure of their own.
	inline := sh.Inline && (len(p.Splits) == 0 || sh.Sink == plan.SinkReturn)
	params, err := fr.bindParams(site, moved, inline, append(bound, qName)...)
	if err != nil {
		return err
	}
	head := append(*hoisted, params...) // the pooled handle, when a moved statement needs it
	if usesTx {
		if qDecl != nil {
			head = append(head, qDecl)
		}
		// Only the runtime packages the handle's expression names are added.
		for path := range fr.prog.RuntimeImports() {
			fr.imports[path] = true
		}
	}
	lit := fr.dec.Dst.Nodes[site.Callback].(*dst.FuncLit)
	dstMoved := append([]dst.Stmt{}, lit.Body.List[:p.Start]...)
	lit.Body.List = lit.Body.List[p.Start:]
	lit.Body.List = append(rebinds, insertReplays(lit.Body.List, p, replays)...)
	if len(lit.Body.List) > 0 {
		lit.Body.List[0].Decorations().Before = dst.NewLine
	}
	call := fr.dec.Dst.Nodes[site.Call].(*dst.CallExpr)
	if len(p.Splits) > 0 {
		return fr.placeSplit(p, sh, call, lit, append(head, dstMoved...))
	}
	if !sh.Inline {
		return fr.closure(site, call, lit, append(head, dstMoved...), pooled)
	}
	container, index := fr.container(site)
	sink := (*container)[index]
	out := head
	span := plan.SinkSpan(sh.Sink)
	var sinkComments dst.Decorations // of the sink's `if err != nil`, when it goes away
	if pooled && sh.Sink == plan.SinkAssign {
		sinkComments = (*container)[index+1].Decorations().Start
	}
	if sh.Sink == plan.SinkReturn {
		out = append(out, dstMoved...)
	} else {
		out = append(out, fr.mapReturns(sh, moved, dstMoved, pooled, &sinkComments)...)
	}
	if len(sinkComments) > 0 && index+span < len(*container) {
		next := (*container)[index+span].Decorations()
		next.Start.Replace(append(sinkComments, next.Start...)...)
	}
	if !pooled {
		if sh.Sink == plan.SinkAssign && plan.DeclaresName(fr.info, moved, sh.ErrVar.Name) {
			sink.(*dst.AssignStmt).Tok = token.ASSIGN
		}
		out = append(out, (*container)[index:index+span]...)
	}
	if len(out) > 0 {
		out[0].Decorations().Before = dst.NewLine
	}
	if len(out) > 0 && pooled {
		// The sink goes away: its comments go with the code that replaces it.
		out[0].Decorations().Start.Replace(sink.Decorations().Start...)
		out[len(out)-1].Decorations().End.Append((*container)[index+span-1].Decorations().End...)
	}
	rest := append(out, (*container)[index+span:]...)
	*container = append((*container)[:index:index], rest...)
	return nil
}

// localSite is site with its tx as the edited file's type information
// names it: with --tests a site found through one variant of a package
// ("p" or "p [p.test]") is edited with the other's objects, and the same
// parameter is the same declaration, not the same object.
func (fr *fileRewrite) localSite(site *analysis.Site) *analysis.Site {
	if site.Tx == nil {
		return site
	}
	for _, field := range site.Callback.Type.Params.List {
		for _, name := range field.Names {
			if obj := fr.info.Defs[name]; obj != nil && obj != site.Tx && obj.Pos() == site.Tx.Pos() {
				local := *site
				local.Tx = obj
				return &local
			}
		}
	}
	return site
}

// bindParams gives the callback's parameters other than the tx a value
// outside it, for the moved statements that use them: a context parameter
// is what the wrapper's body passes its callback, when that is its own
// context parameter as it came (bound by name when the names differ); any
// other parameter has no value there and stops the rewrite. Inlined
// (inline), a binding whose name the enclosing function already has (its
// own ctx beside the callback's) takes a fresh name, not among taken, and
// the moved statements use that: `ctx := sctx` there would not compile, or
// would hand sctx to the code after the call.
func (fr *fileRewrite) bindParams(site *analysis.Site, moved []ast.Stmt, inline bool, taken ...string) ([]dst.Stmt, error) {
	var out []dst.Stmt
	index := 0
	for _, field := range site.Callback.Type.Params.List {
		for _, name := range field.Names {
			i := index
			index++
			obj := fr.info.Defs[name]
			if obj == nil || obj == site.Tx || !mentionsIn(fr.info, moved, obj) {
				continue
			}
			at := fr.prog.Position(name.Pos())
			arg := passedContext(site, i)
			if !analysis.IsContext(obj.Type()) || arg == nil {
				return nil, fmt.Errorf("%s: the callback's parameter %s has no value outside %s that txscope can read", at, name.Name, site.Wrapper.Func.Name())
			}
			if id, ok := ast.Unparen(arg).(*ast.Ident); ok && id.Name == name.Name {
				continue // the moved code names the wrapper's own context
			}
			if !sideEffectFree(arg) && !isRequestContext(fr.info, arg) {
				return nil, fmt.Errorf("%s: the wrapper's context argument %s is evaluated once; it is not a plain expression", at, fr.text(arg))
			}
			bindName := name.Name
			if inline && !plan.FreeAt(fr.info, site, bindName) {
				bindName = plan.FreshName(fr.info, site, bindName, taken...)
				taken = append(taken, bindName)
				for _, s := range moved {
					fr.renameUses(s, obj, bindName)
				}
			}
			bind, err := parseStmt(bindName + " := " + fr.text(arg))
			if err != nil {
				return nil, err
			}
			out = append(out, bind)
		}
	}
	return out, nil
}

func mentionsIn(info *types.Info, stmts []ast.Stmt, obj types.Object) bool {
	for _, s := range stmts {
		if syntax.Mentions(info, s, map[types.Object]bool{obj: true}) {
			return true
		}
	}
	return false
}

// passedContext is the argument of the wrapper call that reaches the
// callback as its parameter i, as the wrapper's body shows it
// (Wrapper.Passes): one of its own parameters, passed on unchanged. Nil
// when the body does not show that.
func passedContext(site *analysis.Site, i int) ast.Expr {
	w := site.Wrapper
	if i >= len(w.Passes) || w.Passes[i] < 0 || w.Passes[i] >= len(site.Call.Args) {
		return nil
	}
	return site.Call.Args[w.Passes[i]]
}

// isRequestContext accepts r.Context() of a *http.Request: evaluating it
// again gives the same context.
func isRequestContext(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || len(call.Args) > 0 {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Context" || !sideEffectFree(sel.X) {
		return false
	}
	return types.TypeString(info.TypeOf(sel.X), nil) == "*net/http.Request"
}

// hoister binds a wrapper argument that is not a plain expression (such as
// `tenantOf(r)`) for the pooled handle. Without a transaction left the
// argument is evaluated once, in the handle; with one, it is evaluated once
// into a new variable that both the handle and the wrapper call use.
func (fr *fileRewrite) hoister(site *analysis.Site, pooled bool, taken ...string) (*[]dst.Stmt, func(string, ast.Expr) (string, error)) {
	var hoisted []dst.Stmt
	return &hoisted, func(placeholder string, arg ast.Expr) (string, error) {
		if pooled {
			return fr.text(arg), nil
		}
		// The receiver is evaluated first anyway; an argument is when those
		// before it are plain.
		i := argIndex(site.Call, arg)
		recv := placeholder == "recv"
		if !recv && (i < 0 || !plainBefore(site.Call, i)) {
			return "", fmt.Errorf("the wrapper's argument %s is evaluated once; it is not a plain expression", fr.text(arg))
		}
		base := "arg"
		switch {
		case recv:
			base = "db"
		case i == site.Wrapper.Tenant:
			base = "tenantID"
		}
		name := plan.FreshName(fr.info, site, base, taken...)
		taken = append(taken, name)
		decl, err := parseStmt(name + " := " + fr.text(arg))
		if err != nil {
			return "", err
		}
		hoisted = append(hoisted, decl)
		call := fr.dec.Dst.Nodes[site.Call].(*dst.CallExpr)
		if recv {
			call.Fun.(*dst.SelectorExpr).X = dst.NewIdent(name)
		} else {
			call.Args[i] = dst.NewIdent(name)
		}
		return name, nil
	}
}

// declares reports whether one of decls, the hoister's `name := …`,
// declares the variable name.
func declares(decls []dst.Stmt, name string) bool {
	for _, d := range decls {
		if a, ok := d.(*dst.AssignStmt); ok && a.Tok == token.DEFINE {
			if id, ok := a.Lhs[0].(*dst.Ident); ok && id.Name == name {
				return true
			}
		}
	}
	return false
}

func argIndex(call *ast.CallExpr, arg ast.Expr) int {
	for i, a := range call.Args {
		if a == arg {
			return i
		}
	}
	return -1
}

// plainBefore reports whether the receiver and the arguments before i are
// plain, so evaluating argument i first changes nothing.
func plainBefore(call *ast.CallExpr, i int) bool {
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && !sideEffectFree(sel.X) {
		return false
	}
	for _, a := range call.Args[:i] {
		if !sideEffectFree(a) {
			return false
		}
	}
	return true
}

// closure replaces the wrapper call with a function literal called in
// place: the callback's returns keep their meaning exactly.
func (fr *fileRewrite) closure(site *analysis.Site, call *dst.CallExpr, lit *dst.FuncLit, stmts []dst.Stmt, pooled bool) error {
	if !pooled {
		stmts = append(stmts, &dst.ReturnStmt{Results: []dst.Expr{dst.Clone(call).(dst.Expr)}})
	}
	return fr.closureOf(site, call, lit, stmts)
}

// mapErrors makes each return of the moved statements go through the
// wrapper's mapping of its callback's error, `return M(X)`, as it did
// inside the wrapper.
func (fr *fileRewrite) mapErrors(m *types.Func, moved []ast.Stmt) {
	var fun dst.Expr = dst.NewIdent(m.Name())
	if q := fr.qualifier(m.Pkg()); q != "" {
		fun = &dst.SelectorExpr{X: dst.NewIdent(q), Sel: dst.NewIdent(m.Name())}
	}
	for _, s := range moved {
		syntax.WalkReturns(s, func(r *ast.ReturnStmt) {
			dr := fr.dec.Dst.Nodes[r].(*dst.ReturnStmt)
			last := len(dr.Results) - 1
			dr.Results[last] = &dst.CallExpr{Fun: dst.Clone(fun).(dst.Expr), Args: []dst.Expr{dr.Results[last]}}
		})
	}
}

// placeSplit puts the moved statements and the split blocks in place of
// the wrapper call: inlined for `return W(…)`, else in a closure.
func (fr *fileRewrite) placeSplit(p plan.Plan, sh plan.Shape, call *dst.CallExpr, lit *dst.FuncLit, moved []dst.Stmt) error {
	tail, err := fr.splitTail(p, lit, call)
	if err != nil {
		return err
	}
	stmts := append(moved, tail...)
	if !sh.Inline || sh.Sink != plan.SinkReturn {
		return fr.closureOf(p.Wrapped.Site, call, lit, stmts)
	}
	container, index := fr.container(p.Wrapped.Site)
	stmts[0].Decorations().Start.Replace((*container)[index].Decorations().Start...)
	stmts[len(stmts)-1].Decorations().End.Append((*container)[index].Decorations().End...)
	rest := append(stmts, (*container)[index+1:]...)
	*container = append((*container)[:index:index], rest...)
	return nil
}

// closureOf replaces the wrapper call with `func() error { stmts }()`.
func (fr *fileRewrite) closureOf(site *analysis.Site, call *dst.CallExpr, lit *dst.FuncLit, stmts []dst.Stmt) error {
	for _, s := range stmts {
		s.Decorations().Before = dst.NewLine
	}
	fn := &dst.FuncLit{
		Type: &dst.FuncType{Func: true, Params: &dst.FieldList{}, Results: dst.Clone(lit.Type.Results).(*dst.FieldList)},
		Body: &dst.BlockStmt{List: stmts},
	}
	replaced := false
	container, index := fr.container(site)
	dstutil.Apply((*container)[index], func(c *dstutil.Cursor) bool {
		if c.Node() == call && !replaced {
			c.Replace(&dst.CallExpr{Fun: fn})
			replaced = true
		}
		return !replaced
	}, nil)
	if !replaced {
		return fmt.Errorf("could not place the closure")
	}
	return nil
}

// mapReturns turns the moved statements' returns into the sink: a non-nil
// error runs the sink's body; the final return of a pooled body becomes
// `if err := X; err != nil { sink }`, or disappears when it returns nil.
// The sink's own comments (comments) go with the first mapped return.
func (fr *fileRewrite) mapReturns(sh plan.Shape, moved []ast.Stmt, dstMoved []dst.Stmt, pooled bool, comments *dst.Decorations) []dst.Stmt {
	sinkBody := fr.dec.Dst.Nodes[sh.IfStmt.Body].(*dst.BlockStmt)
	exit := !plan.Terminates(sh.IfStmt.Body.List)
	errName := sh.ErrVar.Name
	out := dstMoved
	last := len(moved) - 1
	if pooled && last >= 0 {
		if r, ok := moved[last].(*ast.ReturnStmt); ok {
			out = out[:last]
			if !analysis.IsNil(fr.info, r.Results[0]) {
				out = append(out, fr.tailCheck(sh, r, dstMoved[last], sinkBody)...)
			}
			moved = moved[:last]
		}
	}
	for _, s := range moved {
		syntax.WalkReturns(s, func(r *ast.ReturnStmt) {
			dr := fr.dec.Dst.Nodes[r].(*dst.ReturnStmt)
			name := types.ExprString(r.Results[0])
			repl := dst.Clone(sinkBody).(*dst.BlockStmt).List
			renameIdents(repl, errName, name)
			if exit {
				repl = append(repl, &dst.ReturnStmt{})
			}
			if len(*comments) > 0 {
				repl[0].Decorations().Start.Replace(*comments...)
				*comments = nil
			}
			replaceStmt(out, dr, repl)
		})
	}
	return out
}

// tailCheck turns the final `return X` of a pooled body into the sink's
// check: `if err := X; err != nil { sink }`, or `err = X` then the check
// when the sink assigns a variable declared before it (which the handler
// may use elsewhere, so it keeps its value).
func (fr *fileRewrite) tailCheck(sh plan.Shape, r *ast.ReturnStmt, ret dst.Stmt, sinkBody *dst.BlockStmt) []dst.Stmt {
	errName := sh.ErrVar.Name
	ifs := &dst.IfStmt{
		Cond: &dst.BinaryExpr{X: dst.NewIdent(errName), Op: token.NEQ, Y: dst.NewIdent("nil")},
		Body: dst.Clone(sinkBody).(*dst.BlockStmt),
	}
	ifs.Decs.Before = dst.NewLine
	if id, ok := r.Results[0].(*ast.Ident); ok && id.Name == errName {
		// `return err` is already the variable: no `err := err`.
		ifs.Decs.Start = ret.Decorations().Start
		return []dst.Stmt{ifs}
	}
	assign := &dst.AssignStmt{Lhs: []dst.Expr{dst.NewIdent(errName)}, Tok: token.DEFINE, Rhs: []dst.Expr{ret.(*dst.ReturnStmt).Results[0]}}
	if a, ok := sh.List[sh.Index].(*ast.AssignStmt); ok && sh.Sink == plan.SinkAssign && a.Tok == token.ASSIGN {
		assign.Tok = token.ASSIGN
		assign.Decs.Start = ret.Decorations().Start
		assign.Decs.Before = dst.NewLine
		return []dst.Stmt{assign, ifs}
	}
	ifs.Init = assign
	ifs.Decs.Start = ret.Decorations().Start
	return []dst.Stmt{ifs}
}

// replaceStmt swaps old for stmts wherever it sits under roots.
func replaceStmt(roots []dst.Stmt, old dst.Stmt, stmts []dst.Stmt) {
	for _, root := range roots {
		dstutil.Apply(root, func(c *dstutil.Cursor) bool {
			if c.Node() != old {
				return true
			}
			stmts[0].Decorations().Start.Prepend(old.Decorations().Start...)
			stmts[len(stmts)-1].Decorations().End.Append(old.Decorations().End...)
			for i := len(stmts) - 1; i >= 1; i-- {
				c.InsertAfter(stmts[i])
			}
			c.Replace(stmts[0])
			return false
		}, nil)
	}
}

func renameIdents(stmts []dst.Stmt, from, to string) {
	if from == to {
		return
	}
	for _, s := range stmts {
		dst.Inspect(s, func(n dst.Node) bool {
			if id, ok := n.(*dst.Ident); ok && id.Name == from && id.Path == "" {
				id.Name = to
			}
			return true
		})
	}
}

// renameUses renames every use of obj under n in the dst tree.
func (fr *fileRewrite) renameUses(n ast.Node, obj types.Object, name string) {
	ast.Inspect(n, func(x ast.Node) bool {
		if id, ok := x.(*ast.Ident); ok && fr.info.Uses[id] == obj {
			if d, ok := fr.dec.Dst.Nodes[id].(*dst.Ident); ok {
				d.Name = name
			}
		}
		return true
	})
}

// container returns the dst statement list holding the site's statement.
func (fr *fileRewrite) container(site *analysis.Site) (*[]dst.Stmt, int) {
	parent, index := syntax.EnclosingBlock(site.Func.Decl.Body, site.Call)
	if list := stmtList(fr.dec.Dst.Nodes[parent]); list != nil {
		return list, index
	}
	panic("no statement list around the wrapper call")
}

func (fr *fileRewrite) text(n ast.Node) string {
	start, end := fr.prog.Fset.Position(n.Pos()).Offset, fr.prog.Fset.Position(n.End()).Offset
	return string(fr.src[start:end])
}

// parseStmt parses one statement into dst.
func parseStmt(src string) (dst.Stmt, error) {
	f, err := decorator.Parse("package p\nfunc _() {\n" + src + "\n}\n")
	if err != nil {
		return nil, err
	}
	return f.Decls[0].(*dst.FuncDecl).Body.List[0], nil
}
