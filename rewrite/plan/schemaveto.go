package plan

import (
	"cmp"
	"fmt"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
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
// handle sets the wrapper's tenant setting and nothing else), or the
// schema cannot say what a table it may read needs. "" when the schema
// allows every move, or there is no schema.
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
		}
	}
	return ""
}
