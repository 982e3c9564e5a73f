package tenantpool

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrRefused is wrapped by the error for a statement a Handle or an
// SQLHandle does not send: transaction control (BEGIN, COMMIT, ROLLBACK,
// END, ABORT, SAVEPOINT, RELEASE, START TRANSACTION, PREPARE TRANSACTION)
// would end the transaction that scopes the tenant, so the statements after
// it would run with whatever the server connection carries (another
// client's tenant, behind a pooler); a session-level SET, RESET or
// set_config(…, false) would outlive the call on a connection other clients
// get next.
var ErrRefused = errors.New("tenantpool: statement refused")

// refuseSQL checks every statement of sql, whose bind parameters take args,
// before any is sent. It reads the SQL text only: a procedure or function
// that commits, or a set_config whose third argument is an expression, goes
// unseen.
func refuseSQL(sql string, args []any) error {
	for _, stmt := range statements(sql) {
		if why := stmt.hazard(args); why != "" {
			return fmt.Errorf("%w: %q %s", ErrRefused, excerpt(stmt.text), why)
		}
	}
	return nil
}

const (
	whyTxControl = "ends the transaction that scopes the tenant, so what follows would run without it: control transactions on a transaction, not on a tenantpool handle"
	whySet       = "changes a setting for the session, which outlives the call on a pooled connection: use SET LOCAL"
	whySetConfig = "sets a setting for the session, which outlives the call on a pooled connection: pass true as set_config's third argument"
)

// hazard says why the statement must not run on a handle, or "".
func (s statement) hazard(args []any) string {
	words := s.leadingWords(2)
	switch first := words[0]; first {
	case "begin", "commit", "rollback", "end", "abort", "savepoint", "release":
		return whyTxControl
	case "start", "prepare":
		if words[1] == "transaction" {
			return whyTxControl
		}
	case "reset":
		return whySet
	case "set":
		// SET LOCAL, SET TRANSACTION and SET CONSTRAINTS last for the
		// transaction; SET SESSION and a bare SET for the session.
		if words[1] != "local" && words[1] != "transaction" && words[1] != "constraints" {
			return whySet
		}
	}
	if s.setsConfigForSession(args) {
		return whySetConfig
	}
	return ""
}

// leadingWords are the statement's first n tokens, lower-cased when they
// are words and "" when they are not or are missing.
func (s statement) leadingWords(n int) []string {
	words := make([]string, n)
	for i := 0; i < n && i < len(s.tokens); i++ {
		if t := s.tokens[i]; t.kind == tokWord {
			words[i] = t.text
		}
	}
	return words
}

// setsConfigForSession finds a call set_config(a, b, c) whose c is false:
// a literal, or a bind parameter whose argument is.
func (s statement) setsConfigForSession(args []any) bool {
	for i, t := range s.tokens {
		if t.kind != tokWord || t.text != "set_config" || i+1 == len(s.tokens) || s.tokens[i+1].text != "(" {
			continue
		}
		if third := callArgument(s.tokens[i+2:], 2); third != nil && isFalse(third, args) {
			return true
		}
	}
	return false
}

// callArgument returns the tokens of argument n of a call whose argument
// list starts at tokens[0]; nil when there is none.
func callArgument(tokens []token, n int) []token {
	depth, arg, start := 0, 0, 0
	for i, t := range tokens {
		switch {
		case t.text == "(":
			depth++
		case t.text == ")" && depth == 0, t.text == "," && depth == 0:
			if arg == n {
				return tokens[start:i]
			}
			if t.text == ")" {
				return nil
			}
			arg, start = arg+1, i+1
		case t.text == ")":
			depth--
		}
	}
	return nil
}

// isFalse reports whether an argument is false: FALSE, a string that
// PostgreSQL reads as false, or a bind parameter bound to either; a cast
// (false::boolean) changes nothing.
func isFalse(arg []token, args []any) bool {
	if len(arg) == 3 && arg[1].text == "::" && arg[2].kind == tokWord {
		arg = arg[:1]
	}
	if len(arg) != 1 {
		return false
	}
	switch t := arg[0]; t.kind {
	case tokWord:
		return t.text == "false"
	case tokString:
		return falseText(t.text)
	case tokParam:
		n, err := strconv.Atoi(t.text[1:])
		if err != nil || n < 1 || n > len(args) {
			return false
		}
		switch v := args[n-1].(type) {
		case bool:
			return !v
		case string:
			return falseText(v)
		}
	}
	return false
}

// falseText is PostgreSQL's boolean input for false.
func falseText(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0":
		return true
	}
	return false
}

// excerpt shortens a statement for an error message.
func excerpt(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// A statement is the tokens of SQL text between semicolons.
type statement struct {
	text   string
	tokens []token
}

type tokenKind int

const (
	tokWord   tokenKind = iota // keyword or identifier, lower-cased
	tokString                  // string literal; text is its value
	tokParam                   // $1
	tokOther                   // punctuation ("::" is one), numbers, quoted identifiers
)

type token struct {
	kind       tokenKind
	text       string
	start, end int // byte offsets in the SQL
}

// statements splits sql into statements, skipping comments and the
// contents of literals and quoted identifiers, where a keyword or a
// semicolon means nothing.
func statements(sql string) []statement {
	var out []statement
	var cur []token
	flush := func() {
		if len(cur) > 0 {
			out = append(out, statement{text: sql[cur[0].start:cur[len(cur)-1].end], tokens: cur})
		}
		cur = nil
	}
	for _, t := range lex(sql) {
		if t.kind == tokOther && t.text == ";" {
			flush()
			continue
		}
		cur = append(cur, t)
	}
	flush()
	return out
}

// lex tokenizes PostgreSQL SQL text well enough to find statement
// boundaries, leading keywords and function calls. Unterminated literals
// and comments run to the end, as the server would refuse them anyway.
func lex(sql string) []token {
	var tokens []token
	for i := 0; i < len(sql); {
		c := sql[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
			continue
		case strings.HasPrefix(sql[i:], "--"):
			i = endOfLine(sql, i)
			continue
		case strings.HasPrefix(sql[i:], "/*"):
			i = endOfComment(sql, i)
			continue
		case c == '\'':
			var value string
			value, i = quoted(sql, i, '\'', false)
			tokens = append(tokens, token{kind: tokString, text: value, start: start, end: i})
		case (c == 'e' || c == 'E') && i+1 < len(sql) && sql[i+1] == '\'':
			var value string
			value, i = quoted(sql, i+1, '\'', true)
			tokens = append(tokens, token{kind: tokString, text: value, start: start, end: i})
		case c == '"':
			_, i = quoted(sql, i, '"', false)
			tokens = append(tokens, token{kind: tokOther, text: sql[start:i], start: start, end: i})
		case c == '$' && i+1 < len(sql) && isDigit(sql[i+1]):
			i++
			for i < len(sql) && isDigit(sql[i]) {
				i++
			}
			tokens = append(tokens, token{kind: tokParam, text: sql[start:i], start: start, end: i})
		case c == '$':
			if value, end, ok := dollarQuoted(sql, i); ok {
				i = end
				tokens = append(tokens, token{kind: tokString, text: value, start: start, end: i})
				continue
			}
			i++
			tokens = append(tokens, token{kind: tokOther, text: "$", start: start, end: i})
		case isIdentStart(c):
			for i < len(sql) && isIdentPart(sql[i]) {
				i++
			}
			tokens = append(tokens, token{kind: tokWord, text: strings.ToLower(sql[start:i]), start: start, end: i})
		case strings.HasPrefix(sql[i:], "::"):
			i += 2
			tokens = append(tokens, token{kind: tokOther, text: "::", start: start, end: i})
		default:
			i++
			tokens = append(tokens, token{kind: tokOther, text: sql[start:i], start: start, end: i})
		}
	}
	return tokens
}

func endOfLine(sql string, i int) int {
	if n := strings.IndexByte(sql[i:], '\n'); n >= 0 {
		return i + n + 1
	}
	return len(sql)
}

// endOfComment skips a block comment, which nests in PostgreSQL.
func endOfComment(sql string, i int) int {
	depth := 0
	for i < len(sql) {
		switch {
		case strings.HasPrefix(sql[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(sql[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return i
}

// quoted reads a literal opened by q at sql[i]: a doubled q stands for one,
// and with backslashes (E'…') a backslash escapes the next byte. It returns
// the value, escapes left as written, and the offset after the literal.
func quoted(sql string, i int, q byte, backslashes bool) (string, int) {
	var b strings.Builder
	for i++; i < len(sql); i++ {
		switch c := sql[i]; {
		case backslashes && c == '\\' && i+1 < len(sql):
			b.WriteByte(c)
			b.WriteByte(sql[i+1])
			i++
		case c == q && i+1 < len(sql) && sql[i+1] == q:
			b.WriteByte(q)
			i++
		case c == q:
			return b.String(), i + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), i
}

// dollarQuoted reads $tag$…$tag$ at sql[i]; ok is false when the '$'
// opens no such quote.
func dollarQuoted(sql string, i int) (value string, end int, ok bool) {
	j := i + 1
	for j < len(sql) && sql[j] != '$' && isIdentPart(sql[j]) {
		j++
	}
	if j == len(sql) || sql[j] != '$' {
		return "", 0, false
	}
	tag, body := sql[i:j+1], j+1
	n := strings.Index(sql[body:], tag)
	if n < 0 {
		return sql[body:], len(sql), true
	}
	return sql[body : body+n], body + n + len(tag), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isIdentStart accepts the bytes of non-ASCII letters too: PostgreSQL does.
func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
