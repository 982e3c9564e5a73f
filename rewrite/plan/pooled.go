package plan

import (
	"fmt"
	"go/types"
	"strconv"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rules"
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

// pooledCtors are the runtime's constructors of the pooled handle, by the
// driver of the transaction it stands in for; each has a Setting variant.
// sqlx's is a package of its own, so that only sqlx users depend on sqlx.
var pooledCtors = map[string]string{
	pgxPkg:  "tenantpool.For",
	sqlPkg:  "tenantpool.ForDB",
	sqlxPkg: "sqlxpool.For",
}

const (
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
