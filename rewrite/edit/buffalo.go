package edit

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/plan"
)

// buffaloEdits makes the edits of a Buffalo migration that fall in the
// file: the Skip after popmw.Transaction, each pooled action's accessor,
// which takes the pool instead, and each narrowed action's transaction of
// its own. It returns the functions edited.
func (fr *fileRewrite) buffaloEdits(bp *plan.BuffaloPlan, f *ast.File) ([]*ast.FuncDecl, error) {
	b := bp.Buffalo
	var edited []*ast.FuncDecl
	leaving := bp.Leaving()
	if b.Func.File == f {
		if err := fr.skip(bp, leaving); err != nil {
			return nil, err
		}
		edited = append(edited, b.Func.Decl)
	}
	for _, ap := range leaving {
		acc := ap.Action.Accessor
		src := ap.Plan.Wrapped.Site.Func
		if acc == nil || src.File != f {
			continue
		}
		var err error
		if ap.Plan.Action == plan.ActionNarrowed {
			err = fr.narrow(bp, ap)
		} else {
			err = fr.takePool(bp, acc, src.Decl)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ap.Action.Name, err)
		}
		edited = append(edited, src.Decl)
	}
	return edited, nil
}

// narrow gives an action its own transaction on the pool around its
// statements from the plan's Start on: they become the callback of
// `return models.DB.Transaction(func(tx *pop.Connection) error {…})`,
// whose parameter has the accessor variable's name, so they go on using
// it unchanged. The accessor takes the pool for the statements before, or
// goes when none of them uses it.
func (fr *fileRewrite) narrow(bp *plan.BuffaloPlan, ap plan.ActionPlan) error {
	acc, p := ap.Action.Accessor, ap.Plan
	decl := p.Wrapped.Site.Func.Decl
	pool, err := fr.poolName(bp.Buffalo.Pool, acc.Stmt.Pos())
	if err != nil {
		return err
	}
	// The tx's type as the file names its package (pop, or an alias).
	qualifier := func(pkg *types.Package) string {
		if name, ok := fileImportName(fr.astFile, pkg); ok && pkg.Path() != fr.pkgPath {
			return name
		}
		return fr.qualifier(pkg)
	}
	tx := acc.Var.Name()
	p.WrapperCall = &plan.WrapperCall{Tx: tx,
		Src: fmt.Sprintf("return %s.Transaction(func(%s %s) error {\n})", pool, tx, types.TypeString(acc.Var.Type(), qualifier))}
	before := slices.DeleteFunc(slices.Clone(p.Body()[:p.Start]), func(s ast.Stmt) bool { return s == ast.Stmt(acc.Stmt) })
	used := mentionsIn(fr.info, before, acc.Var)
	if err := fr.wrapTail(fr.dec.Dst.Nodes[decl.Body].(*dst.BlockStmt), p.Wrapped.Site, p, nil); err != nil {
		return err
	}
	// The accessor's edits find their statements by node: the block is
	// gone from the body's list, they are still in it.
	if used {
		return fr.takePool(bp, acc, decl)
	}
	gone := []ast.Stmt{acc.Stmt}
	if acc.Check != nil {
		gone = append(gone, acc.Check)
	}
	return fr.dropStmts(decl, gone...)
}

// skip names the actions that leave in the Skip right after the
// middleware, adding one when there is none. Calling popmw.Transaction
// again for Skip only makes the key Buffalo matches on (the middleware's
// function name); its second registration of popmw's event listener fails
// quietly and changes nothing.
func (fr *fileRewrite) skip(bp *plan.BuffaloPlan, leaving []plan.ActionPlan) error {
	b := bp.Buffalo
	var names []string
	comment := "// These actions only read: they need no transaction."
	for _, ap := range leaving {
		names = append(names, ap.Action.SkipName)
		if ap.Plan.Action == plan.ActionNarrowed {
			comment = "// These actions need no transaction, or open their own around their writes."
		}
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
	stmt.Decorations().Start.Append(comment)
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
	return fr.dropStmts(decl, acc.Check)
}

// dropStmts removes statements of decl from their blocks, found by node;
// the comments of each stay, on what follows it.
func (fr *fileRewrite) dropStmts(decl *ast.FuncDecl, stmts ...ast.Stmt) error {
	for _, s := range stmts {
		parent, _ := syntax.EnclosingBlock(decl.Body, s)
		list := stmtList(fr.dec.Dst.Nodes[parent])
		gone := fr.dec.Dst.Nodes[s]
		index := -1
		if list != nil {
			index = slices.IndexFunc(*list, func(d dst.Stmt) bool { return d == gone })
		}
		if index < 0 {
			return fmt.Errorf("no statement list around %s", fr.text(s))
		}
		if index+1 < len(*list) {
			next := (*list)[index+1].Decorations()
			next.Start.Replace(append((*list)[index].Decorations().Start, next.Start...)...)
		}
		*list = append((*list)[:index:index], (*list)[index+1:]...)
	}
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
