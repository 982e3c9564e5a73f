package schema

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// RequirementKind is what a read of a table needs to see its tenant's rows
// only.
type RequirementKind int

const (
	// NoRequirement: neither row-level security nor a tenant column.
	NoRequirement RequirementKind = iota
	// TenantColumn: no row-level security; the statement must filter on
	// the column (TS005 otherwise).
	TenantColumn
	// RLS: row-level security; the read must run with every setting its
	// policies read.
	RLS
)

func (k RequirementKind) String() string {
	switch k {
	case TenantColumn:
		return "tenant column"
	case RLS:
		return "row-level security"
	}
	return "none"
}

// Requirement is what reads of one table need.
type Requirement struct {
	Table string // qualified name
	Kind  RequirementKind
	// Column is the tenant column (TenantColumn).
	Column string
	// Settings are the settings that the policies applying to reads (FOR
	// ALL and FOR SELECT, whatever their roles) read, and those of the
	// tables their subqueries read, sorted (RLS).
	Settings []string
	// Unknown says, a reason each, why Settings may be incomplete (RLS).
	Unknown []string
	// Bypass says why row-level security does not apply to the connecting
	// role, so that reads see every tenant; "" when it applies or the
	// role is unknown (RLS).
	Bypass string
}

// Requirement is what reads of the table need, tenantColumn being the
// configured column ("" for none); ok is false for a table not in the
// schema.
func (s *Schema) Requirement(table, tenantColumn string) (r Requirement, ok bool) {
	t := s.Table(table)
	if t == nil {
		return Requirement{}, false
	}
	r.Table = t.QualifiedName()
	switch {
	case t.RLS:
		r.Kind = RLS
		settings := map[string]bool{}
		s.policySettings(t, settings, &r.Unknown, map[string]bool{})
		for name := range settings {
			r.Settings = append(r.Settings, name)
		}
		sort.Strings(r.Settings)
		r.Bypass = s.bypass(t)
	case tenantColumn != "" && t.HasColumn(tenantColumn):
		r.Kind, r.Column = TenantColumn, tenantColumn
	}
	return r, true
}

// Functions that read no setting, which a policy may call freely.
var settingFree = map[string]bool{
	"lower": true, "upper": true, "btrim": true, "ltrim": true, "rtrim": true,
	"length": true, "char_length": true, "concat": true, "split_part": true,
	"string_to_array": true, "unnest": true, "now": true, "array_position": true,
}

// policySettings adds the settings of t's policies that apply to reads,
// following the tables of their subqueries, whose own policies apply too.
func (s *Schema) policySettings(t *Table, settings map[string]bool, unknown *[]string, seen map[string]bool) {
	if seen[t.QualifiedName()] || !t.RLS {
		return
	}
	seen[t.QualifiedName()] = true
	for _, p := range t.Policies {
		if p.Command != "all" && p.Command != "select" {
			continue
		}
		who := fmt.Sprintf("policy %s on %s", p.Name, p.Table)
		for _, read := range p.Settings {
			if read.Name == "" {
				*unknown = append(*unknown, who+" reads a setting whose name is not a literal")
				continue
			}
			settings[read.Name] = true
		}
		for _, call := range p.Calls {
			if !settingFree[strings.TrimPrefix(call, "pg_catalog.")] {
				*unknown = append(*unknown, fmt.Sprintf("%s calls %s(), which may read settings", who, call))
			}
		}
		for _, name := range p.Reads {
			if sub := s.Table(name); sub != nil {
				s.policySettings(sub, settings, unknown, seen)
			} else {
				*unknown = append(*unknown, fmt.Sprintf("%s reads %s, which is not a table of the schema", who, name))
			}
		}
	}
}

// bypass says why row-level security does not apply to the connecting
// role on t.
func (s *Schema) bypass(t *Table) string {
	switch r := s.Role; {
	case r == nil:
		return ""
	case r.Superuser:
		return fmt.Sprintf("role %s is a superuser", r.Name)
	case r.BypassRLS:
		return fmt.Sprintf("role %s has BYPASSRLS", r.Name)
	case r.Name == t.Owner && !t.Force:
		return fmt.Sprintf("role %s owns %s, which does not FORCE ROW LEVEL SECURITY", r.Name, t.QualifiedName())
	}
	return ""
}

// CanMove reports whether reads of tables may move onto a handle that
// sets settings (and nothing else) in the read's transaction; why says,
// when not, the first reason. A table with row-level security needs every
// setting its policies read. A table whose requirement is a tenant column
// is not decided here: the statement must filter on it, which only its
// text shows.
func (s *Schema) CanMove(tables, settings []string) (ok bool, why string) {
	for _, name := range tables {
		r, known := s.Requirement(name, "")
		switch {
		case !known:
			return false, fmt.Sprintf("table %s is not in the schema (%s)", name, s.Source)
		case r.Kind != RLS:
			continue
		case len(r.Unknown) > 0:
			return false, fmt.Sprintf("%s has row-level security and %s", r.Table, r.Unknown[0])
		}
		var missing []string
		for _, need := range r.Settings {
			if !slices.ContainsFunc(settings, func(have string) bool { return strings.EqualFold(have, need) }) {
				missing = append(missing, need)
			}
		}
		if len(missing) > 0 {
			return false, fmt.Sprintf("%s has row-level security on %s; the handle does not set %s",
				r.Table, strings.Join(r.Settings, " and "), strings.Join(missing, " and "))
		}
	}
	return true, ""
}
