package rewrite

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/dave/dst"
	"github.com/txscope/txscope/rules"
)

// Split is where --split ends a write block before slow calls: the
// statements Slow..Resume-1 run outside any transaction, after the block
// before them has committed, and a new block starts at Resume (none when
// Resume is the end of the callback).
type Split struct {
	Slow, Resume int
}

// planSplits cuts the write block at each slow call in it. Each cut must
// keep what the block guaranteed, except that the part before the slow
// call commits even if what follows fails (the report names the split): a
// refusal explains which guarantee a cut would break.
func planSplits(prog *Program, h *Handler, start int) ([]Split, string) {
	info := h.Site.Func.Pkg.TypesInfo
	tx := map[types.Object]bool{h.Site.Tx: true}
	var splits []Split
	block := start
	for i := start; i < len(h.Stmts); i++ {
		s := h.Stmts[i]
		if !s.Effect.Has(rules.Slow) {
			continue
		}
		at := prog.Position(s.Stmt.Pos())
		if s.Effect&^rules.Slow != rules.Pure || mentions(info, s.Stmt, tx) {
			return nil, fmt.Sprintf("cannot split at %s: the slow call's statement also uses the transaction", at)
		}
		if why := splittable(prog, info, h.Stmts[block:i]); why != "" {
			return nil, fmt.Sprintf("cannot split at %s: %s", at, why)
		}
		resume := i + 1
		for resume < len(h.Stmts) && h.Stmts[resume].Effect&^rules.Slow == rules.Pure && !mentions(info, h.Stmts[resume].Stmt, tx) {
			resume++
		}
		if resume < len(h.Stmts) && pullReads(info, h.Stmts, resume, srcSpanOf(h.Site.Func.Decl.Body)) < resume {
			return nil, fmt.Sprintf("cannot split at %s: a read before it feeds a write after it", at)
		}
		splits = append(splits, Split{Slow: i, Resume: resume})
		block, i = resume, resume-1
	}
	return splits, ""
}

// splittable checks that a block can commit on its own: it writes, holds
// no lock or transaction-local setting that later statements rely on, has
// no defer (it would run earlier) and leaves only with a non-nil error (a
// `return nil` ended the whole callback; now it would only end the block).
func splittable(prog *Program, info *types.Info, block []StmtEffect) string {
	writes := false
	var stmts []ast.Stmt
	for _, s := range block {
		writes = writes || s.Effect.Writes()
		if s.Effect&(rules.Locking|rules.TxState) != 0 {
			return fmt.Sprintf("the block before it locks or sets transaction state at %s", prog.Position(s.Stmt.Pos()))
		}
		stmts = append(stmts, s.Stmt)
	}
	if !writes {
		return "the block before it does not write"
	}
	if hasDefer(stmts) {
		return "the block before it defers a call"
	}
	why := ""
	for _, s := range stmts {
		walkReturns(s, func(r *ast.ReturnStmt) {
			if why == "" && (len(r.Results) != 1 || !knownNonNil(info, r.Results[0])) {
				why = fmt.Sprintf("the return at %s may end the callback without an error", prog.Position(r.Pos()))
			}
		})
	}
	return why
}

// splitMoves names each split for the report.
func splitMoves(prog *Program, h *Handler, splits []Split) []string {
	var out []string
	for _, sp := range splits {
		ce, _ := slowCall(h.Stmts[sp.Slow : sp.Slow+1])
		out = append(out, fmt.Sprintf("split at slow call %s at %s: the writes before it commit first (a failure after it no longer rolls them back)", shortName(ce.Callee), prog.Position(ce.Node.Pos())))
	}
	return out
}

// splitTail renders the callback from the write block on as one
// transaction per block, the slow statements between them outside any:
//
//	if err := W(…, func(tx) error { block; return nil }); err != nil {
//		return err
//	}
//	slow statements
//	return W(…, func(tx) error { last block })
//
// Variables a block declares and later statements use are declared before
// it (with their go/types type) and assigned inside.
func (fr *fileRewrite) splitTail(p Plan, lit *dst.FuncLit, call *dst.CallExpr) ([]dst.Stmt, error) {
	site := p.Handler.Site
	body := site.Callback.Body.List
	cb := argIndex(site.Call, site.Callback)
	all := lit.Body.List // body[p.Start:] in dst
	dstAt := func(i int) dst.Stmt { return all[i-p.Start] }
	var out []dst.Stmt
	from := p.Start
	for _, sp := range p.Splits {
		var blockStmts []dst.Stmt
		for i := from; i < sp.Slow; i++ {
			blockStmts = append(blockStmts, dstAt(i))
		}
		decls, inner, err := fr.hoistDecls(body[from:sp.Slow], body[sp.Slow:], blockStmts)
		if err != nil {
			return nil, err
		}
		out = append(out, decls...)
		inner = append(inner, &dst.ReturnStmt{Results: []dst.Expr{dst.NewIdent("nil")}})
		out = append(out, commitBlock(call, lit, cb, inner))
		for i := sp.Slow; i < sp.Resume; i++ {
			out = append(out, dstAt(i))
		}
		from = sp.Resume
	}
	if from < len(body) {
		last := dst.Clone(call).(*dst.CallExpr)
		fn := dst.Clone(lit).(*dst.FuncLit)
		fn.Body.List = all[from-p.Start:]
		last.Args[cb] = fn
		out = append(out, &dst.ReturnStmt{Results: []dst.Expr{last}})
	}
	for _, s := range out {
		s.Decorations().Before = dst.NewLine
	}
	return out, nil
}

// commitBlock is `if err := W(…, func(tx) error { stmts }); err != nil { return err }`.
func commitBlock(call *dst.CallExpr, lit *dst.FuncLit, cb int, stmts []dst.Stmt) dst.Stmt {
	w := dst.Clone(call).(*dst.CallExpr)
	fn := &dst.FuncLit{Type: dst.Clone(lit.Type).(*dst.FuncType), Body: &dst.BlockStmt{List: stmts}}
	w.Args[cb] = fn
	return &dst.IfStmt{
		Init: &dst.AssignStmt{Lhs: []dst.Expr{dst.NewIdent("err")}, Tok: token.DEFINE, Rhs: []dst.Expr{w}},
		Cond: &dst.BinaryExpr{X: dst.NewIdent("err"), Op: token.NEQ, Y: dst.NewIdent("nil")},
		Body: &dst.BlockStmt{List: []dst.Stmt{&dst.ReturnStmt{Results: []dst.Expr{dst.NewIdent("err")}}}},
	}
}

// hoistDecls declares before a block the variables it declares at its top
// level that later statements use; their `:=` becomes `=`, and the other
// names it declared are declared inside, just before.
func (fr *fileRewrite) hoistDecls(block, later []ast.Stmt, dstBlock []dst.Stmt) (outer, inner []dst.Stmt, err error) {
	for k, s := range block {
		used := map[types.Object]bool{}
		for _, obj := range topDecls(fr.info, s) {
			for _, l := range later {
				if mentions(fr.info, l, map[types.Object]bool{obj: true}) {
					used[obj] = true
				}
			}
		}
		if len(used) == 0 {
			inner = append(inner, dstBlock[k])
			continue
		}
		a, ok := s.(*ast.AssignStmt)
		if !ok || a.Tok != token.DEFINE {
			return nil, nil, fmt.Errorf("cannot declare the variables of %s before the block", fr.prog.Position(s.Pos()))
		}
		for _, lhs := range a.Lhs {
			obj := fr.info.Defs[lhs.(*ast.Ident)]
			if obj == nil {
				continue
			}
			decl, err := parseStmt("var " + obj.Name() + " " + types.TypeString(obj.Type(), fr.qualifier))
			if err != nil {
				return nil, nil, err
			}
			if used[obj] {
				outer = append(outer, decl)
			} else {
				inner = append(inner, decl)
			}
		}
		dstBlock[k].(*dst.AssignStmt).Tok = token.ASSIGN
		inner = append(inner, dstBlock[k])
	}
	return outer, inner, nil
}

// qualifier names a package as the file refers to it, importing it when
// the file does not yet.
func (fr *fileRewrite) qualifier(pkg *types.Package) string {
	if pkg.Path() == fr.pkgPath {
		return ""
	}
	fr.imports[pkg.Path()] = true
	fr.names[pkg.Path()] = pkg.Name()
	return pkg.Name()
}
