package rules

import (
	"strings"

	"github.com/txscope/txscope/rules/sqllex"
)

// Functions whose call gives a statement an effect of its own.
var funcEffects = map[string]Effect{
	"nextval": Write,
	"setval":  Write,
	// Depend on an earlier nextval of the same session.
	"currval":    TxState,
	"lastval":    TxState,
	"set_config": TxState,

	"pg_advisory_xact_lock":            Locking,
	"pg_advisory_xact_lock_shared":     Locking,
	"pg_try_advisory_xact_lock":        Locking,
	"pg_try_advisory_xact_lock_shared": Locking,
	// Session-level advisory locks outlive the transaction.
	"pg_advisory_lock":            Write | Locking,
	"pg_advisory_lock_shared":     Write | Locking,
	"pg_try_advisory_lock":        Write | Locking,
	"pg_try_advisory_lock_shared": Write | Locking,
	"pg_advisory_unlock":          Write | Locking,
	"pg_advisory_unlock_shared":   Write | Locking,
	"pg_advisory_unlock_all":      Write | Locking,

	"pg_notify":            Write,
	"dblink_exec":          Write,
	"pg_terminate_backend": Write,
	"pg_cancel_backend":    Write,
	"lo_create":            Write,
	"lo_creat":             Write,
	"lo_unlink":            Write,
	"lo_import":            Write,
	"lo_from_bytea":        Write,
	"lo_put":               Write,
	"lowrite":              Write,
	"lo_truncate":          Write,
	// A large-object descriptor lives until the end of the transaction.
	"lo_open": TxState,
}

// scan is what a pass over a statement's tokens found.
type scan struct {
	funcs    Effect      // effects of the functions called
	lock     bool        // FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE
	modifies bool        // INSERT/UPDATE/DELETE/MERGE as a data-modifying CTE or main statement
	into     bool        // SELECT … INTO creates a table
	setting  *SettingUse // the first set_config call
}

func (s scan) locking() Effect {
	if s.lock {
		return Locking
	}
	return Pure
}

var modifyingHeads = map[string]bool{"insert": true, "update": true, "delete": true, "merge": true}

// scanStatement looks at every token of a statement for calls, locking
// clauses, SELECT INTO and data-modifying statements nested in a WITH.
func scanStatement(toks []sqllex.Token) scan {
	var s scan
	with := toks[0].Is("with")
	depth := 0
	for i, t := range toks {
		switch {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			depth--
		case t.Kind == sqllex.Word && modifyingHeads[t.Text] && i > 0 &&
			(toks[i-1].IsPunct("(") || with && depth == 0 && toks[i-1].IsPunct(")")):
			s.modifies = true
		case t.Is("for"):
			s.lock = s.lock || lockClause(toks[i+1:])
		case t.Is("into"):
			s.into = true
		case (t.Kind == sqllex.Word || t.Kind == sqllex.Ident) && i+1 < len(toks) && toks[i+1].IsPunct("("):
			s.call(toks, i)
		}
	}
	return s
}

// call records the effect of the function called at toks[i].
func (s *scan) call(toks []sqllex.Token, i int) {
	name := toks[i].Text
	if toks[i].Kind == sqllex.Word || strings.ToLower(name) == name {
		s.funcs |= funcEffects[name]
	}
	switch {
	case name != "set_config":
	case s.setting == nil:
		s.setting = SetConfig(callArgs(toks, i+1))
	default:
		s.setting.More = true
	}
}

// lockClause reports whether toks (after FOR) is a row-locking clause.
func lockClause(toks []sqllex.Token) bool {
	var words []string
	for _, t := range toks[:min(3, len(toks))] {
		if t.Kind != sqllex.Word {
			break
		}
		words = append(words, t.Text)
	}
	clause := strings.Join(words, " ") + " "
	for _, c := range []string{"update ", "share ", "no key update ", "key share "} {
		if strings.HasPrefix(clause, c) {
			return true
		}
	}
	return false
}

// callArgs splits the arguments of the call whose '(' is at toks[open].
func callArgs(toks []sqllex.Token, open int) [][]sqllex.Token {
	end := sqllex.Closing(toks, open)
	var args [][]sqllex.Token
	start, depth := open+1, 0
	for i := open + 1; i < end; i++ {
		switch {
		case toks[i].IsPunct("("):
			depth++
		case toks[i].IsPunct(")"):
			depth--
		case toks[i].IsPunct(",") && depth == 0:
			args = append(args, toks[start:i])
			start = i + 1
		}
	}
	if end > start {
		args = append(args, toks[start:end])
	}
	return args
}

// OnlySets reports whether query does nothing but set parameters: SET
// statements, or a SELECT of set_config calls with nothing around them (no
// FROM or WHERE that could skip one, no other column).
func OnlySets(query string) bool {
	toks, err := sqllex.Lex(query)
	if err != nil {
		return false
	}
	stmts := splitStatements(toks)
	for _, stmt := range stmts {
		switch {
		case stmt[0].Is("set"):
		case stmt[0].Is("select"):
			for i := 1; i < len(stmt); {
				if !stmt[i].Is("set_config") || i+1 >= len(stmt) || !stmt[i+1].IsPunct("(") {
					return false
				}
				i = sqllex.Closing(stmt, i+1) + 1
				if i < len(stmt) && !stmt[i].IsPunct(",") {
					return false
				}
				i++
			}
		default:
			return false
		}
	}
	return len(stmts) > 0
}

// SetConfig reads the arguments of set_config(name, value, is_local).
func SetConfig(args [][]sqllex.Token) *SettingUse {
	set := &SettingUse{Func: true}
	if len(args) > 0 && len(args[0]) == 1 && args[0][0].Kind == sqllex.String {
		set.Name = strings.ToLower(args[0][0].Text)
	}
	if len(args) > 1 {
		set.Value = args[1]
		set.Bound = Bound(args[1])
	}
	if len(args) > 2 && len(args[2]) == 1 {
		t := args[2][0]
		set.Local = t.Is("true") || t.Kind == sqllex.String && isTrue(t.Text)
	}
	return set
}

// Bound reports whether a value is a bind parameter (possibly cast), not
// text formatted into the query.
func Bound(val []sqllex.Token) bool {
	param := false
	for _, t := range val {
		switch t.Kind {
		case sqllex.Param:
			param = true
		case sqllex.String, sqllex.Number:
			return false
		}
	}
	return param
}

func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "t", "on", "yes", "y", "1":
		return true
	}
	return false
}

// parseSet reads what follows SET: [SESSION|LOCAL] name {TO|=} value, and
// the special forms (TIME ZONE, ROLE, TRANSACTION, …).
func parseSet(toks []sqllex.Token) *SettingUse {
	set := &SettingUse{}
	if len(toks) > 0 && (toks[0].Is("local") || toks[0].Is("session") && !(len(toks) > 1 && (toks[1].Is("authorization") || toks[1].Is("characteristics")))) {
		set.Local = toks[0].Is("local")
		toks = toks[1:]
	}
	name, rest := settingName(toks)
	if name == "transaction" || name == "constraints" {
		// Transaction-local state, but no configuration parameter.
		return nil
	}
	set.Name = name
	if len(rest) > 0 && (rest[0].Is("to") || rest[0].IsPunct("=")) {
		rest = rest[1:]
	}
	set.Value = rest
	set.Bound = Bound(rest)
	return set
}

// parseReset reads what follows RESET: a name or ALL.
func parseReset(toks []sqllex.Token) *SettingUse {
	name, _ := settingName(toks)
	if name == "all" {
		name = ""
	}
	return &SettingUse{Name: name}
}

// Multi-word and alias forms of SET and RESET, and the parameter they set.
var settingAliases = map[string]string{
	"time zone": "timezone", "session authorization": "session_authorization",
	"session characteristics": "transaction", "names": "client_encoding", "schema": "search_path",
}

// settingName reads a parameter name (possibly dotted or quoted) and
// returns it lower-cased with the tokens after it.
func settingName(toks []sqllex.Token) (string, []sqllex.Token) {
	if len(toks) >= 2 {
		if alias, ok := settingAliases[toks[0].Text+" "+toks[1].Text]; ok && toks[0].Kind == sqllex.Word {
			return alias, toks[2:]
		}
	}
	var b strings.Builder
	i := 0
	for i < len(toks) && (toks[i].Kind == sqllex.Word && !toks[i].Is("to") || toks[i].Kind == sqllex.Ident) {
		b.WriteString(strings.ToLower(toks[i].Text))
		i++
		if i+1 >= len(toks) || !toks[i].IsPunct(".") {
			break
		}
		b.WriteString(".")
		i++
	}
	name := b.String()
	if alias, ok := settingAliases[name]; ok {
		name = alias
	}
	return name, toks[i:]
}
