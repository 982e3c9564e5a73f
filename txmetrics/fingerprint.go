package txmetrics

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// maxFingerprint bounds a fingerprint's length in bytes.
const maxFingerprint = 256

// Fingerprint returns sql with every literal (string, number, dollar-quoted)
// replaced by ?, comments dropped and whitespace collapsed to one space, so
// that statements differing only in constants share one label value. A run
// of comma-separated literals becomes one ? (IN lists of any length match).
// Bind parameters ($1) stay: their values are never part of the text.
// Fingerprints longer than 256 bytes are cut.
func Fingerprint(sql string) string {
	f := fingerprinter{src: sql, out: make([]byte, 0, min(len(sql), maxFingerprint))}
	for f.pos < len(f.src) && len(f.out) < maxFingerprint {
		f.next()
	}
	return truncate(string(f.out), maxFingerprint)
}

type fingerprinter struct {
	src   string
	pos   int
	out   []byte
	space bool // whitespace seen since the last token
}

func (f *fingerprinter) next() {
	c := f.src[f.pos]
	rest := f.src[f.pos:]
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
		f.pos++
		f.space = true
	case strings.HasPrefix(rest, "--"):
		f.skipLineComment()
	case strings.HasPrefix(rest, "/*"):
		f.skipBlockComment()
	case c == '\'':
		f.skipQuoted('\'', false)
		f.literal()
	case isStringPrefix(rest):
		f.pos++
		f.skipQuoted('\'', c == 'e' || c == 'E')
		f.literal()
	case c == '"':
		start := f.pos
		f.skipQuoted('"', false)
		f.emit(f.src[start:f.pos])
	case c == '$':
		f.dollar()
	case isDigit(c) || (c == '.' && f.pos+1 < len(f.src) && isDigit(f.src[f.pos+1])):
		f.skipNumber()
		f.literal()
	case isIdentStart(c):
		start := f.pos
		for f.pos < len(f.src) && isIdentPart(f.src[f.pos]) {
			f.pos++
		}
		f.emit(f.src[start:f.pos])
	default:
		f.pos++
		f.emit(string(c))
	}
}

// emit writes a token, preceded by one space when whitespace came before it.
func (f *fingerprinter) emit(tok string) {
	if f.space && len(f.out) > 0 {
		f.out = append(f.out, ' ')
	}
	f.space = false
	f.out = append(f.out, tok...)
}

// literal writes ?, or folds a comma-separated run of literals into one.
func (f *fingerprinter) literal() {
	if bytes.HasSuffix(f.out, []byte("?,")) {
		f.out, f.space = f.out[:len(f.out)-1], false
		return
	}
	f.emit("?")
}

func (f *fingerprinter) skipLineComment() {
	end := strings.IndexByte(f.src[f.pos:], '\n')
	if end < 0 {
		end = len(f.src) - f.pos
	}
	f.pos += end
	f.space = true
}

// skipBlockComment skips a comment, nested ones included as PostgreSQL does.
func (f *fingerprinter) skipBlockComment() {
	depth := 0
	for f.pos < len(f.src) {
		switch {
		case strings.HasPrefix(f.src[f.pos:], "/*"):
			depth++
			f.pos += 2
		case strings.HasPrefix(f.src[f.pos:], "*/"):
			depth--
			f.pos += 2
			if depth == 0 {
				f.space = true
				return
			}
		default:
			f.pos++
		}
	}
	f.space = true
}

// skipQuoted skips a quoted token starting at f.pos; a doubled quote is an
// escaped one, and so is a backslash-escaped one in an E'…' string.
func (f *fingerprinter) skipQuoted(q byte, backslash bool) {
	f.pos++
	for f.pos < len(f.src) {
		c := f.src[f.pos]
		f.pos++
		switch {
		case backslash && c == '\\':
			f.pos++
		case c == q && f.pos < len(f.src) && f.src[f.pos] == q:
			f.pos++
		case c == q:
			return
		}
	}
	f.pos = min(f.pos, len(f.src))
}

// dollar handles $1 (kept), $tag$…$tag$ strings (a literal) and a lone $.
func (f *fingerprinter) dollar() {
	rest := f.src[f.pos:]
	n := 1
	for n < len(rest) && isDigit(rest[n]) {
		n++
	}
	if n > 1 {
		f.pos += n
		f.emit(rest[:n])
		return
	}
	for n < len(rest) && isIdentPart(rest[n]) && rest[n] != '$' {
		n++
	}
	if n < len(rest) && rest[n] == '$' {
		tag := rest[:n+1]
		end := strings.Index(rest[len(tag):], tag)
		if end < 0 {
			f.pos = len(f.src)
		} else {
			f.pos += 2*len(tag) + end
		}
		f.literal()
		return
	}
	f.pos++
	f.emit("$")
}

func (f *fingerprinter) skipNumber() {
	for f.pos < len(f.src) {
		c := f.src[f.pos]
		prev := f.src[f.pos-1]
		switch {
		case isDigit(c) || c == '.' || c == '_' || isLetter(c):
		case (c == '+' || c == '-') && (prev == 'e' || prev == 'E'):
		default:
			return
		}
		f.pos++
	}
}

// isStringPrefix reports E'…', B'…', X'…' and N'…' string constants.
func isStringPrefix(s string) bool {
	if len(s) < 2 || s[1] != '\'' {
		return false
	}
	return strings.IndexByte("eEbBxXnN", s[0]) >= 0
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isIdentStart(c byte) bool { return isLetter(c) || c == '_' || c >= utf8.RuneSelf }

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
