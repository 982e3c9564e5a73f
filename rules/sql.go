package rules

import "github.com/txscope/txscope/rules/sqllex"

// SQLInfo is what the text of a query tells about its effect.
type SQLInfo struct {
	Effect  Effect      // Read, Write, Locking, TxState, TxControl; Unknown when the text can't be read
	Setting *SettingUse // non-nil when the text sets a configuration parameter (the first one)
}

// SettingUse is a configuration parameter set by a statement.
type SettingUse struct {
	Name  string // "app.current_tenant_id" (lower case); "" if not a literal, or RESET ALL
	Local bool   // set_config(..., true) or SET LOCAL; false when the flag is not a literal
	Bound bool   // value is a bind parameter ($1, ?, @name, :name), not formatted into the text
	Func  bool   // set_config(...) rather than SET or RESET
	// Value is the SQL of the value set, for the bind parameter it names.
	Value []sqllex.Token
	More  bool // the text sets other parameters too
}

// ClassifySQL reads PostgreSQL text and returns its effect. Comments,
// leading parentheses and several statements separated by ';' are handled;
// keywords are case-insensitive and quoted identifiers and literals never
// count as keywords. Empty or unrecognised text is Unknown.
func ClassifySQL(query string) SQLInfo {
	toks, err := sqllex.Lex(query)
	ok := err == nil
	if !ok {
		return SQLInfo{Effect: Unknown}
	}
	var info SQLInfo
	stmts := 0
	for _, stmt := range splitStatements(toks) {
		e, set := classifyStatement(stmt)
		info.Effect |= e
		if info.Setting == nil {
			info.Setting = set
		} else if set != nil {
			info.Setting.More = true
		}
		stmts++
	}
	if stmts == 0 {
		info.Effect = Unknown
	}
	return info
}

// splitStatements splits tokens at ';', dropping empty statements.
func splitStatements(toks []sqllex.Token) [][]sqllex.Token {
	var stmts [][]sqllex.Token
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && !toks[i].IsPunct(";") {
			continue
		}
		if i > start {
			stmts = append(stmts, toks[start:i])
		}
		start = i + 1
	}
	return stmts
}

// Statement heads by effect. The read-like heads (SELECT, WITH, …), SET,
// RESET, EXPLAIN and COPY are decided in classifyStatement.
var statementHeads = map[string]Effect{
	"insert": Write, "update": Write, "delete": Write, "merge": Write,
	"create": Write, "alter": Write, "drop": Write, "truncate": Write,
	"grant": Write, "revoke": Write, "comment": Write, "call": Write,
	"do": Write, "refresh": Write, "vacuum": Write, "analyze": Write,
	"analyse": Write, "cluster": Write, "reindex": Write, "notify": Write,
	"listen": Write, "unlisten": Write, "discard": Write, "checkpoint": Write,
	"security": Write, "import": Write, "reassign": Write, "load": Write,
	"lock":  Locking | Write,
	"begin": TxControl, "start": TxControl, "commit": TxControl, "end": TxControl,
	"rollback": TxControl, "abort": TxControl, "savepoint": TxControl, "release": TxControl,
	// Cursors live in the transaction; later FETCHes depend on the DECLARE.
	"declare": Read | TxState, "fetch": Read | TxState, "move": Read | TxState, "close": TxState,
}

// classifyStatement classifies one statement.
func classifyStatement(toks []sqllex.Token) (Effect, *SettingUse) {
	for len(toks) > 0 && toks[0].IsPunct("(") {
		toks = toks[1:]
	}
	if len(toks) == 0 || toks[0].Kind != sqllex.Word {
		return Unknown, nil
	}
	s := scanStatement(toks)
	switch head := toks[0].Text; head {
	case "select", "with", "values", "table", "show":
		return s.readEffect(), s.setting
	case "explain":
		return explain(toks[1:])
	case "set":
		return TxState, parseSet(toks[1:])
	case "reset":
		return TxState, parseReset(toks[1:])
	case "copy":
		if copyDirection(toks) == "to" {
			return s.readEffect(), s.setting
		}
		return Write | s.funcs | s.locking(), s.setting
	case "prepare":
		if len(toks) > 1 && toks[1].Is("transaction") {
			return TxControl, nil
		}
		return Unknown, nil
	default:
		e, ok := statementHeads[head]
		if !ok {
			return Unknown, nil
		}
		if e == Write {
			e |= s.funcs | s.locking()
		}
		return e, s.setting
	}
}

// readEffect is the effect of a SELECT-like statement: Read, unless it
// calls functions with effects (then those effects), modifies data in a
// CTE or creates a table with SELECT INTO (Write); a locking clause adds
// Read|Locking.
func (s scan) readEffect() Effect {
	e := Read
	if s.funcs != 0 || s.modifies || s.into {
		e = s.funcs
	}
	if s.modifies || s.into {
		e |= Write
	}
	if s.lock {
		e |= Read | Locking
	}
	return e
}

// explain classifies EXPLAIN: a read, unless ANALYZE runs the statement.
func explain(toks []sqllex.Token) (Effect, *SettingUse) {
	analyze := false
	if len(toks) > 0 && toks[0].IsPunct("(") {
		end := sqllex.Closing(toks, 0)
		for i := 1; i < end; i++ {
			if toks[i].Is("analyze") || toks[i].Is("analyse") {
				analyze = i+1 >= end || !(toks[i+1].Is("false") || toks[i+1].Is("off") || toks[i+1].Text == "0")
			}
		}
		toks = toks[min(end+1, len(toks)):]
	}
	for len(toks) > 0 && (toks[0].Is("analyze") || toks[0].Is("analyse") || toks[0].Is("verbose")) {
		analyze = analyze || !toks[0].Is("verbose")
		toks = toks[1:]
	}
	if !analyze {
		return Read, nil
	}
	return classifyStatement(toks)
}

// copyDirection returns "to" or "from", the first of them outside parentheses.
func copyDirection(toks []sqllex.Token) string {
	depth := 0
	for _, t := range toks {
		switch {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			depth--
		case depth == 0 && (t.Is("to") || t.Is("from")):
			return t.Text
		}
	}
	return ""
}
