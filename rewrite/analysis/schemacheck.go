package analysis

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/schema"
	"github.com/txscope/txscope/rules"
)

// schemaFindings are the contradictions between what the database says
// (prog.Schema) and what txscope.yaml and the wrappers assume: TS008 where
// the config says there is no row-level security and the schema has it,
// TS009 where the connecting role is not subject to it, TS011 where the
// schema's own tenancy has a gap.
func schemaFindings(prog *load.Program, ws *Wrappers) []Finding {
	s := prog.Schema
	if s == nil {
		return nil
	}
	cfg := prog.Config
	secured := SecuredTables(s)
	var out []Finding
	if ContradictsRLS(prog) {
		t := secured[0]
		out = append(out, Finding{Code: "TS008", At: cfg.Pos("tenant.rls"), Message: fmt.Sprintf(
			"txscope.yaml says tenant.rls: false, but the schema has row-level security on %s (policy %s at %s): a read moved onto a pool that sets no tenant sees no rows or another tenant's",
			tableList(secured), t.Policies[0].Name, policyAt(s, t.Policies[0]))})
	}
	if r := s.Role; r != nil && len(secured) > 0 && (r.Superuser || r.BypassRLS) {
		why := "has BYPASSRLS"
		if r.Superuser {
			why = "is a superuser"
		}
		out = append(out, Finding{Code: "TS009", At: tablePosition(s, schema.Pos{}), Message: fmt.Sprintf(
			"the database role %s %s: row-level security on %s does not apply to it, so every read sees every tenant's rows, in a transaction or not",
			r.Name, why, tableList(secured))})
	}
	// Only where other tables have row-level security: a database that
	// keeps tenants apart by the column alone is not a gap (TS005's case).
	if column := tenantColumn(cfg, secured); column != "" && len(secured) > 0 {
		for _, name := range s.TableNames() {
			if t := s.Tables[name]; t.HasColumn(column) && !t.RLS {
				out = append(out, Finding{Code: "TS011", At: tablePosition(s, t.Pos), Message: fmt.Sprintf(
					"%s has a %s column but no row-level security, while %d other tables have it: the database does not scope its reads to the tenant",
					t.QualifiedName(), column, len(secured))})
			}
		}
	}
	set := wrapperSettings(cfg, ws)
	for _, t := range secured {
		for _, p := range t.Policies {
			for _, read := range p.Settings {
				if read.Name != "" && !set[read.Name] {
					out = append(out, Finding{Code: "TS011", At: tablePosition(s, p.Pos), Message: fmt.Sprintf(
						"policy %s on %s reads %s, which no tenant wrapper sets: under the wrapper and the tenant-scoped handle it is empty",
						p.Name, t.QualifiedName(), read.Name)})
				}
			}
		}
	}
	return out
}

// SecuredTables are the tables with row-level security enabled and a
// policy, in name order.
func SecuredTables(s *schema.Schema) []*schema.Table {
	var out []*schema.Table
	for _, name := range s.TableNames() {
		if t := s.Tables[name]; t.RLS && len(t.Policies) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// ContradictsRLS reports whether txscope.yaml says the database has no
// row-level security while the schema has some (TS008).
func ContradictsRLS(prog *load.Program) bool {
	cfg := prog.Config
	return prog.Schema != nil && cfg.Tenant.RLSSet && !cfg.Tenant.RLS && len(SecuredTables(prog.Schema)) > 0
}

// TenantColumn is the tenant column reads of a table without row-level
// security must filter on: the configured one, else the one the schema's
// secured tables share (tenant_id); "" when neither says.
func TenantColumn(prog *load.Program) string {
	if prog.Schema == nil {
		return prog.Config.Tenant.Column
	}
	return tenantColumn(prog.Config, SecuredTables(prog.Schema))
}

// tenantColumn is the configured tenant column, else the column every
// secured table has when they all have tenant_id; "" when neither.
func tenantColumn(cfg *rules.Config, secured []*schema.Table) string {
	if cfg.Tenant.Column != "" {
		return cfg.Tenant.Column
	}
	if len(secured) == 0 {
		return ""
	}
	for _, t := range secured {
		if !t.HasColumn("tenant_id") {
			return ""
		}
	}
	return "tenant_id"
}

// wrapperSettings are the settings the wrappers set: each one's own, and
// the configured or default one for those whose setting is not a literal.
func wrapperSettings(cfg *rules.Config, ws *Wrappers) map[string]bool {
	set := map[string]bool{}
	for _, w := range ws.List() {
		if w.Setting != "" {
			set[w.Setting] = true
		}
	}
	if len(set) == 0 {
		set[cmp.Or(cfg.Tenant.Setting, rules.DefaultSetting)] = true
	}
	return set
}

// tableList names up to three tables and how many more.
func tableList(ts []*schema.Table) string {
	var names []string
	for _, t := range ts[:min(3, len(ts))] {
		names = append(names, t.QualifiedName())
	}
	s := strings.Join(names, ", ")
	if n := len(ts) - len(names); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// policyAt is where a policy is defined: its migration's file:line:col, or
// the database it was read from.
func policyAt(s *schema.Schema, p *schema.Policy) string {
	if p.Pos.Line == 0 {
		return s.Source.String()
	}
	return p.Pos.String()
}

// tablePosition is where the schema defines something: its file:line:col
// in the migrations, or the database it was read from.
func tablePosition(s *schema.Schema, p schema.Pos) rules.Position {
	if p.Line == 0 {
		return rules.Position{File: s.Source.String()}
	}
	return rules.Position{File: p.File, Line: p.Line, Col: p.Col}
}
