package rules

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of an SQL token.
type tokKind uint8

const (
	tokWord   tokKind = iota // unquoted identifier or keyword, lower-cased
	tokIdent                 // "quoted identifier", as written
	tokString                // string literal ('…', E'…', $$…$$), its value
	tokNumber                // numeric literal
	tokParam                 // bind parameter: $1, ?, @name, :name
	tokPunct                 // ( ) , ; . :: and operator characters
)

type sqlToken struct {
	kind tokKind
	text string
}

// is reports whether t is the unquoted keyword kw (lower case).
func (t sqlToken) is(kw string) bool { return t.kind == tokWord && t.text == kw }

// punct reports whether t is the punctuation p.
func (t sqlToken) punct(p string) bool { return t.kind == tokPunct && t.text == p }

// lexSQL splits PostgreSQL text into tokens, dropping whitespace and
// comments. ok is false when a quote, dollar quote or comment is not closed.
func lexSQL(s string) (toks []sqlToken, ok bool) {
	l := lexer{src: s}
	for {
		t, more, ok := l.next()
		if !ok {
			return nil, false
		}
		if !more {
			return l.toks, true
		}
		l.toks = append(l.toks, t)
	}
}

type lexer struct {
	src  string
	pos  int
	toks []sqlToken
}

// next returns the next token; more is false at the end of the text.
func (l *lexer) next() (t sqlToken, more, ok bool) {
	if !l.skipSpace() {
		return sqlToken{}, false, false
	}
	if l.pos >= len(l.src) {
		return sqlToken{}, false, true
	}
	rest := l.src[l.pos:]
	c := rest[0]
	switch {
	case c == '\'':
		return l.quoted('\'', false, tokString)
	case c == '"':
		return l.quoted('"', false, tokIdent)
	case c == '$':
		return l.dollar()
	case isDigit(c) || c == '.' && len(rest) > 1 && isDigit(rest[1]):
		return l.number(), true, true
	case isIdentStart(c):
		return l.word()
	case (c == '@' || c == ':') && len(rest) > 1 && isIdentStart(rest[1]):
		l.pos++
		w, _, _ := l.word()
		return sqlToken{tokParam, string(c) + w.text}, true, true
	case c == '?':
		l.pos++
		return sqlToken{tokParam, "?"}, true, true
	case strings.HasPrefix(rest, "::"):
		l.pos += 2
		return sqlToken{tokPunct, "::"}, true, true
	}
	l.pos++
	return sqlToken{tokPunct, string(c)}, true, true
}

// skipSpace skips whitespace, -- line comments and nested /* */ comments.
func (l *lexer) skipSpace() bool {
	for l.pos < len(l.src) {
		rest := l.src[l.pos:]
		switch {
		case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '\f':
			l.pos++
		case strings.HasPrefix(rest, "--"):
			end := strings.IndexByte(rest, '\n')
			if end < 0 {
				end = len(rest)
			}
			l.pos += end
		case strings.HasPrefix(rest, "/*"):
			n, ok := blockComment(rest)
			if !ok {
				return false
			}
			l.pos += n
		default:
			return true
		}
	}
	return true
}

// blockComment returns the length of the (possibly nested) comment at the
// start of s.
func blockComment(s string) (int, bool) {
	depth := 0
	for i := 0; i+1 < len(s); i++ {
		switch s[i : i+2] {
		case "/*":
			depth++
			i++
		case "*/":
			depth--
			i++
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}

// quoted reads a quoted string or identifier at l.pos; a doubled quote is
// the quote itself, and with backslash (E'…') a backslash escapes.
func (l *lexer) quoted(q byte, backslash bool, kind tokKind) (sqlToken, bool, bool) {
	var b strings.Builder
	for i := l.pos + 1; i < len(l.src); i++ {
		c := l.src[i]
		switch {
		case backslash && c == '\\' && i+1 < len(l.src):
			i++
			b.WriteByte(l.src[i])
		case c == q && i+1 < len(l.src) && l.src[i+1] == q:
			i++
			b.WriteByte(q)
		case c == q:
			l.pos = i + 1
			return sqlToken{kind, b.String()}, true, true
		default:
			b.WriteByte(c)
		}
	}
	return sqlToken{}, false, false
}

// dollar reads a positional parameter ($1), a dollar-quoted string
// ($$…$$, $tag$…$tag$) or a lone '$'.
func (l *lexer) dollar() (sqlToken, bool, bool) {
	rest := l.src[l.pos:]
	if len(rest) > 1 && isDigit(rest[1]) {
		n := 2
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		l.pos += n
		return sqlToken{tokParam, rest[:n]}, true, true
	}
	n := 1
	for n < len(rest) && isIdentPart(rest[n]) && rest[n] != '$' {
		n++
	}
	if n >= len(rest) || rest[n] != '$' {
		l.pos++
		return sqlToken{tokPunct, "$"}, true, true
	}
	tag := rest[:n+1]
	end := strings.Index(rest[len(tag):], tag)
	if end < 0 {
		return sqlToken{}, false, false
	}
	l.pos += len(tag) + end + len(tag)
	return sqlToken{tokString, rest[len(tag) : len(tag)+end]}, true, true
}

func (l *lexer) number() sqlToken {
	start := l.pos
	for l.pos < len(l.src) && (isIdentPart(l.src[l.pos]) || l.src[l.pos] == '.') {
		l.pos++
	}
	return sqlToken{tokNumber, l.src[start:l.pos]}
}

// word reads an identifier or keyword; E'…', B'…', X'…' and N'…' prefixes
// start string literals.
func (l *lexer) word() (sqlToken, bool, bool) {
	start := l.pos
	for l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
		l.pos++
	}
	w := strings.ToLower(l.src[start:l.pos])
	if l.pos < len(l.src) && l.src[l.pos] == '\'' && len(w) == 1 && strings.Contains("ebxn", w) {
		return l.quoted('\'', w == "e", tokString)
	}
	return sqlToken{tokWord, w}, true, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
