package rewrite

import (
	"fmt"
	"go/ast"
	"go/types"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"github.com/txscope/txscope/rewrite/bundle"
	"github.com/txscope/txscope/rules"
)

// pooledTemplate is the expression that makes the pooled handle for a
// wrapper call, over {recv}, {tenant} and {argN}: the configured one, or
// tenantpool's constructor for the wrapper's driver on the pool the
// wrapper begins on.
func pooledTemplate(prog *Program, site *Site) (string, error) {
	tmpl, err := chooseTemplate(prog.Config, site)
	if err == nil && usesRuntime(tmpl) && prog.Runtime != nil && prog.Runtime.unusable != nil {
		return "", prog.Runtime.unusable
	}
	return tmpl, err
}

func chooseTemplate(cfg *rules.Config, site *Site) (string, error) {
	w := site.Wrapper
	if cfg.Pooled != "" && cfg.Pooled != rules.DefaultPooled {
		return cfg.Pooled, nil
	}
	if w.Tenant < 0 && cfg.Tenant.Column != "" {
		return "", fmt.Errorf("the tenant argument of %s is unknown (set pooled: in txscope.yaml)", rules.FuncName(w.Func))
	}
	pool := w.Pool
	if pool == "" {
		pool = "{recv}.Pool"
	}
	if strings.Contains(pool, "{pkg ") {
		return "", fmt.Errorf("the pool of %s is a package variable (set pooled: in txscope.yaml)", rules.FuncName(w.Func))
	}
	ctor := "For"
	switch txKind(site.Tx.Type()) {
	case "database/sql":
		ctor = "ForDB"
	case "github.com/jackc/pgx/v5":
	default:
		return "", fmt.Errorf("tenantpool has no handle for %s transactions (set pooled: in txscope.yaml)", types.TypeString(site.Tx.Type(), nil))
	}
	if w.Setting != "" && w.Setting != rules.DefaultSetting {
		return fmt.Sprintf("tenantpool.%sSetting(%s, %s, {tenant})", ctor, pool, strconv.Quote(w.Setting)), nil
	}
	return fmt.Sprintf("tenantpool.%s(%s, {tenant})", ctor, pool), nil
}

// runtimePath is the import path of the runtime's package for this program.
func (p *Program) runtimePath() string {
	if p.Runtime == nil {
		return PooledPackage
	}
	return p.Runtime.ImportPath
}

// pooledHandleType is the type of the pooled handle the wrapper call at site
// makes, as the edited file writes it: the runtime constructor's result, or
// the configured expression's type at the call.
func (fr *fileRewrite) pooledHandleType(site *Site) (dst.Expr, error) {
	tmpl, err := pooledTemplate(fr.prog, site)
	if err != nil {
		return nil, err
	}
	parsed, err := rules.ParseTemplate(tmpl)
	if err != nil {
		return nil, fmt.Errorf("pooled template: %w", err)
	}
	var t types.Type
	if pkg, name, ok := parsed.Callee(); ok && pkg == bundle.Package {
		if t, err = runtimeResult(fr.prog, name); err != nil {
			return nil, err
		}
	} else {
		expr, err := renderTemplate(tmpl, site, fr.text, func(_ string, arg ast.Expr) (string, error) { return fr.text(arg), nil })
		if err != nil {
			return nil, err
		}
		tv, err := types.Eval(fr.prog.Fset, site.Func.Pkg.Types, site.Call.Pos(), expr)
		if err != nil {
			return nil, fmt.Errorf("pooled template %q: %w", tmpl, err)
		}
		t = tv.Type
	}
	return parseType(types.TypeString(t, fr.qualifier))
}

// runtimeResult is the result type of the runtime's constructor name.
func runtimeResult(prog *Program, name string) (types.Type, error) {
	if prog.RuntimePackage == nil {
		if prog.Runtime != nil && prog.Runtime.unusable != nil {
			return nil, prog.Runtime.unusable
		}
		return nil, fmt.Errorf("%s is not loaded", prog.runtimePath())
	}
	fn, ok := prog.RuntimePackage.Types.Scope().Lookup(name).(*types.Func)
	if !ok || fn.Signature().Results().Len() != 1 {
		return nil, fmt.Errorf("%s has no constructor %s", prog.runtimePath(), name)
	}
	return fn.Signature().Results().At(0).Type(), nil
}

// parseType parses a type expression into dst.
func parseType(src string) (dst.Expr, error) {
	f, err := decorator.Parse("package p\nvar _ " + src + "\n")
	if err != nil {
		return nil, err
	}
	return f.Decls[0].(*dst.GenDecl).Specs[0].(*dst.ValueSpec).Type, nil
}

// txKind names the driver of a transaction type by its package path.
func txKind(t types.Type) string {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	if isQuerierInterface(t) {
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
	driver := "github.com/jackc/pgx/v5"
	for path := range paths {
		switch {
		case path == "context":
		case path == driver || strings.HasPrefix(path, driver+"/"):
		case path == "database/sql" || path == "database/sql/driver":
			driver = "database/sql"
		default:
			return ""
		}
	}
	if paths["database/sql"] && (paths["github.com/jackc/pgx/v5"] || paths["github.com/jackc/pgx/v5/pgconn"]) {
		return "" // both drivers' types: no one handle has them all
	}
	return driver
}

// renderTemplate substitutes the wrapper call's arguments into a template,
// as Go source. An argument that is not a plain expression goes through
// bind, which decides how it can be evaluated once.
func renderTemplate(tmpl string, site *Site, src func(ast.Node) string, bind func(placeholder string, arg ast.Expr) (string, error)) (string, error) {
	t, err := rules.ParseTemplate(tmpl)
	if err != nil {
		return "", fmt.Errorf("pooled template: %w", err)
	}
	call := rules.WrapperCall{Args: site.Call.Args, Tenant: site.Wrapper.Tenant}
	if sel, ok := ast.Unparen(site.Call.Fun).(*ast.SelectorExpr); ok {
		call.Recv = sel.X
	}
	return t.Expand(func(p rules.Placeholder) (string, error) {
		arg, err := call.Expr(p)
		if err != nil {
			return "", err
		}
		if sideEffectFree(arg) {
			return src(arg), nil
		}
		return bind(p.Name, arg)
	})
}

// sideEffectFree accepts names, selectors and literals: expressions that can
// be evaluated again, earlier or later, with the same result.
func sideEffectFree(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident, *ast.BasicLit:
		return true
	case *ast.SelectorExpr:
		return sideEffectFree(e.X)
	case *ast.StarExpr:
		return sideEffectFree(e.X)
	}
	return false
}
