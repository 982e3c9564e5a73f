package edit

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
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
)

// chainOp makes one edit of a middleware migration.
func (fr *fileRewrite) chainOp(op plan.ChainOp) error {
	cp := op.Chain
	switch op.Kind {
	case plan.OpRetarget:
		renameCall(fr, op.Call, op.To)
	case plan.OpHandler:
		if op.To != "" {
			renameCall(fr, op.Call, op.To)
		}
		if h := op.Plan.Wrapped; op.Plan.Start < len(h.Site.Callback.Body.List) {
			return fr.wrapBlock(cp.Middleware, h, *op.Plan)
		}
	case plan.OpPoolMiddleware:
		return fr.poolMiddleware(cp.Middleware, op.To, cp.Pooled)
	case plan.OpPoolLayer:
		return fr.poolLayer(cp.Middleware.Via, cp.Pooled)
	case plan.OpCopy, plan.OpRemove:
	}
	return nil
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
//
// The plan's Order, when not nil, is the slow-call move's order of the
// handler's statements, which its Start counts in.
func (fr *fileRewrite) wrapBlock(m *analysis.Middleware, h *analysis.Wrapped, p plan.Plan) error {
	// The carriers of the block, and of the reads it replays.
	carriers := map[dst.Node]bool{}
	for _, s := range h.Site.Callback.Body.List {
		ast.Inspect(s, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr: // sc.Tx(): an accessor of the carrier
				if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && fr.info.Uses[syntax.IdentOf(sel.X)] == h.Site.Tx {
					if fn, ok := fr.info.Uses[sel.Sel].(*types.Func); ok && plan.IsAccessor(fr.prog, fn, m.Carrier) {
						carriers[fr.dec.Dst.Nodes[n]] = true
						return false
					}
				}
			case *ast.SelectorExpr:
				if n.Sel.Name == m.Carrier && fr.info.Uses[syntax.IdentOf(n.X)] == h.Site.Tx {
					carriers[fr.dec.Dst.Nodes[n]] = true
				}
			}
			return true
		})
	}
	lit := fr.dec.Dst.Nodes[h.Site.Callback].(*dst.FuncLit)
	return fr.wrapTail(lit.Body, h.Site, p, carriers)
}

// wrapTail puts the statements of body from the plan's Start on (in its
// Order) into the callback of its WrapperCall, `return W(…, func(tx T)
// error {})`, which ends body instead: carriers become the callback's tx,
// and the reads --recheck replays go first in it.
func (fr *fileRewrite) wrapTail(body *dst.BlockStmt, site *analysis.Site, p plan.Plan, carriers map[dst.Node]bool) error {
	start, order, wc := p.Start, p.Order, p.WrapperCall
	ret, err := parseStmt(wc.Src)
	if err != nil {
		return fmt.Errorf("wrapper call %q: %w", wc.Src, err)
	}
	for path, name := range wc.Imports {
		fr.imports[path] = true
		fr.names[path] = name
	}
	replays, err := fr.replays(site, p, carriers, wc.Tx)
	if err != nil {
		return err
	}
	body.List = plan.Reorder(body.List, order)
	block := append([]dst.Stmt{}, body.List[start:]...)
	for _, s := range block {
		dstutil.Apply(s, func(c *dstutil.Cursor) bool {
			if carriers[c.Node()] {
				c.Replace(dst.NewIdent(wc.Tx))
				return false
			}
			return true
		}, nil)
	}
	inner := ret.(*dst.ReturnStmt).Results[0].(*dst.CallExpr)
	innerLit := inner.Args[len(inner.Args)-1].(*dst.FuncLit)
	block[0].Decorations().Before = dst.NewLine
	ret.Decorations().Before = dst.NewLine
	ret.Decorations().Start.Replace(block[0].Decorations().Start...)
	block[0].Decorations().Start.Clear()
	// The replays' comment stays with them.
	innerLit.Body.List = insertReplays(block, p, replays)
	body.List = append(body.List[:start:start], ret)
	return nil
}

// poolMiddleware makes the middleware hand its handlers the pooled handle:
// through the pooled layer, or by pooling its own wrapper call.
func (fr *fileRewrite) poolMiddleware(m *analysis.Middleware, layerVariant, pooled string) error {
	if m.Via == nil {
		return fr.rewriteSite(plan.Plan{Wrapped: &analysis.Wrapped{Site: m.Site}, Action: plan.ActionPooled, Start: len(m.Site.Callback.Body.List), Pooled: pooled})
	}
	if layerVariant != "" {
		renameCall(fr, m.Site.Call, layerVariant)
	}
	return fr.retypeTxParam(m.Site.Callback, m.Via.TxArg, m.Site.Tx, m.Via.Site, pooled)
}

// poolLayer turns the layer's transaction into the pooled handle: its
// callback parameter takes the handle, and the wrapper call is pooled.
func (fr *fileRewrite) poolLayer(l *analysis.Layer, pooled string) error {
	decl := fr.dec.Dst.Nodes[l.Site.Func.Decl].(*dst.FuncDecl)
	cb, ok := paramField(decl.Type.Params, l.Param).Type.(*dst.FuncType)
	if !ok {
		return fmt.Errorf("the layer's callback parameter is not a func type literal")
	}
	handle, err := fr.pooledHandleType(l.Site, pooled)
	if err != nil {
		return err
	}
	paramField(cb.Params, l.TxArg).Type = handle
	return fr.rewriteSite(plan.Plan{Wrapped: &analysis.Wrapped{Site: l.Site}, Action: plan.ActionPooled, Start: len(l.Site.Callback.Body.List), Pooled: pooled})
}

// retypeTxParam changes a callback literal's tx parameter to the pooled
// handle that the wrapper call at site makes, and renames it q where that
// is free.
func (fr *fileRewrite) retypeTxParam(lit *ast.FuncLit, index int, tx types.Object, site *analysis.Site, pooled string) error {
	dlit := fr.dec.Dst.Nodes[lit].(*dst.FuncLit)
	field := paramField(dlit.Type.Params, index)
	if field == nil || len(field.Names) != 1 {
		return fmt.Errorf("the callback's tx parameter shares its declaration")
	}
	handle, err := fr.pooledHandleType(site, pooled)
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

// variantText renders a copy of op.Func.Decl with op's edits and the variant's
// name, for incremental migration: the original stays for its other callers.
func variantText(prog *load.Program, f *ast.File, src []byte, op plan.ChainOp, imports map[string]bool, names map[string]string) ([]byte, error) {
	dec, df, err := decorate(prog.Fset, f, src)
	if err != nil {
		return nil, err
	}
	pkg := prog.Index().Files[f]
	fr := &fileRewrite{prog: prog, info: pkg.TypesInfo, dec: dec, file: df, src: src, imports: imports, names: names, pkgPath: pkg.PkgPath}
	if err := fr.chainOp(op); err != nil {
		return nil, err
	}
	index := -1
	for i, d := range f.Decls {
		if d == op.Func.Decl {
			index = i
		}
	}
	fd := dec.Dst.Nodes[op.Func.Decl].(*dst.FuncDecl)
	old := fd.Name.Name
	fd.Name.Name = op.Variant
	for i, c := range fd.Decs.Start {
		fd.Decs.Start[i] = strings.Replace(c, "// "+old+" ", "// "+op.Variant+" ", 1)
	}
	fd.Decs.Start.Append("//")
	fd.Decs.Start.Append(op.Doc...)
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
