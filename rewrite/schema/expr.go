package schema

import (
	"slices"
	"strings"

	"github.com/txscope/txscope/rules/sqllex"
)

// exprFacts is what a policy expression reads.
type exprFacts struct {
	settings []SettingRead
	calls    []string
	reads    []string // table names as written, maybe qualified
}

// Words that a '(' may follow without the pair being a function call.
var notCalls = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "exists": true, "any": true,
	"all": true, "some": true, "array": true, "cast": true, "row": true, "values": true,
	"select": true, "from": true, "where": true, "case": true, "when": true, "then": true,
	"else": true, "is": true, "like": true, "ilike": true, "between": true, "on": true,
	"using": true, "over": true, "filter": true, "within": true, "distinct": true,
	"lateral": true, "join": true, "as": true, "coalesce": true, "nullif": true,
	"greatest": true, "least": true, "with": true, "check": true,
	"extract": true, "position": true, "overlay": true, "trim": true, "substring": true,
}

// Words that end a FROM list.
var fromEnds = map[string]bool{
	"where": true, "group": true, "having": true, "order": true, "limit": true,
	"offset": true, "union": true, "intersect": true, "except": true, "window": true,
	"for": true,
}

// readExpr finds the current_setting calls, the other calls and the tables
// of subqueries in the tokens of an expression.
func readExpr(toks []sqllex.Token) exprFacts {
	var f exprFacts
	inSelect := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.Is("select"):
			inSelect = true
		// Outside a SELECT, FROM is extract(… FROM …), IS DISTINCT FROM
		// and the like.
		case inSelect && t.Is("from") && !toks[i-1].Is("distinct"):
			f.reads = append(f.reads, fromList(toks[i+1:])...)
		case t.IsName() && i+1 < len(toks) && toks[i+1].IsPunct("(") && !notCalls[t.Text] && !typeModifier(toks, i):
			name := calleeName(toks, i)
			if name == "current_setting" || name == "pg_catalog.current_setting" {
				read := settingRead(sqllex.SplitTop(toks[i+2 : sqllex.Closing(toks, i+1)]))
				if !slices.Contains(f.settings, read) {
					f.settings = append(f.settings, read)
				}
			} else if !slices.Contains(f.calls, name) {
				f.calls = append(f.calls, name)
			}
		}
	}
	return f
}

// typeModifier reports whether toks[i] is a type with modifiers, as in
// ::numeric(10, 2) or CAST(x AS varchar(20)).
func typeModifier(toks []sqllex.Token, i int) bool {
	return i > 0 && (toks[i-1].IsPunct("::") || toks[i-1].Is("as"))
}

// calleeName is the name called at toks[i], with its schema when written.
func calleeName(toks []sqllex.Token, i int) string {
	if i >= 2 && toks[i-1].IsPunct(".") && toks[i-2].IsName() {
		return toks[i-2].Text + "." + toks[i].Text
	}
	return toks[i].Text
}

// fromList reads the table names of a FROM list, joins included: names
// followed by '(' are functions, and '(' is a subquery that the caller's
// scan reaches anyway.
func fromList(toks []sqllex.Token) []string {
	var names []string
	depth := 0
	expectName := true
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.IsPunct("("):
			depth++
			expectName = false
		case t.IsPunct(")"):
			if depth == 0 {
				return names
			}
			depth--
		case depth > 0:
		case t.IsPunct(",") || t.Is("join"):
			expectName = true
		case t.Kind == sqllex.Word && fromEnds[t.Text]:
			return names
		case expectName && t.Is("lateral"), expectName && t.Is("only"):
		case expectName && t.IsName():
			name, n := qualified(toks[i:])
			i += n - 1
			expectName = false
			if i+1 < len(toks) && toks[i+1].IsPunct("(") {
				continue
			}
			names = append(names, name)
		default:
			expectName = false
		}
	}
	return names
}

// qualified reads a name, maybe schema-qualified, at the start of toks and
// returns it ("s.t", as PostgreSQL stores it) with the tokens it took.
func qualified(toks []sqllex.Token) (string, int) {
	name := toks[0].Text
	if len(toks) >= 3 && toks[1].IsPunct(".") && toks[2].IsName() {
		return name + "." + toks[2].Text, 3
	}
	return name, 1
}

// settingRead reads the arguments of current_setting: a literal name
// (maybe cast to text, as PostgreSQL prints it) and missing_ok.
func settingRead(args [][]sqllex.Token) SettingRead {
	var read SettingRead
	if len(args) > 0 {
		if name := uncast(args[0]); len(name) == 1 && name[0].Kind == sqllex.String {
			read.Name = strings.ToLower(name[0].Text)
		}
	}
	if len(args) > 1 {
		if ok := uncast(args[1]); len(ok) == 1 {
			read.MissingOK = ok[0].Is("true") || ok[0].Kind == sqllex.String && isTrue(ok[0].Text)
		}
	}
	return read
}

// uncast drops parentheses around a value and casts after it.
func uncast(toks []sqllex.Token) []sqllex.Token {
	for len(toks) > 2 && toks[0].IsPunct("(") && sqllex.Closing(toks, 0) == len(toks)-1 {
		toks = toks[1 : len(toks)-1]
	}
	for i, t := range toks {
		if t.IsPunct("::") {
			return toks[:i]
		}
	}
	return toks
}

// isTrue is PostgreSQL's boolean input for true.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "tr", "tru", "true", "y", "ye", "yes", "on", "1":
		return true
	}
	return false
}
