package rules

import (
	"slices"
	"strings"

	"github.com/txscope/txscope/rules/sqllex"
)

// Tables are the tables a statement, call or helper reads and writes, as
// far as its SQL text tells. AnyRead and AnyWrite stand for every table: the
// text is not a constant or cannot be read, the effect comes from a rule
// that names no table, or the statement can reach tables its text does not
// name (DDL, CALL, DO, a set-returning function in FROM, DELETE and
// TRUNCATE, which may cascade through foreign keys).
//
// Names are as written, lower-cased unless quoted, schema kept ("s.t");
// two names are the same table when their last parts are equal, so a
// schema-qualified name and a bare one never pass for different tables.
// Triggers are not seen: a table written only by a trigger is not named.
type Tables struct {
	Read, Write       []string
	AnyRead, AnyWrite bool
}

// AnyTable is what an effect that names no table touches.
var AnyTable = Tables{AnyRead: true, AnyWrite: true}

// TablesFor is what an effect touches when nothing names its tables: no
// table for pure and slow code, every table for the rest.
func TablesFor(e Effect) Tables {
	switch {
	case e&^Slow == Pure:
		return Tables{}
	case e&^(Read|Slow) == Pure:
		return Tables{AnyRead: true}
	}
	return AnyTable
}

// Union is every table either touches.
func (t Tables) Union(u Tables) Tables {
	out := Tables{AnyRead: t.AnyRead || u.AnyRead, AnyWrite: t.AnyWrite || u.AnyWrite}
	out.Read = addNames(addNames(nil, t.Read), u.Read)
	out.Write = addNames(addNames(nil, t.Write), u.Write)
	return out
}

// Empty reports whether t touches no table.
func (t Tables) Empty() bool {
	return !t.AnyRead && !t.AnyWrite && len(t.Read) == 0 && len(t.Write) == 0
}

// Writes reports whether t writes some table.
func (t Tables) Writes() bool { return t.AnyWrite || len(t.Write) > 0 }

// Conflict names a table one of t and u writes and the other touches, ""
// when they touch disjoint tables (or only read the same ones): "*" when
// that is any table.
func (t Tables) Conflict(u Tables) string {
	if c := writeConflict(t, u); c != "" {
		return c
	}
	return writeConflict(u, t)
}

// writeConflict is a table w writes that r reads or writes.
func writeConflict(w, r Tables) string {
	if !w.Writes() {
		return ""
	}
	touched := append(append([]string{}, r.Read...), r.Write...)
	switch {
	case w.AnyWrite && (r.AnyRead || r.AnyWrite || len(touched) > 0):
		if len(touched) > 0 {
			return touched[0]
		}
		return "*"
	case r.AnyRead || r.AnyWrite:
		return w.Write[0]
	}
	for _, a := range w.Write {
		for _, b := range touched {
			if sameTable(a, b) {
				return a
			}
		}
	}
	return ""
}

// String lists the tables: "reads customers, orders; writes session_activity".
func (t Tables) String() string {
	var parts []string
	if s := namesString(t.Read, t.AnyRead); s != "" {
		parts = append(parts, "reads "+s)
	}
	if s := namesString(t.Write, t.AnyWrite); s != "" {
		parts = append(parts, "writes "+s)
	}
	if len(parts) == 0 {
		return "no table"
	}
	return strings.Join(parts, "; ")
}

func namesString(names []string, any bool) string {
	if any {
		return "any table"
	}
	return strings.Join(names, ", ")
}

func sameTable(a, b string) bool { return lastPart(a) == lastPart(b) }

func lastPart(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func addNames(list, names []string) []string {
	for _, n := range names {
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	slices.Sort(list)
	return list
}

// SQLTables reads the tables a query reads and writes. Text that does not
// lex, or a statement it cannot read, touches any table.
func SQLTables(query string) Tables {
	toks, err := sqllex.Lex(query)
	if err != nil {
		return AnyTable
	}
	var out Tables
	stmts := splitStatements(toks)
	if len(stmts) == 0 {
		return AnyTable
	}
	for _, stmt := range stmts {
		out = out.Union(statementTables(stmt))
	}
	return out
}

// Statement heads that touch no table.
var tablelessHeads = map[string]bool{
	"set": true, "reset": true, "show": true, "begin": true, "start": true, "commit": true,
	"end": true, "rollback": true, "abort": true, "savepoint": true, "release": true,
	"values": true, "listen": true, "unlisten": true, "notify": true, "discard": true,
	"prepare": true,
}

// Functions that read no table when they appear in FROM.
var tablelessSRFs = map[string]bool{
	"generate_series": true, "generate_subscripts": true, "unnest": true,
	"json_each": true, "jsonb_each": true, "json_each_text": true, "jsonb_each_text": true,
	"json_array_elements": true, "jsonb_array_elements": true,
	"json_array_elements_text": true, "jsonb_array_elements_text": true,
	"json_to_recordset": true, "jsonb_to_recordset": true,
	"json_populate_recordset": true, "jsonb_populate_recordset": true,
	"regexp_matches": true, "regexp_split_to_table": true, "string_to_table": true,
}

// Functions whose FROM is part of their arguments, not a table.
var fromFuncs = map[string]bool{"extract": true, "substring": true, "trim": true, "overlay": true, "position": true}

// Words after which a name is not an alias of the table before.
var clauseWords = map[string]bool{
	"where": true, "group": true, "order": true, "limit": true, "offset": true, "having": true,
	"window": true, "union": true, "intersect": true, "except": true, "returning": true,
	"on": true, "using": true, "join": true, "inner": true, "left": true, "right": true,
	"full": true, "cross": true, "natural": true, "set": true, "for": true, "fetch": true,
	"values": true, "select": true, "default": true, "when": true, "then": true, "lateral": true,
	"tablesample": true, "do": true, "from": true, "into": true, "as": true,
}

// statementTables reads one statement's tables.
func statementTables(toks []sqllex.Token) Tables {
	for len(toks) > 0 && toks[0].IsPunct("(") {
		toks = toks[1:]
	}
	if len(toks) == 0 || toks[0].Kind != sqllex.Word {
		return AnyTable
	}
	head := toks[0].Text
	switch {
	case tablelessHeads[head]:
		return Tables{}
	case head == "explain":
		e, _ := explain(toks[1:])
		if e == Read {
			return Tables{}
		}
	case head == "copy":
		if len(toks) > 1 && toks[1].Kind != sqllex.Punct {
			name, _, ok := readName(toks, 1)
			if !ok {
				return AnyTable
			}
			if copyDirection(toks) == "to" {
				return Tables{Read: []string{name}}
			}
			return Tables{Write: []string{name}, Read: []string{name}}
		}
		if copyDirection(toks) != "to" {
			return AnyTable
		}
	case head == "delete" || head == "truncate":
		// Both may cascade to tables their text does not name.
		return AnyTable
	case head != "select" && head != "with" && head != "table" && head != "insert" && head != "update" && head != "merge":
		return AnyTable
	}
	s := tableScan{ctes: cteNames(toks)}
	s.scan(toks)
	if s.any {
		return AnyTable
	}
	return s.out
}

// tableScan collects the tables of one statement's tokens.
type tableScan struct {
	ctes map[string]bool
	out  Tables
	any  bool
}

func (s *tableScan) read(name string) {
	if !s.ctes[name] {
		s.out.Read = addNames(s.out.Read, []string{name})
	}
}

func (s *tableScan) write(name string) {
	s.out.Write = addNames(s.out.Write, []string{name})
	s.out.Read = addNames(s.out.Read, []string{name})
}

func (s *tableScan) scan(toks []sqllex.Token) {
	var parens []string // the word before each open '(' (a function's name), "" if none
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		prev := sqllex.Token{}
		if i > 0 {
			prev = toks[i-1]
		}
		switch {
		case t.IsPunct("("):
			opener := ""
			if prev.Kind == sqllex.Word || prev.Kind == sqllex.Ident {
				opener = prev.Text
			}
			parens = append(parens, opener)
		case t.IsPunct(")"):
			if len(parens) > 0 {
				parens = parens[:len(parens)-1]
			}
		case t.Is("from") || t.Is("join"):
			if t.Is("from") && (prev.Is("distinct") || len(parens) > 0 && fromFuncs[parens[len(parens)-1]]) {
				continue
			}
			if t.Is("from") && prev.Is("delete") {
				s.any = true
				return
			}
			s.fromList(toks, i+1)
		case t.Is("using") && !(i+1 < len(toks) && toks[i+1].IsPunct("(")):
			s.fromList(toks, i+1)
		case t.Is("into"):
			if !(prev.Is("insert") || prev.Is("merge")) {
				s.any = true // SELECT … INTO creates a table
				return
			}
			if name, _, ok := readName(toks, i+1); ok {
				s.write(name)
			} else {
				s.any = true
				return
			}
		case t.Is("update") && !prev.Is("for") && !prev.Is("key") && !prev.Is("do") && !prev.Is("no") && !prev.Is("then"):
			j := i + 1
			if j < len(toks) && toks[j].Is("only") {
				j++
			}
			if name, _, ok := readName(toks, j); ok {
				s.write(name)
			} else {
				s.any = true
				return
			}
		case t.Is("delete") && i > 0:
			s.any = true // a DELETE in a WITH may cascade
			return
		case t.Is("table") && (i == 0 || prev.IsPunct("(")):
			if name, _, ok := readName(toks, i+1); ok {
				s.read(name)
			}
		case (t.Kind == sqllex.Word || t.Kind == sqllex.Ident) && i+1 < len(toks) && toks[i+1].IsPunct("("):
			if funcEffects[t.Text]&Write != 0 {
				s.any = true // nextval, pg_notify, …: what they write is no table of the text
				return
			}
		}
	}
}

// fromList reads the FROM items starting at toks[i]: tables, and each
// further item after a ',' at the same depth.
func (s *tableScan) fromList(toks []sqllex.Token, i int) {
	for i < len(toks) {
		for i < len(toks) && (toks[i].Is("only") || toks[i].Is("lateral")) {
			i++
		}
		if i >= len(toks) {
			return
		}
		var next int
		switch {
		case toks[i].IsPunct("("):
			next = sqllex.Closing(toks, i) + 1 // a subquery: its tokens are scanned on their own
		default:
			name, j, ok := readName(toks, i)
			if !ok {
				return
			}
			if j < len(toks) && toks[j].IsPunct("(") {
				if !tablelessSRFs[lastPart(name)] {
					s.any = true // a function in FROM may read any table
				}
				next = sqllex.Closing(toks, j) + 1
			} else {
				s.read(name)
				next = j
			}
		}
		next = skipAlias(toks, next)
		if next >= len(toks) || !toks[next].IsPunct(",") {
			return
		}
		i = next + 1
	}
}

// skipAlias skips `[AS] alias [(columns)]` after a FROM item.
func skipAlias(toks []sqllex.Token, i int) int {
	if i < len(toks) && toks[i].Is("as") {
		i++
	}
	if i < len(toks) && (toks[i].Kind == sqllex.Ident || toks[i].Kind == sqllex.Word && !clauseWords[toks[i].Text]) {
		i++
		if i < len(toks) && toks[i].IsPunct("(") {
			i = sqllex.Closing(toks, i) + 1
		}
	}
	return i
}

// readName reads a possibly qualified name at toks[i] and returns it with
// the index after it.
func readName(toks []sqllex.Token, i int) (string, int, bool) {
	var parts []string
	for i < len(toks) {
		t := toks[i]
		if t.Kind != sqllex.Ident && (t.Kind != sqllex.Word || clauseWords[t.Text] && len(parts) == 0) {
			break
		}
		parts = append(parts, t.Text)
		i++
		if i+1 < len(toks) && toks[i].IsPunct(".") {
			i++
			continue
		}
		break
	}
	if len(parts) == 0 {
		return "", i, false
	}
	return strings.Join(parts, "."), i, true
}

// cteNames are the names a WITH defines: `name [(cols)] AS [[NOT]
// MATERIALIZED] (`, each after WITH, RECURSIVE or ','.
func cteNames(toks []sqllex.Token) map[string]bool {
	names := map[string]bool{}
	for i := 1; i < len(toks); i++ {
		p := toks[i-1]
		if !(p.Is("with") || p.Is("recursive") || p.IsPunct(",")) || !(toks[i].Kind == sqllex.Word || toks[i].Kind == sqllex.Ident) {
			continue
		}
		j := i + 1
		if j < len(toks) && toks[j].IsPunct("(") {
			j = sqllex.Closing(toks, j) + 1
		}
		if j < len(toks) && toks[j].Is("as") {
			names[toks[i].Text] = true
		}
	}
	return names
}
