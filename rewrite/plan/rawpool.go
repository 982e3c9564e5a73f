package plan

import (
	"fmt"
	"go/ast"

	"github.com/txscope/txscope/rewrite/analysis"
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
	if cfg == nil || !cfg.Tenant.RLSSet || cfg.Tenant.RLS || cfg.Tenant.Column == "" || load.UsesRuntime(p.Pooled) {
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
