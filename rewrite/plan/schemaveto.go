package plan

import (
	"cmp"
	"fmt"
	"go/ast"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/schema"
	"github.com/txscope/txscope/rules"
)

// schemaVeto is why no read may leave the transaction because of what the
// schema says: txscope.yaml claims no row-level security where the schema
// has it, so the configured pool sets no tenant the policies read (TS008).
func schemaVeto(prog *load.Program) string {
	if !analysis.ContradictsRLS(prog) {
		return ""
	}
	return "the schema has row-level security but txscope.yaml says tenant.rls: false (TS008): its reads stay in the transaction until the config says what the database enforces"
}

// readsVeto is why a read the plan moves onto the pooled handle must stay:
// a table it reads has policies on settings the handle does not set (the
// handle sets the wrapper's tenant setting and nothing else), the schema
// cannot say what a table it may read needs, or a table it reads has the
// tenant column and no row-level security and the read does not provably
// filter on it (TS005). "" when the schema allows every move, or there is
// no schema.
func readsVeto(prog *load.Program, p Plan, w *analysis.Wrapper) string {
	s := prog.Schema
	if s == nil || (p.Action != ActionPooled && p.Action != ActionNarrowed) {
		return ""
	}
	settings := []string{cmp.Or(w.Setting, prog.Config.Tenant.Setting, rules.DefaultSetting)}
	for _, st := range p.Stmts()[:p.Start] {
		for _, ce := range st.Calls {
			if !ce.Effect.Has(rules.Read) {
				continue
			}
			tables := ce.Tables.Read
			if ce.Tables.AnyRead {
				tables = s.TableNames()
			}
			if ok, why := s.CanMove(tables, settings); !ok {
				return fmt.Sprintf("the read %s at %s would leave the transaction, but %s: it stays", ShortName(ce.Callee), prog.Position(ce.Node.Pos()), why)
			}
			if why := columnVeto(prog, p, ce.Node, tables); why != "" {
				return fmt.Sprintf("the read %s at %s would leave the transaction, but %s (TS005)", ShortName(ce.Callee), prog.Position(ce.Node.Pos()), why)
			}
		}
	}
	return ""
}

// columnVeto is why a read of tables without row-level security, kept
// apart by the tenant column alone, may not move: it does not provably
// filter on that column. "" when it does or no such table is read.
func columnVeto(prog *load.Program, p Plan, node ast.Node, tables []string) string {
	column := analysis.TenantColumn(prog)
	call, ok := node.(*ast.CallExpr)
	if column == "" || !ok {
		return ""
	}
	for _, name := range tables {
		if r, known := prog.Schema.Requirement(name, column); known && r.Kind == schema.TenantColumn {
			if ok, why := analysis.TenantFiltered(prog, p.Wrapped.Site.Func.Pkg.TypesInfo, call, column); !ok {
				return fmt.Sprintf("%s has no row-level security and %s", r.Table, why)
			}
			return ""
		}
	}
	return ""
}
