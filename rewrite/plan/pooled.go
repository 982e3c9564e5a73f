package plan

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// PooledTemplate is the expression that makes the pooled handle for a
// wrapper call, over {recv}, {tenant} and {argN}: the configured one, or
// tenantpool's constructor for the wrapper's driver on the pool the
// wrapper begins on. Whether the runtime can be used is the driver's
// question: it stops the whole run when it cannot.
func PooledTemplate(cfg *rules.Config, site *analysis.Site) (string, error) {
	w := site.Wrapper
	if cfg.Pooled != "" && cfg.Pooled != rules.DefaultPooled {
		return cfg.Pooled, nil
	}
	if w.Tenant < 0 && cfg.Tenant.Column != "" && !w.Plain {
		return "", fmt.Errorf("the tenant argument of %s is unknown (set pooled: in txscope.yaml)", rules.FuncName(w.Func))
	}
	pool := w.Pool
	if pool == "" {
		pool = "{recv}.Pool"
	}
	if strings.Contains(pool, "{pkg ") {
		return "", fmt.Errorf("the pool of %s is a package variable (set pooled: in txscope.yaml)", rules.FuncName(w.Func))
	}
	if why := w.HandleUnlike(); why != "" {
		return "", fmt.Errorf("%s (set pooled: in txscope.yaml)", why)
	}
	if w.Plain {
		// A plain wrapper sets no tenant: the pool it begins on is as
		// scoped as its transaction was, and runs each statement on its own.
		if site.Tx != nil && TxKind(site.Tx.Type()) == gormPkg {
			return gormSession(site, pool)
		}
		return pool, nil
	}
	kind := TxKind(site.Tx.Type())
	if kind == popPkg {
		if w.Setting != "" {
			return "", fmt.Errorf("%s sets %s, and tenantpool has no tenant-scoped handle for pop connections (set pooled: in txscope.yaml)", rules.FuncName(w.Func), w.Setting)
		}
		// A pop connection outside a transaction runs each statement on
		// its pool, as scoped as the transaction was.
		return pool, nil
	}
	ctor, ok := pooledCtors[kind]
	if !ok {
		return "", fmt.Errorf("tenantpool has no handle for %s transactions (set pooled: in txscope.yaml)", types.TypeString(site.Tx.Type(), nil))
	}
	if w.Setting != "" && w.Setting != rules.DefaultSetting {
		return fmt.Sprintf("%sSetting(%s, %s, {tenant})", ctor, pool, strconv.Quote(w.Setting)), nil
	}
	return fmt.Sprintf("%s(%s, {tenant})", ctor, pool), nil
}

// gormSession is the pooled handle for a plain GORM transaction begun on
// pool: a session, as the callback's tx is. Begin (gorm v1.31
// finisher_api.go) makes that tx with getInstance().Session(&Session{…}),
// and every call on a session clones its statement first, so no call's
// conditions reach the next. A chain (s.DB.Model(&Menu{}), or a field set
// to db.Table("menus")) is no session: each call on it adds to its one
// statement, so a Count moved out ahead of the transaction would leave its
// WHERE on the statement the transaction then begins from and its UPDATE
// runs. pool.Session(new(gorm.Session)) is a session over pool's statement
// whatever pool holds (for a database opened by gorm.Open, whose statement
// is empty, the same as the fresh one Begin makes there). The receiver
// itself is used only when it is known to be a session: a call of
// WithContext, Debug or Session; a variable or a field may hold a chain
// whatever the code near the call shows.
func gormSession(site *analysis.Site, pool string) (string, error) {
	info := site.Func.Pkg.TypesInfo
	if sel, ok := ast.Unparen(site.Call.Fun).(*ast.SelectorExpr); ok && pool == "{recv}" && isGormSession(info, sel.X) {
		return pool, nil
	}
	name, ok := importedAs(site.Func, site.Tx.Type(), site.Call.Pos())
	if !ok {
		return "", fmt.Errorf("the pooled handle of %s is a gorm session, and no name refers to package gorm where %s calls it (set pooled: in txscope.yaml)",
			rules.FuncName(site.Wrapper.Func), site.Name())
	}
	// new(…), not &gorm.Session{}: a template has no braces but its placeholders'.
	return fmt.Sprintf("%s.Session(new(%s.Session))", pool, name), nil
}

// isGormSession reports whether e is a call whose result is a GORM
// session: WithContext and Debug end in Session (gorm.go), and Session
// returns one unless its config sets Initialized, which makes it return a
// chain instance; a config that is not a literal is not read.
func isGormSession(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil || !rules.IsGormSession(fn) {
		return false
	}
	if fn.Name() != "Session" {
		return true
	}
	u, ok := ast.Unparen(call.Args[0]).(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return false
	}
	lit, ok := ast.Unparen(u.X).(*ast.CompositeLit)
	if !ok {
		return false
	}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return false
		}
		if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Initialized" {
			if v := info.Types[kv.Value].Value; v == nil || constant.BoolVal(v) {
				return false
			}
		}
	}
	return true
}

// importedAs is the name that refers, at pos in src's file, to the package
// that declares t (*gorm.DB's gorm), if one does.
func importedAs(src load.FuncSource, t types.Type, pos token.Pos) (string, bool) {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return "", false
	}
	scope := src.Pkg.Types.Scope().Innermost(pos)
	for _, imp := range src.File.Imports {
		pn := src.Pkg.TypesInfo.PkgNameOf(imp)
		if pn == nil || pn.Imported() != n.Obj().Pkg() {
			continue
		}
		if _, obj := scope.LookupParent(pn.Name(), pos); obj == pn {
			return pn.Name(), true
		}
	}
	return "", false
}

// pooledCtors are the runtime's constructors of the pooled handle, by the
// driver of the transaction it stands in for; each has a Setting variant.
// sqlx's is a package of its own, so that only sqlx users depend on sqlx.
var pooledCtors = map[string]string{
	pgxPkg:  "tenantpool.For",
	sqlPkg:  "tenantpool.ForDB",
	sqlxPkg: "sqlxpool.For",
}

const (
	gormPkg = "gorm.io/gorm"
	pgxPkg  = "github.com/jackc/pgx/v5"
	popPkg  = "github.com/gobuffalo/pop/v6"
	sqlPkg  = "database/sql"
	sqlxPkg = "github.com/jmoiron/sqlx"
)

// TxKind names the driver of a transaction type by its package path.
func TxKind(t types.Type) string {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	if analysis.IsQuerierInterface(t) {
		return querierDriver(t.Underlying().(*types.Interface))
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil {
		return n.Obj().Pkg().Path()
	}
	return ""
}

// querierDriver names the driver of a project's querier interface by the
// packages its methods use: pgx's (pgconn.CommandTag, pgx.Rows), or
// database/sql's; one of only context and builtins is pgx-shaped by name.
// Any other package (sqlx, pgx v4, bun) has no runtime handle: "".
func querierDriver(iface *types.Interface) string {
	paths := map[string]bool{}
	for i := 0; i < iface.NumMethods(); i++ {
		types.TypeString(iface.Method(i).Type(), func(p *types.Package) string {
			paths[p.Path()] = true
			return p.Name()
		})
	}
	driver := pgxPkg
	for path := range paths {
		switch {
		case path == "context":
		case path == driver || strings.HasPrefix(path, driver+"/"):
		case path == sqlPkg || path == sqlPkg+"/driver":
			driver = sqlPkg
		default:
			return ""
		}
	}
	if paths[sqlPkg] && (paths[pgxPkg] || paths[pgxPkg+"/pgconn"]) {
		return "" // both drivers' types: no one handle has them all
	}
	return driver
}
