package schema

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/txscope/txscope/rules/sqllex"
)

// Error is a statement that matters to tenancy and could not be read.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// builder applies migration statements to a Schema, one file after the
// other.
type builder struct {
	schema *Schema
	errs   []error

	// The file being applied.
	file       string
	src        string
	lineStarts []int
	// searchPath is the file's search_path: PostgreSQL creates unqualified
	// names in its first schema and looks them up in order.
	searchPath []string
}

func newBuilder() *builder {
	return &builder{schema: &Schema{Source: Source{Kind: Migrations}, Tables: map[string]*Table{}}}
}

// apply reads one file's SQL. Each file starts on the default search path,
// as when every migration runs in a session of its own.
func (b *builder) apply(file, src string) {
	b.file, b.src = file, src
	b.lineStarts = []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			b.lineStarts = append(b.lineStarts, i+1)
		}
	}
	b.searchPath = []string{defaultSchema}
	b.schema.Source.Paths = append(b.schema.Source.Paths, file)
	toks, err := sqllex.Lex(src)
	if err != nil {
		var lexErr *sqllex.Error
		errors.As(err, &lexErr)
		b.errs = append(b.errs, &Error{b.pos(lexErr.Offset), lexErr.Msg})
		return
	}
	for _, stmt := range sqllex.Statements(toks) {
		b.statement(stmt)
	}
}

// result is the schema, or every error found.
func (b *builder) result() (*Schema, error) {
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	for _, t := range b.schema.Tables {
		sort.Slice(t.Policies, func(i, j int) bool { return t.Policies[i].Name < t.Policies[j].Name })
	}
	return b.schema, nil
}

func (b *builder) pos(offset int) Pos {
	line := sort.Search(len(b.lineStarts), func(i int) bool { return b.lineStarts[i] > offset })
	return Pos{File: b.file, Line: line, Col: offset - b.lineStarts[line-1] + 1}
}

func (b *builder) errorf(at sqllex.Token, format string, args ...any) {
	b.errs = append(b.errs, &Error{b.pos(at.Start), fmt.Sprintf(format, args...)})
}

// statement applies one statement; statements that change no table,
// column, owner or policy are skipped.
func (b *builder) statement(toks []sqllex.Token) {
	c := &cursor{toks: toks}
	switch {
	case c.words("create"):
		c.words("or", "replace")
		_ = c.words("global") || c.words("local")
		// A temporary table is gone when the migration's session ends.
		temp := c.words("temp") || c.words("temporary")
		c.words("unlogged")
		switch {
		case c.words("table"):
			if !temp {
				b.createTable(c)
			}
		case c.words("policy"):
			b.createPolicy(c)
		case c.words("function"):
			b.createFunction(c)
		}
	case c.words("alter", "table"):
		b.alterTable(c)
	case c.words("alter", "policy"):
		b.alterPolicy(c)
	case c.words("drop", "table"):
		b.dropTables(c)
	case c.words("drop", "policy"):
		b.dropPolicy(c)
	case c.words("drop", "schema"):
		b.dropSchemas(c)
	case c.words("drop", "function"):
		b.dropFunctions(c)
	case c.words("set"):
		b.set(c)
	case c.words("select"):
		b.selectSetConfig(c)
	case c.words("do"):
		b.doBlock(c)
	}
}

// A DO block may change row-level security through EXECUTE, out of sight.
var rlsText = regexp.MustCompile(`(?i)row\s+level\s+security|\bpolicy\b`)

func (b *builder) doBlock(c *cursor) {
	for _, t := range c.toks {
		if t.Kind == sqllex.String && rlsText.MatchString(t.Text) {
			b.errorf(c.toks[0], "DO block that changes row-level security or policies: txscope reads plain statements only, so write them outside DO")
			return
		}
	}
}

// set reads SET [SESSION|LOCAL] search_path {TO|=} list.
func (b *builder) set(c *cursor) {
	_ = c.words("session") || c.words("local")
	if !c.words("search_path") || !(c.words("to") || c.punct("=")) {
		return
	}
	var path []string
	for _, part := range sqllex.SplitTop(c.rest()) {
		if len(part) == 1 && (part[0].IsName() || part[0].Kind == sqllex.String) {
			path = append(path, strings.Split(part[0].Text, ",")...)
		}
	}
	b.setSearchPath(path)
}

// selectSetConfig reads pg_dump's SELECT pg_catalog.set_config('search_path', '…', false).
func (b *builder) selectSetConfig(c *cursor) {
	c.words("pg_catalog")
	c.punct(".")
	if !c.words("set_config") || !c.punct("(") {
		return
	}
	args := sqllex.SplitTop(c.toks[c.i:sqllex.Closing(c.toks, c.i-1)])
	if len(args) < 2 || len(args[0]) != 1 || len(args[1]) != 1 || args[1][0].Kind != sqllex.String ||
		args[0][0].Kind != sqllex.String || strings.ToLower(args[0][0].Text) != "search_path" {
		return
	}
	b.setSearchPath(strings.Split(args[1][0].Text, ","))
}

func (b *builder) setSearchPath(entries []string) {
	var path []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e != "" && e != "$user" && e != `"$user"` {
			path = append(path, strings.Trim(e, `"`))
		}
	}
	if len(path) == 0 {
		// PostgreSQL would refuse to create an unqualified name; pg_dump,
		// which sets an empty path, qualifies every name.
		path = []string{defaultSchema}
	}
	b.searchPath = path
}

// lookup finds a table by a name as written (schema "" when unqualified).
func (b *builder) lookup(schema, name string) *Table {
	if schema != "" {
		return b.schema.Tables[schema+"."+name]
	}
	for _, s := range b.searchPath {
		if t := b.schema.Tables[s+"."+name]; t != nil {
			return t
		}
	}
	return nil
}

func (b *builder) creationSchema(schema string) string {
	if schema != "" {
		return schema
	}
	return b.searchPath[0]
}

func (b *builder) createTable(c *cursor) {
	ifNotExists := c.words("if", "not", "exists")
	at := c.peek()
	schema, name, ok := c.name()
	if !ok {
		b.errorf(at, "CREATE TABLE without a table name")
		return
	}
	t := &Table{Schema: b.creationSchema(schema), Name: name, Pos: b.pos(c.toks[0].Start)}
	if old := b.schema.Tables[t.QualifiedName()]; old != nil {
		if !ifNotExists {
			b.errorf(at, "table %s created again (first at %s)", t.QualifiedName(), old.Pos)
		}
		return
	}
	switch {
	case c.words("partition", "of"):
		pschema, pname, _ := c.name()
		parent := b.lookup(pschema, pname)
		if parent == nil {
			b.errorf(at, "CREATE TABLE %s PARTITION OF %s: the parent table is not created by the migrations read", t.QualifiedName(), pname)
			return
		}
		t.Columns = slices.Clone(parent.Columns)
	case c.punct("("):
		body := c.toks[c.i:sqllex.Closing(c.toks, c.i-1)]
		if !b.tableElements(t, body) {
			return
		}
	default:
		b.errorf(at, "CREATE TABLE %s without a column list (AS, OF a type): txscope cannot tell its columns", t.QualifiedName())
		return
	}
	b.schema.Tables[t.QualifiedName()] = t
}

// tableElements adds the columns among the elements of CREATE TABLE's list.
func (b *builder) tableElements(t *Table, body []sqllex.Token) bool {
	for _, el := range sqllex.SplitTop(body) {
		switch first := el[0]; {
		case isConstraint(el):
		case first.Is("like"):
			schema, name, _ := (&cursor{toks: el[1:]}).name()
			src := b.lookup(schema, name)
			if src == nil {
				b.errorf(first, "CREATE TABLE %s (LIKE %s): that table is not created by the migrations read", t.QualifiedName(), name)
				return false
			}
			t.Columns = append(t.Columns, src.Columns...)
		case first.IsName():
			t.Columns = append(t.Columns, first.Text)
		}
	}
	return true
}

// isConstraint reports whether a table element or ADD action is a
// constraint rather than a column.
func isConstraint(el []sqllex.Token) bool {
	switch first := el[0]; {
	case first.Is("constraint"), first.Is("primary"), first.Is("unique"), first.Is("check"), first.Is("foreign"):
		return true
	case first.Is("exclude"):
		// exclude is not reserved, so it may name a column too.
		return len(el) > 1 && (el[1].IsPunct("(") || el[1].Is("using"))
	}
	return false
}

func (b *builder) alterTable(c *cursor) {
	if c.words("all") {
		return
	}
	ifExists := c.words("if", "exists")
	c.words("only")
	at := c.peek()
	schema, name, ok := c.name()
	if !ok {
		return
	}
	c.punct("*")
	t := b.lookup(schema, name)
	if c.words("rename") {
		b.renameInTable(c, t, at, name, ifExists)
		return
	}
	if c.words("set", "schema") {
		if t != nil && c.peek().IsName() {
			b.moveTable(t, c.peek().Text, t.Name)
		}
		return
	}
	for _, action := range sqllex.SplitTop(c.rest()) {
		if t == nil {
			if !ifExists && alterMatters(action) {
				b.errorf(action[0], "ALTER TABLE %s: the table is not created by the migrations read", name)
			}
			continue
		}
		b.alterAction(t, &cursor{toks: action})
	}
}

// alterMatters reports whether an ALTER TABLE action changes what txscope
// records.
func alterMatters(action []sqllex.Token) bool {
	c := &cursor{toks: action}
	switch {
	case c.words("enable", "row"), c.words("disable", "row"), c.words("force", "row"), c.words("no", "force"), c.words("owner"):
		return true
	case c.words("add"), c.words("drop"):
		return !isConstraint(c.rest())
	}
	return false
}

func (b *builder) alterAction(t *Table, c *cursor) {
	switch {
	case c.words("enable", "row", "level", "security"):
		t.RLS = true
	case c.words("disable", "row", "level", "security"):
		t.RLS = false
	case c.words("force", "row", "level", "security"):
		t.Force = true
	case c.words("no", "force", "row", "level", "security"):
		t.Force = false
	case c.words("owner", "to"):
		t.Owner = roleName(c.peek())
	case c.words("add"):
		if len(c.rest()) == 0 || isConstraint(c.rest()) {
			return
		}
		c.words("column")
		ifNotExists := c.words("if", "not", "exists")
		if col := c.peek(); col.IsName() && !(ifNotExists && t.HasColumn(col.Text)) {
			t.Columns = append(t.Columns, col.Text)
		}
	case c.words("drop"):
		if len(c.rest()) == 0 || isConstraint(c.rest()) {
			return
		}
		c.words("column")
		c.words("if", "exists")
		if col := c.peek(); col.IsName() {
			t.Columns = slices.DeleteFunc(t.Columns, func(name string) bool { return name == col.Text })
		}
	}
}

// roleName is the role a token names; "" for CURRENT_USER and the like,
// which depend on who runs the migration.
func roleName(t sqllex.Token) string {
	switch {
	case t.Is("current_user"), t.Is("current_role"), t.Is("session_user"), !t.IsName():
		return ""
	}
	return t.Text
}

// renameInTable reads what follows ALTER TABLE name RENAME.
func (b *builder) renameInTable(c *cursor, t *Table, at sqllex.Token, name string, ifExists bool) {
	if c.words("constraint") {
		return
	}
	if t == nil {
		if !ifExists {
			b.errorf(at, "ALTER TABLE %s RENAME: the table is not created by the migrations read", name)
		}
		return
	}
	if c.words("to") {
		if c.peek().IsName() {
			b.moveTable(t, t.Schema, c.peek().Text)
		}
		return
	}
	c.words("column")
	from := c.peek()
	c.i++
	if !c.words("to") || !from.IsName() || !c.peek().IsName() {
		b.errorf(at, "ALTER TABLE %s RENAME: expected [COLUMN] old TO new", name)
		return
	}
	if i := slices.Index(t.Columns, from.Text); i >= 0 {
		t.Columns[i] = c.peek().Text
	}
}

// moveTable renames a table or moves it to another schema; its policies
// go with it.
func (b *builder) moveTable(t *Table, schema, name string) {
	delete(b.schema.Tables, t.QualifiedName())
	t.Schema, t.Name = schema, name
	b.schema.Tables[t.QualifiedName()] = t
	for _, p := range t.Policies {
		p.Table = t.QualifiedName()
	}
}

func (b *builder) dropTables(c *cursor) {
	c.words("if", "exists")
	for _, part := range sqllex.SplitTop(c.rest()) {
		schema, name, ok := (&cursor{toks: part}).name()
		if t := b.lookup(schema, name); ok && t != nil {
			delete(b.schema.Tables, t.QualifiedName())
		}
	}
}

func (b *builder) dropSchemas(c *cursor) {
	c.words("if", "exists")
	for _, part := range sqllex.SplitTop(c.rest()) {
		if !part[0].IsName() {
			continue
		}
		for qn, t := range b.schema.Tables {
			if t.Schema == part[0].Text {
				delete(b.schema.Tables, qn)
			}
		}
	}
}

// policyTable reads "name ON table" of CREATE, ALTER and DROP POLICY.
func (b *builder) policyTable(c *cursor, verb string) (string, *Table, bool) {
	at := c.peek()
	c.i++
	if !at.IsName() || !c.words("on") {
		b.errorf(at, "%s: expected name ON table", verb)
		return "", nil, false
	}
	schema, name, ok := c.name()
	if !ok {
		b.errorf(at, "%s %s: expected ON table", verb, at.Text)
		return "", nil, false
	}
	return at.Text, b.lookup(schema, name), true
}

func (b *builder) createPolicy(c *cursor) {
	start := c.toks[0]
	name, t, ok := b.policyTable(c, "CREATE POLICY")
	if !ok {
		return
	}
	if t == nil {
		b.errorf(start, "CREATE POLICY %s: its table is not created by the migrations read", name)
		return
	}
	if old := policy(t, name); old != nil {
		b.errorf(start, "policy %s on %s created again (first at %s)", name, t.QualifiedName(), old.Pos)
		return
	}
	p := &Policy{Name: name, Table: t.QualifiedName(), Command: "all", Roles: []string{"public"}, Pos: b.pos(start.Start)}
	if c.words("as") {
		p.Restrictive = c.words("restrictive")
		if !p.Restrictive && !c.words("permissive") {
			b.errorf(start, "CREATE POLICY %s: expected AS PERMISSIVE or AS RESTRICTIVE", name)
			return
		}
	}
	if c.words("for") {
		p.Command = c.peek().Text
		c.i++
		if !slices.Contains(commands, p.Command) {
			b.errorf(start, "CREATE POLICY %s: FOR %s is no command", name, p.Command)
			return
		}
	}
	if b.policyClauses(c, p, start) {
		t.Policies = append(t.Policies, p)
	}
}

// policyClauses reads [TO roles] [USING (…)] [WITH CHECK (…)] into p.
func (b *builder) policyClauses(c *cursor, p *Policy, start sqllex.Token) bool {
	if c.words("to") {
		p.Roles = nil
		for !c.done() && !c.peek().Is("using") && !c.peek().Is("with") {
			if t := c.peek(); t.IsName() {
				p.Roles = append(p.Roles, t.Text)
			}
			c.i++
		}
	}
	if c.words("using") && !b.expression(c, &p.Using, start) {
		return false
	}
	if c.words("with", "check") && !b.expression(c, &p.WithCheck, start) {
		return false
	}
	if !c.done() {
		b.errorf(c.peek(), "policy %s: unexpected %q", p.Name, c.peek().Text)
		return false
	}
	b.readPolicyExprs(p)
	return true
}

// expression reads a parenthesized expression, keeping its text as written.
func (b *builder) expression(c *cursor, text *string, start sqllex.Token) bool {
	if !c.punct("(") {
		b.errorf(start, "policy expression without parentheses")
		return false
	}
	end := sqllex.Closing(c.toks, c.i-1)
	if end == len(c.toks) {
		b.errorf(start, "policy expression not closed")
		return false
	}
	*text = strings.TrimSpace(b.src[c.toks[c.i-1].End:c.toks[end].Start])
	c.i = end + 1
	return true
}

// readPolicyExprs fills what the policy's expressions read, resolving
// subqueries' tables as PostgreSQL did when it created the policy.
func (b *builder) readPolicyExprs(p *Policy) {
	facts := readPolicy(p.Using, p.WithCheck)
	p.Settings, p.Calls, p.Reads = facts.settings, facts.calls, nil
	for _, name := range facts.reads {
		schema, table, _ := strings.Cut(name, ".")
		if table == "" {
			schema, table = "", schema
		}
		if t := b.lookup(schema, table); t != nil {
			name = t.QualifiedName()
		}
		p.Reads = append(p.Reads, name)
	}
}

func (b *builder) alterPolicy(c *cursor) {
	start := c.toks[0]
	name, t, ok := b.policyTable(c, "ALTER POLICY")
	if !ok {
		return
	}
	var p *Policy
	if t != nil {
		p = policy(t, name)
	}
	if p == nil {
		b.errorf(start, "ALTER POLICY %s: no such policy in the migrations read", name)
		return
	}
	if c.words("rename", "to") {
		p.Name = c.peek().Text
		return
	}
	b.policyClauses(c, p, start)
}

func (b *builder) dropPolicy(c *cursor) {
	c.words("if", "exists")
	name, t, ok := b.policyTable(c, "DROP POLICY")
	if ok && t != nil {
		t.Policies = slices.DeleteFunc(t.Policies, func(p *Policy) bool { return p.Name == name })
	}
}

// The commands a policy applies to.
var commands = []string{"all", "select", "insert", "update", "delete"}

func policy(t *Table, name string) *Policy {
	for _, p := range t.Policies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ReadExpressions fills what the policy's USING and WITH CHECK read:
// settings, functions called and tables, as written.
func (p *Policy) ReadExpressions() {
	facts := readPolicy(p.Using, p.WithCheck)
	p.Settings, p.Calls, p.Reads = facts.settings, facts.calls, facts.reads
}

// readPolicy reads both expressions of a policy; they are SQL text of
// their own, written or printed by PostgreSQL.
func readPolicy(using, withCheck string) exprFacts {
	var all exprFacts
	for _, text := range []string{using, withCheck} {
		toks, err := sqllex.Lex(text)
		if err != nil {
			continue
		}
		f := readExpr(toks)
		for _, s := range f.settings {
			if !slices.Contains(all.settings, s) {
				all.settings = append(all.settings, s)
			}
		}
		for _, c := range f.calls {
			if !slices.Contains(all.calls, c) {
				all.calls = append(all.calls, c)
			}
		}
		for _, r := range f.reads {
			if !slices.Contains(all.reads, r) {
				all.reads = append(all.reads, r)
			}
		}
	}
	return all
}

// cursor walks the tokens of a statement.
type cursor struct {
	toks []sqllex.Token
	i    int
}

// words consumes the keywords kws when the next tokens are exactly them.
func (c *cursor) words(kws ...string) bool {
	if c.i+len(kws) > len(c.toks) {
		return false
	}
	for j, kw := range kws {
		if !c.toks[c.i+j].Is(kw) {
			return false
		}
	}
	c.i += len(kws)
	return true
}

// punct consumes the punctuation p when it is next.
func (c *cursor) punct(p string) bool {
	if c.i < len(c.toks) && c.toks[c.i].IsPunct(p) {
		c.i++
		return true
	}
	return false
}

func (c *cursor) done() bool { return c.i >= len(c.toks) }

// peek is the next token; the zero Token (an empty word) at the end.
func (c *cursor) peek() sqllex.Token {
	if c.done() {
		return sqllex.Token{}
	}
	return c.toks[c.i]
}

func (c *cursor) rest() []sqllex.Token { return c.toks[c.i:] }

// name consumes a name, maybe schema-qualified; schema is "" when it is not.
func (c *cursor) name() (schema, name string, ok bool) {
	if c.done() || !c.peek().IsName() {
		return "", "", false
	}
	name = c.peek().Text
	c.i++
	if c.i+1 < len(c.toks) && c.toks[c.i].IsPunct(".") && c.toks[c.i+1].IsName() {
		schema, name = name, c.toks[c.i+1].Text
		c.i += 2
	}
	return schema, name, true
}
