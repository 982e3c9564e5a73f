package rewrite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"github.com/dave/dst/dstutil"
)

// chainOp is one edit of a middleware migration: on a declaration in
// place, or on a copy of it named variant inserted after it.
type chainOp struct {
	decl    *ast.FuncDecl
	file    *ast.File
	variant string
	remove  bool     // the declaration goes: nothing uses it any more
	doc     []string // comment lines appended to a variant's doc
	edit    func(fr *fileRewrite) error
}

// wrapperCall is how a handler opens the transaction itself: the source of
// `recv.WithTenant(ctx, sc.TenantID, func(tx pgx.Tx) error {})` and the
// imports it needs.
type wrapperCall struct {
	src     string
	imports map[string]string
	tx      string
}

// realSite is the wrapper call the middleware's transaction comes from.
func (m *Middleware) realSite() *Site {
	if m.Via != nil {
		return m.Via.Site
	}
	return m.Site
}

// wrapperCallFor builds the wrapper call a handler uses for its writes,
// from the handler's own receiver, context and carrier struct.
func wrapperCallFor(prog *Program, m *Middleware, h *Handler) (wrapperCall, error) {
	real := m.realSite()
	info := h.Site.Func.Pkg.TypesInfo
	recv, err := handlerReceiver(real, h)
	if err != nil {
		return wrapperCall{}, err
	}
	ctx, err := handlerContext(info, h)
	if err != nil {
		return wrapperCall{}, err
	}
	imports := map[string]string{}
	qualifier := func(p *types.Package) string {
		if p == h.Site.Func.Pkg.Types {
			return ""
		}
		imports[p.Path()] = p.Name()
		return p.Name()
	}
	txType := types.TypeString(real.Tx.Type(), qualifier)
	tx := freshName(info, h.Site, "tx")
	sel := ast.Unparen(real.Call.Fun).(*ast.SelectorExpr)
	src := fmt.Sprintf("return %s.%s(%s, %s.%s, func(%s %s) error {\n})", recv, sel.Sel.Name, ctx, h.Site.Tx.Name(), m.TenantField, tx, txType)
	return wrapperCall{src: src, imports: imports, tx: tx}, nil
}

// handlerReceiver renders the wrapper call's receiver in the handler: the
// middleware reaches it from its receiver (s.db), so must the handler.
func handlerReceiver(real *Site, h *Handler) (string, error) {
	sel, ok := ast.Unparen(real.Call.Fun).(*ast.SelectorExpr)
	if !ok {
		return "", fmt.Errorf("the middleware's wrapper is not called on a receiver")
	}
	root := rootIdent(sel.X)
	rinfo := real.Func.Pkg.TypesInfo
	rfn := funcOf(real)
	hfn := funcOf(h.Site)
	if root == nil || rfn == nil || hfn == nil {
		return "", fmt.Errorf("the wrapper's receiver cannot be reached from the handler")
	}
	rsig, hsig := rfn.Type().(*types.Signature), hfn.Type().(*types.Signature)
	if rsig.Recv() == nil || rinfo.Uses[root] != rsig.Recv() || hsig.Recv() == nil || !types.Identical(rsig.Recv().Type(), hsig.Recv().Type()) || hsig.Recv().Name() == "" {
		return "", fmt.Errorf("the handler is not a method of %s, so it cannot reach the wrapper", typeName(rsig))
	}
	return hsig.Recv().Name() + strings.TrimPrefix(types.ExprString(sel.X), root.Name), nil
}

func typeName(sig *types.Signature) string {
	if sig.Recv() == nil {
		return "the middleware's type"
	}
	return types.TypeString(sig.Recv().Type(), func(p *types.Package) string { return p.Name() })
}

// handlerContext finds a context in scope at the handler: a ctx variable,
// or the request's Context().
func handlerContext(info *types.Info, h *Handler) (string, error) {
	scope := innermostScope(info, h.Site.Func.Decl.Body, h.Site.Call)
	if scope == nil {
		scope = info.Scopes[h.Site.Func.Decl.Type]
	}
	for _, name := range []string{"ctx", "c"} {
		if _, obj := scope.LookupParent(name, h.Site.Call.Pos()); obj != nil && isContext(obj.Type()) {
			return name, nil
		}
	}
	for s := scope; s != nil && s != types.Universe; s = s.Parent() {
		for _, name := range s.Names() {
			if v, ok := s.Lookup(name).(*types.Var); ok && isRequest(v.Type()) && v.Pos() < h.Site.Call.Pos() {
				return name + ".Context()", nil
			}
		}
	}
	return "", fmt.Errorf("no context.Context or *http.Request in scope at the handler to open the transaction with")
}

func isRequest(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "net/http" && n.Obj().Name() == "Request"
}

// ops lists the edits of a chain plan: each moving handler, the middleware
// and its layer.
func chainOps(prog *Program, cp *ChainPlan) []chainOp {
	m := cp.Middleware
	var out []chainOp
	for _, p := range cp.Plans {
		h := p.Handler
		if prog.Generated[h.Site.Func.File] {
			continue // pooled handlers there need no edit; see PlanChain
		}
		if p.Action == ActionKept {
			if cp.TxCopy != "" {
				out = append(out, chainOp{decl: h.Site.Func.Decl, file: h.Site.Func.File, edit: func(fr *fileRewrite) error {
					renameCall(fr, h.Site.Call, cp.TxCopy)
					return nil
				}})
			}
			continue
		}
		start := p.Start
		out = append(out, chainOp{decl: h.Site.Func.Decl, file: h.Site.Func.File, edit: func(fr *fileRewrite) error {
			if cp.Variant != "" {
				renameCall(fr, h.Site.Call, cp.Variant)
			}
			if start == len(h.Site.Callback.Body.List) {
				return nil
			}
			return fr.wrapBlock(prog, m, h, start)
		}})
	}
	for _, o := range m.Opaque {
		if cp.TxCopy != "" {
			call := o.Call
			out = append(out, chainOp{decl: o.Func.Decl, file: o.Func.File, edit: func(fr *fileRewrite) error {
				renameCall(fr, call, cp.TxCopy)
				return nil
			}})
		}
	}
	if cp.TxCopy != "" {
		name := m.Func.Name()
		out = append(out, chainOp{decl: m.Src.Decl, file: m.Src.File, variant: cp.TxCopy,
			doc:  []string{"// " + cp.TxCopy + " is " + name + " as it was, one transaction around the whole handler,", "// for the handlers that cannot move to the pooled handle yet."},
			edit: func(*fileRewrite) error { return nil }})
	}
	if cp.Reuse {
		if cp.Remove {
			out = append(out, chainOp{decl: m.Src.Decl, file: m.Src.File, remove: true})
			if l := m.Via; l != nil && !layerUsedElsewhere(prog, l, m) {
				out = append(out, chainOp{decl: l.Site.Func.Decl, file: l.Site.Func.File, remove: true})
			}
		}
		return out
	}
	out = append(out, chainOp{decl: m.Src.Decl, file: m.Src.File, variant: cp.Variant,
		doc:  []string{"// " + cp.Variant + " is " + m.Func.Name() + " on a tenant-scoped pooled handle instead of a transaction,", "// for the handlers that open WithTenant around their own writes."},
		edit: func(fr *fileRewrite) error { return fr.poolMiddleware(m, cp.LayerVariant) }})
	if l := m.Via; l != nil {
		out = append(out, chainOp{decl: l.Site.Func.Decl, file: l.Site.Func.File, variant: cp.LayerVariant,
			doc:  []string{"// " + cp.LayerVariant + " is " + l.Func.Name() + " handing its callback a tenant-scoped pooled handle instead of a transaction."},
			edit: func(fr *fileRewrite) error { return fr.poolLayer(l) }})
	}
	return out
}

// renameCall points a call at another function of the same receiver or package.
func renameCall(fr *fileRewrite, call *ast.CallExpr, name string) {
	switch fun := fr.dec.Dst.Nodes[call].(*dst.CallExpr).Fun.(type) {
	case *dst.SelectorExpr:
		fun.Sel.Name = name
	case *dst.Ident:
		fun.Name = name
	}
}

// wrapBlock puts the handler's statements from start on into their own
// WithTenant call, with carrier reads (sc.DB) replaced by the tx.
func (fr *fileRewrite) wrapBlock(prog *Program, m *Middleware, h *Handler, start int) error {
	wc, err := wrapperCallFor(prog, m, h)
	if err != nil {
		return err
	}
	ret, err := parseStmt(wc.src)
	if err != nil {
		return fmt.Errorf("wrapper call %q: %w", wc.src, err)
	}
	for path, name := range wc.imports {
		fr.imports[path] = true
		fr.names[path] = name
	}
	carriers := map[dst.Node]bool{}
	for _, s := range h.Site.Callback.Body.List[start:] {
		ast.Inspect(s, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr: // sc.Tx(): an accessor of the carrier
				if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && fr.info.Uses[identOf(sel.X)] == h.Site.Tx {
					if fn, ok := fr.info.Uses[sel.Sel].(*types.Func); ok && isAccessor(prog, fn, m.Carrier) {
						carriers[fr.dec.Dst.Nodes[n]] = true
						return false
					}
				}
			case *ast.SelectorExpr:
				if n.Sel.Name == m.Carrier && fr.info.Uses[identOf(n.X)] == h.Site.Tx {
					carriers[fr.dec.Dst.Nodes[n]] = true
				}
			}
			return true
		})
	}
	lit := fr.dec.Dst.Nodes[h.Site.Callback].(*dst.FuncLit)
	block := append([]dst.Stmt{}, lit.Body.List[start:]...)
	for _, s := range block {
		dstutil.Apply(s, func(c *dstutil.Cursor) bool {
			if carriers[c.Node()] {
				c.Replace(dst.NewIdent(wc.tx))
				return false
			}
			return true
		}, nil)
	}
	inner := ret.(*dst.ReturnStmt).Results[0].(*dst.CallExpr)
	innerLit := inner.Args[len(inner.Args)-1].(*dst.FuncLit)
	innerLit.Body.List = block
	block[0].Decorations().Before = dst.NewLine
	ret.Decorations().Before = dst.NewLine
	ret.Decorations().Start.Replace(block[0].Decorations().Start...)
	block[0].Decorations().Start.Clear()
	lit.Body.List = append(lit.Body.List[:start:start], ret)
	return nil
}

// poolMiddleware makes the middleware hand its handlers the pooled handle:
// through the pooled layer, or by pooling its own wrapper call.
func (fr *fileRewrite) poolMiddleware(m *Middleware, layerVariant string) error {
	if m.Via == nil {
		return fr.rewriteSite(Plan{Handler: &Handler{Site: m.Site}, Action: ActionPooled, Start: len(m.Site.Callback.Body.List)})
	}
	if layerVariant != "" {
		renameCall(fr, m.Site.Call, layerVariant)
	}
	return fr.retypeTxParam(m.Site.Callback, m.Via.TxArg, m.Site.Tx, m.Via.Site)
}

// poolLayer turns the layer's transaction into the pooled handle: its
// callback parameter takes the handle, and the wrapper call is pooled.
func (fr *fileRewrite) poolLayer(l *Layer) error {
	decl := fr.dec.Dst.Nodes[l.Site.Func.Decl].(*dst.FuncDecl)
	cb, ok := paramField(decl.Type.Params, l.Param).Type.(*dst.FuncType)
	if !ok {
		return fmt.Errorf("the layer's callback parameter is not a func type literal")
	}
	handle, err := fr.pooledHandleType(l.Site)
	if err != nil {
		return err
	}
	paramField(cb.Params, l.TxArg).Type = handle
	return fr.rewriteSite(Plan{Handler: &Handler{Site: l.Site}, Action: ActionPooled, Start: len(l.Site.Callback.Body.List)})
}

// retypeTxParam changes a callback literal's tx parameter to the pooled
// handle that the wrapper call at site makes, and renames it q where that
// is free.
func (fr *fileRewrite) retypeTxParam(lit *ast.FuncLit, index int, tx types.Object, site *Site) error {
	dlit := fr.dec.Dst.Nodes[lit].(*dst.FuncLit)
	field := paramField(dlit.Type.Params, index)
	if field == nil || len(field.Names) != 1 {
		return fmt.Errorf("the callback's tx parameter shares its declaration")
	}
	handle, err := fr.pooledHandleType(site)
	if err != nil {
		return err
	}
	field.Type = handle
	name := "q"
	if !nameFreeIn(lit, name) {
		return nil
	}
	field.Names[0].Name = name
	fr.renameUses(lit.Body, tx, name)
	return nil
}

func nameFreeIn(n ast.Node, name string) bool {
	free := true
	ast.Inspect(n, func(x ast.Node) bool {
		if id, ok := x.(*ast.Ident); ok && id.Name == name {
			free = false
		}
		return free
	})
	return free
}

// paramField returns the field declaring parameter i of a field list.
func paramField(list *dst.FieldList, i int) *dst.Field {
	for _, f := range list.List {
		n := max(len(f.Names), 1)
		if i < n {
			return f
		}
		i -= n
	}
	return nil
}

// variantText renders a copy of op.decl with op's edits and the variant's
// name, for incremental migration: the original stays for its other callers.
func variantText(prog *Program, f *ast.File, src []byte, op chainOp, imports map[string]bool, names map[string]string) ([]byte, error) {
	dec, df, err := decorate(prog.Fset, f, src)
	if err != nil {
		return nil, err
	}
	pkg := prog.index().files[f]
	fr := &fileRewrite{prog: prog, info: pkg.TypesInfo, dec: dec, file: df, src: src, imports: imports, names: names, pkgPath: pkg.PkgPath}
	if err := op.edit(fr); err != nil {
		return nil, err
	}
	index := -1
	for i, d := range f.Decls {
		if d == op.decl {
			index = i
		}
	}
	fd := dec.Dst.Nodes[op.decl].(*dst.FuncDecl)
	old := fd.Name.Name
	fd.Name.Name = op.variant
	for i, c := range fd.Decs.Start {
		fd.Decs.Start[i] = strings.Replace(c, "// "+old+" ", "// "+op.variant+" ", 1)
	}
	fd.Decs.Start.Append("//")
	fd.Decs.Start.Append(op.doc...)
	var restored bytes.Buffer
	if err := decorator.Fprint(&restored, df); err != nil {
		return nil, err
	}
	rfset := token.NewFileSet()
	rfile, err := parser.ParseFile(rfset, "", restored.Bytes(), parser.ParseComments)
	if err != nil {
		return nil, err
	}
	start, end := declRange(rfset, rfile.Decls[index].(*ast.FuncDecl))
	return restored.Bytes()[start:end], nil
}

// chainTouches reports whether the chain's migration edits file.
func chainTouches(prog *Program, cp *ChainPlan, file string) bool {
	for _, op := range chainOps(prog, cp) {
		if realPosition(prog.Fset, op.file.Pos()).Filename == file {
			return true
		}
	}
	return false
}
