package edit

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/plan"
)

// buffaloEdits makes the edits of a Buffalo migration that fall in the
// file: the Skip after popmw.Transaction, and each moved action's
// accessor, which takes the pool instead. It returns the functions edited.
func (fr *fileRewrite) buffaloEdits(bp *plan.BuffaloPlan, f *ast.File) ([]*ast.FuncDecl, error) {
	b := bp.Buffalo
	var edited []*ast.FuncDecl
	pooled := bp.Pooled()
	if b.Func.File == f {
		if err := fr.skip(bp, pooled); err != nil {
			return nil, err
		}
		edited = append(edited, b.Func.Decl)
	}
	for _, ap := range pooled {
		acc := ap.Action.Accessor
		src := ap.Plan.Wrapped.Site.Func
		if acc == nil || src.File != f {
			continue
		}
		if err := fr.takePool(bp, acc, src.Decl); err != nil {
			return nil, fmt.Errorf("%s: %w", ap.Action.Name, err)
		}
		edited = append(edited, src.Decl)
	}
	return edited, nil
}

// skip names the moved actions in the Skip right after the middleware,
// adding one when there is none. Calling popmw.Transaction again for Skip
// only makes the key Buffalo matches on (the middleware's function name);
// its second registration of popmw's event listener fails quietly and
// changes nothing.
func (fr *fileRewrite) skip(bp *plan.BuffaloPlan, pooled []plan.ActionPlan) error {
	b := bp.Buffalo
	var names []string
	for _, ap := range pooled {
		names = append(names, ap.Action.SkipName)
	}
	if b.Skip != nil {
		call := fr.dec.Dst.Nodes[b.Skip].(*dst.CallExpr)
		for _, n := range names {
			e, err := parseExpr(n)
			if err != nil {
				return err
			}
			call.Args = append(call.Args, e)
		}
		return nil
	}
	src := b.Stack + ".Skip(" + fr.text(b.MW) + ", " + strings.Join(names, ", ") + ")"
	if len(names) > 1 {
		src = b.Stack + ".Skip(" + fr.text(b.MW) + ",\n" + strings.Join(names, ",\n") + ",\n)"
	}
	stmt, err := parseStmt(src)
	if err != nil {
		return err
	}
	stmt.Decorations().Start.Append("// These actions only read: they need no transaction.")
	parent, index := syntax.EnclosingBlock(b.Func.Decl.Body, b.Use)
	list := stmtList(fr.dec.Dst.Nodes[parent])
	if list == nil {
		return fmt.Errorf("no statement list around %s", fr.text(b.Use))
	}
	stmt.Decorations().Before = dst.NewLine
	*list = append((*list)[:index+1], append([]dst.Stmt{stmt}, (*list)[index+1:]...)...)
	return nil
}

// takePool turns `tx := c.Value("tx").(*pop.Connection)` (or the comma-ok
// form, whose `if !ok` check goes, or a helper's call) into `tx := models.DB`.
func (fr *fileRewrite) takePool(bp *plan.BuffaloPlan, acc *analysis.Accessor, decl *ast.FuncDecl) error {
	pool, err := fr.poolName(bp.Buffalo.Pool, acc.Stmt.Pos())
	if err != nil {
		return err
	}
	e, err := parseExpr(pool)
	if err != nil {
		return err
	}
	as := fr.dec.Dst.Nodes[acc.Stmt].(*dst.AssignStmt)
	as.Lhs, as.Rhs = as.Lhs[:1], []dst.Expr{e}
	if acc.Check == nil {
		return nil
	}
	parent, index := syntax.EnclosingBlock(decl.Body, acc.Check)
	list := stmtList(fr.dec.Dst.Nodes[parent])
	if list == nil {
		return fmt.Errorf("no statement list around the ok check")
	}
	check := (*list)[index]
	if index+1 < len(*list) {
		// The check's comments stay, on what follows it.
		next := (*list)[index+1].Decorations()
		next.Start.Replace(append(check.Decorations().Start, next.Start...)...)
	}
	*list = append((*list)[:index:index], (*list)[index+1:]...)
	return nil
}

// poolName is how code at pos names the pool variable: by its name in
// its own package, else qualified by the name the file imports its
// package as (imported when the file does not yet). An error when that
// name means something else there.
func (fr *fileRewrite) poolName(pool *types.Var, pos token.Pos) (string, error) {
	scope := fr.pkg.Types.Scope().Innermost(pos)
	if pool.Pkg().Path() == fr.pkgPath {
		if _, obj := scope.LookupParent(pool.Name(), pos); obj != pool {
			return "", fmt.Errorf("%s does not name the pool at %s", pool.Name(), fr.prog.Position(pos))
		}
		return pool.Name(), nil
	}
	name, imported := fileImportName(fr.astFile, pool.Pkg())
	_, obj := scope.LookupParent(name, pos)
	switch pn, isPkg := obj.(*types.PkgName); {
	case isPkg && pn.Imported().Path() == pool.Pkg().Path():
	case obj == nil && !imported:
		fr.imports[pool.Pkg().Path()] = true
		fr.names[pool.Pkg().Path()] = name
	default:
		return "", fmt.Errorf("%s does not name package %s at %s", name, pool.Pkg().Path(), fr.prog.Position(pos))
	}
	return name + "." + pool.Name(), nil
}

// fileImportName is the name f imports pkg under, and whether it does;
// the package's own name when it does not.
func fileImportName(f *ast.File, pkg *types.Package) (string, bool) {
	for _, imp := range f.Imports {
		if path, err := strconv.Unquote(imp.Path.Value); err == nil && path == pkg.Path() {
			if imp.Name != nil {
				return imp.Name.Name, true
			}
			return pkg.Name(), true
		}
	}
	return pkg.Name(), false
}

// stmtList is the statement list of a dst block or clause, nil for any
// other node.
func stmtList(n dst.Node) *[]dst.Stmt {
	switch d := n.(type) {
	case *dst.BlockStmt:
		return &d.List
	case *dst.CaseClause:
		return &d.Body
	case *dst.CommClause:
		return &d.Body
	}
	return nil
}

// parseExpr parses one expression into dst.
func parseExpr(src string) (dst.Expr, error) {
	s, err := parseStmt("_ = " + src)
	if err != nil {
		return nil, err
	}
	return s.(*dst.AssignStmt).Rhs[0], nil
}
