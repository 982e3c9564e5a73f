package schema

import (
	"fmt"
	"sort"
	"strings"
)

// SourceKind says where a Schema was read from.
type SourceKind string

const (
	Migrations SourceKind = "migrations" // SQL files, read offline
	Database   SourceKind = "database"   // a live PostgreSQL's catalogs
)

// Source is where a Schema came from.
type Source struct {
	Kind  SourceKind
	Paths []string // Migrations: the files applied, in order
	URL   string   // Database: the URL, password redacted
}

func (s Source) String() string {
	if s.Kind == Database {
		return "database " + s.URL
	}
	return fmt.Sprintf("migrations (%d files)", len(s.Paths))
}

// Schema is what the database says about tenancy: tables with their
// row-level security and policies and, read live, who connects and how.
type Schema struct {
	Source Source
	// Tables by qualified name, "public.orders".
	Tables map[string]*Table
	// Functions that set configuration parameters, by qualified name; read
	// from migrations only.
	Functions map[string]*Function
	// Role is the connecting role; nil when unknown (from migrations).
	Role *Role
	// DefaultIsolation is default_transaction_isolation ("read committed");
	// "" when unknown.
	DefaultIsolation string
	// PoolMode is PgBouncer's pool_mode ("transaction"); "" when unknown.
	PoolMode string
}

// Role is the role a live reader connected as.
type Role struct {
	Name      string
	Superuser bool
	BypassRLS bool
}

// Table is an ordinary or partitioned table.
type Table struct {
	Schema, Name string
	Columns      []string // in order
	RLS          bool     // ENABLE ROW LEVEL SECURITY
	Force        bool     // FORCE ROW LEVEL SECURITY: the owner is subject to it too
	Owner        string   // "" when unknown (migrations without OWNER TO)
	Policies     []*Policy
	Pos          Pos // its CREATE TABLE; zero when read live
}

// QualifiedName is "schema.name".
func (t *Table) QualifiedName() string { return t.Schema + "." + t.Name }

// HasColumn reports whether the table has the column.
func (t *Table) HasColumn(name string) bool {
	for _, c := range t.Columns {
		if c == name {
			return true
		}
	}
	return false
}

// Policy is a row-level security policy.
type Policy struct {
	Name        string
	Table       string   // qualified name
	Command     string   // "all", "select", "insert", "update" or "delete"
	Restrictive bool     // AS RESTRICTIVE; permissive otherwise
	Roles       []string // "public" when the policy names none
	// Using and WithCheck are the expressions, as written in the migration
	// or as PostgreSQL prints them; "" when absent.
	Using, WithCheck string
	// Settings are the current_setting calls of both expressions, in order,
	// without repeats.
	Settings []SettingRead
	// Calls are the other functions the expressions call, named as
	// PostgreSQL stores them ("auth.uid"): they may read settings unseen.
	Calls []string
	// Reads are the tables that subqueries of the expressions read,
	// qualified when the name resolved to a known table.
	Reads []string
	Pos   Pos // its CREATE POLICY; zero when read live
}

// SettingRead is a call current_setting('name'[, missing_ok]).
type SettingRead struct {
	Name      string // lower-cased; "" when not a string literal
	MissingOK bool   // an unset setting reads as NULL instead of failing
}

// Pos is a place in a migration file; the zero Pos is none.
type Pos struct {
	File      string
	Line, Col int // from 1; Col counts bytes
}

func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Table returns the table named name, qualified or not, spelled as
// PostgreSQL stores it (unquoted names lower-cased); an unqualified name
// is looked up in the default search path (public).
func (s *Schema) Table(name string) *Table {
	if !strings.Contains(name, ".") {
		name = defaultSchema + "." + name
	}
	return s.Tables[name]
}

// TableNames are the qualified names of all tables, sorted.
func (s *Schema) TableNames() []string {
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

const defaultSchema = "public"
