package plan

import (
	"fmt"
	"go/ast"
	"go/types"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// rawPoolVeto keeps a handler whose reads would move onto a raw pool (the
// config says the database has no row-level security, and the pooled
// handle is not tenant-scoped) unless every one of them provably filters
// on the tenant column: on a raw pool nothing else keeps tenants apart.
// The reason names the read and is TS005's.
func rawPoolVeto(prog *load.Program, h *analysis.Wrapped, p Plan) string {
	cfg := prog.Config
	if !rawPool(cfg, p.Pooled) {
		return ""
	}
	info := h.Site.Func.Pkg.TypesInfo
	for _, s := range p.Stmts()[:p.Start] {
		for _, ce := range s.Calls {
			call, ok := ce.Node.(*ast.CallExpr)
			if !ok || !ce.Effect.Has(rules.Read) || ce.Pooled {
				continue
			}
			if ok, why := analysis.TenantFiltered(prog, info, call, cfg.Tenant.Column); !ok {
				return fmt.Sprintf("read %s at %s would move onto the raw pool (%s), and the database has no row-level security: %s (TS005)",
					ShortName(ce.Callee), prog.Position(call.Pos()), p.Pooled, why)
			}
		}
	}
	return ""
}

// rawPool reports whether the pooled handle is a raw pool of a database
// that keeps tenants apart by the tenant column alone.
func rawPool(cfg *rules.Config, pooled string) bool {
	return cfg != nil && cfg.Tenant.RLSSet && !cfg.Tenant.RLS && cfg.Tenant.Column != "" && !load.UsesRuntime(pooled)
}

// mwRawPoolVeto is rawPoolVeto for the middleware's own code: migrated, its
// callback (the session check) runs on the pooled handle too, so every
// query it makes on the transaction must filter on the tenant column.
func mwRawPoolVeto(prog *load.Program, m *analysis.Middleware) string {
	pooled, err := PooledTemplate(prog.Config, m.RealSite())
	if err != nil || !rawPool(prog.Config, pooled) || m.Site.Tx == nil {
		return ""
	}
	info := m.Site.Func.Pkg.TypesInfo
	var handler types.Object
	if params := m.Func.Signature().Params(); m.Param >= 0 && m.Param < params.Len() {
		handler = params.At(m.Param)
	}
	tx := map[types.Object]bool{m.Site.Tx: true}
	why := ""
	ast.Inspect(m.Site.Callback.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || why != "" {
			return why == ""
		}
		if id := syntax.IdentOf(call.Fun); id != nil && handler != nil && info.Uses[id] == handler {
			return false // the handler: planned on its own
		}
		direct := false
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && syntax.Mentions(info, sel.X, tx) && syntax.IdentOf(sel.X) != nil {
			direct = true
		}
		for _, a := range call.Args {
			direct = direct || (syntax.IdentOf(a) != nil && syntax.Mentions(info, a, tx))
		}
		if !direct {
			return true
		}
		if ok, w := analysis.TenantFiltered(prog, info, call, prog.Config.Tenant.Column); !ok {
			why = fmt.Sprintf("the middleware's query %s at %s would move onto the raw pool (%s), and the database has no row-level security: %s (TS005)",
				types.ExprString(call.Fun), prog.Position(call.Pos()), pooled, w)
		}
		return false
	})
	return why
}
