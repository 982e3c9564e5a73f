package edit

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/dave/dst"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/plan"
)

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
func (fr *fileRewrite) splitTail(p plan.Plan, lit *dst.FuncLit, call *dst.CallExpr) ([]dst.Stmt, error) {
	site := p.Wrapped.Site
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
		for _, obj := range plan.TopDecls(fr.info, s) {
			for _, l := range later {
				if syntax.Mentions(fr.info, l, map[types.Object]bool{obj: true}) {
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
