package rules

import (
	"strings"

	"github.com/txscope/txscope/rules/sqllex"
)

// Isolation is a transaction isolation level, as PostgreSQL names it in
// lower case; IsolationUnknown when it could not be read.
type Isolation string

// Isolation levels. PostgreSQL runs READ UNCOMMITTED as READ COMMITTED.
const (
	IsolationUnknown Isolation = ""
	ReadCommitted    Isolation = "read committed"
	RepeatableRead   Isolation = "repeatable read"
	Serializable     Isolation = "serializable"
)

// String is the level in SQL's upper case: "READ COMMITTED", "unknown".
func (i Isolation) String() string {
	if i == IsolationUnknown {
		return "unknown"
	}
	return strings.ToUpper(string(i))
}

// ParseIsolation reads a level as written in SQL, pgx (pgx.Serializable's
// value), database/sql (sql.LevelSerializable's name without Level) or
// txscope.yaml: case, spaces, '_' and '-' do not matter.
func ParseIsolation(s string) (Isolation, bool) {
	norm := strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '_' || r == '-' || r == '\t'
	}), "")
	switch norm {
	case "readcommitted", "readuncommitted":
		return ReadCommitted, true
	case "repeatableread", "snapshot":
		return RepeatableRead, true
	case "serializable", "linearizable":
		return Serializable, true
	}
	return IsolationUnknown, false
}

// SQLIsolation finds the isolation level a text sets: SET TRANSACTION
// ISOLATION LEVEL …, SET SESSION CHARACTERISTICS AS TRANSACTION …,
// BEGIN/START TRANSACTION ISOLATION LEVEL …. ok is false when the text sets
// none; a level it cannot read is IsolationUnknown with ok true.
func SQLIsolation(query string) (level Isolation, ok bool) {
	toks, err := sqllex.Lex(query)
	if err != nil {
		return IsolationUnknown, false
	}
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].Is("isolation") || !toks[i+1].Is("level") {
			continue
		}
		var words []string
		for _, t := range toks[i+2 : min(i+4, len(toks))] {
			if t.Kind != sqllex.Word {
				break
			}
			words = append(words, t.Text)
		}
		for n := len(words); n > 0; n-- {
			if l, found := ParseIsolation(strings.Join(words[:n], " ")); found {
				return l, true
			}
		}
		return IsolationUnknown, true
	}
	return IsolationUnknown, false
}
