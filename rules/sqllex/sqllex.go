// Package sqllex splits PostgreSQL text into tokens that keep their byte
// offsets, so that a reader of the tokens can point at file:line:col.
//
// It is the lexer of package rules (rules/sqllex.go) with positions added;
// rules and tenantpool still carry their own copies (tenantpool's is
// written into users' modules, so it cannot import this one).
package sqllex

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is the kind of a token.
type Kind uint8

const (
	Word   Kind = iota // unquoted identifier or keyword, lower-cased
	Ident              // "quoted identifier": its name, case kept
	String             // string literal ('…', E'…', $$…$$): its value
	Number             // numeric literal
	Param              // bind parameter: $1, ?, @name, :name
	Punct              // ( ) , ; . :: and operator characters, one at a time
)

// Token is one token and where it is in the text: Start and End are byte
// offsets, End exclusive.
type Token struct {
	Kind       Kind
	Text       string
	Start, End int
}

// Is reports whether t is the unquoted keyword kw (lower case).
func (t Token) Is(kw string) bool { return t.Kind == Word && t.Text == kw }

// IsPunct reports whether t is the punctuation p.
func (t Token) IsPunct(p string) bool { return t.Kind == Punct && t.Text == p }

// IsName reports whether t can be an identifier: a word or a quoted name.
func (t Token) IsName() bool { return t.Kind == Word || t.Kind == Ident }

// Error is text that does not lex: a quote, dollar quote or block comment
// that is not closed.
type Error struct {
	Offset int // where the unclosed construct starts
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// Lex splits src into tokens, dropping whitespace and comments.
func Lex(src string) ([]Token, error) {
	l := lexer{src: src}
	var toks []Token
	for {
		t, more, err := l.next()
		if err != nil {
			return nil, err
		}
		if !more {
			return toks, nil
		}
		toks = append(toks, t)
	}
}

// Statements splits tokens at ';', dropping empty statements.
func Statements(toks []Token) [][]Token {
	var stmts [][]Token
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

// Closing returns the index of the ')' that closes the '(' at toks[open],
// or len(toks) when it is not closed.
func Closing(toks []Token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch {
		case toks[i].IsPunct("("):
			depth++
		case toks[i].IsPunct(")"):
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(toks)
}

// SplitTop splits toks at the commas outside parentheses and brackets.
func SplitTop(toks []Token) [][]Token {
	var parts [][]Token
	start, depth := 0, 0
	for i, t := range toks {
		switch {
		case t.IsPunct("(") || t.IsPunct("["):
			depth++
		case t.IsPunct(")") || t.IsPunct("]"):
			depth--
		case t.IsPunct(",") && depth == 0:
			parts = append(parts, toks[start:i])
			start = i + 1
		}
	}
	if start < len(toks) {
		parts = append(parts, toks[start:])
	}
	return parts
}

type lexer struct {
	src string
	pos int
}

// next returns the next token; more is false at the end of the text.
func (l *lexer) next() (t Token, more bool, err error) {
	if err := l.skipSpace(); err != nil {
		return Token{}, false, err
	}
	if l.pos >= len(l.src) {
		return Token{}, false, nil
	}
	start := l.pos
	rest := l.src[l.pos:]
	c := rest[0]
	switch {
	case c == '\'':
		return l.quoted(start, start, '\'', false, String)
	case c == '"':
		return l.quoted(start, start, '"', false, Ident)
	case c == '$':
		return l.dollar()
	case isDigit(c) || c == '.' && len(rest) > 1 && isDigit(rest[1]):
		return l.number(), true, nil
	case isIdentStart(c):
		return l.word()
	case (c == '@' || c == ':') && len(rest) > 1 && isIdentStart(rest[1]):
		l.pos++
		w, _, _ := l.word()
		return Token{Param, string(c) + w.Text, start, l.pos}, true, nil
	case c == '?':
		l.pos++
		return Token{Param, "?", start, l.pos}, true, nil
	case strings.HasPrefix(rest, "::"):
		l.pos += 2
		return Token{Punct, "::", start, l.pos}, true, nil
	}
	l.pos++
	return Token{Punct, string(c), start, l.pos}, true, nil
}

// skipSpace skips whitespace, -- line comments and nested /* */ comments.
func (l *lexer) skipSpace() error {
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
				return &Error{l.pos, "comment not closed"}
			}
			l.pos += n
		default:
			return nil
		}
	}
	return nil
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

// quoted reads the quoted string or identifier whose quote is at q; a
// doubled quote is the quote itself, and with backslash (E'…') a backslash
// escapes. start is where the token starts (before a prefix like E).
func (l *lexer) quoted(start, open int, q byte, backslash bool, kind Kind) (Token, bool, error) {
	var b strings.Builder
	for i := open + 1; i < len(l.src); i++ {
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
			return Token{kind, b.String(), start, l.pos}, true, nil
		default:
			b.WriteByte(c)
		}
	}
	return Token{}, false, &Error{start, "quote not closed"}
}

// dollar reads a positional parameter ($1), a dollar-quoted string
// ($$…$$, $tag$…$tag$) or a lone '$'.
func (l *lexer) dollar() (Token, bool, error) {
	start := l.pos
	rest := l.src[l.pos:]
	if len(rest) > 1 && isDigit(rest[1]) {
		n := 2
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		l.pos += n
		return Token{Param, rest[:n], start, l.pos}, true, nil
	}
	n := 1
	for n < len(rest) && isIdentPart(rest[n]) && rest[n] != '$' {
		n++
	}
	if n >= len(rest) || rest[n] != '$' {
		l.pos++
		return Token{Punct, "$", start, l.pos}, true, nil
	}
	tag := rest[:n+1]
	end := strings.Index(rest[len(tag):], tag)
	if end < 0 {
		return Token{}, false, &Error{start, "dollar quote " + tag + " not closed"}
	}
	l.pos += len(tag) + end + len(tag)
	return Token{String, rest[len(tag) : len(tag)+end], start, l.pos}, true, nil
}

func (l *lexer) number() Token {
	start := l.pos
	for l.pos < len(l.src) && (isIdentPart(l.src[l.pos]) || l.src[l.pos] == '.') {
		l.pos++
	}
	return Token{Number, l.src[start:l.pos], start, l.pos}
}

// word reads an identifier or keyword; E'…', B'…', X'…' and N'…' prefixes
// start string literals.
func (l *lexer) word() (Token, bool, error) {
	start := l.pos
	for l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
		l.pos++
	}
	w := strings.ToLower(l.src[start:l.pos])
	if l.pos < len(l.src) && l.src[l.pos] == '\'' && len(w) == 1 && strings.Contains("ebxn", w) {
		return l.quoted(start, l.pos, '\'', w == "e", String)
	}
	return Token{Word, w, start, l.pos}, true, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
