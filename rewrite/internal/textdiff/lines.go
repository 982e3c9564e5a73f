package textdiff

import (
	"bytes"
	"fmt"
	"go/format"
	"go/scanner"
	"go/token"
	"strings"
)

// LineEnding is the file's line ending: CRLF when its first line ends so.
// Text the rewrite adds uses it, so a CRLF file keeps CRLF on every line.
func LineEnding(src []byte) string {
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// WithEnding gives printed text (LF only: the printer writes LF and the
// scanner drops the CRs of raw strings and comments) the file's endings.
func WithEnding(text []byte, eol string) []byte {
	if eol == "\n" {
		return text
	}
	return bytes.ReplaceAll(text, []byte("\n"), []byte(eol))
}

// srcLine is one line of Go text.
type srcLine struct {
	body   string // without its line ending
	eol    string // "\n", "\r\n", or "" on a last line without one
	tokens string // its tokens, whitespace aside: what gofmt leaves alone
	multi  bool   // part of a raw string or comment spanning lines
}

// KeepLines returns restored (the printed, gofmt-formatted text of an
// edited declaration) with every line the edit did not change in its
// original bytes, so an unformatted file is not reformatted where the
// rewrite did not touch it.
//
// A line is unchanged when the gofmt-normalised original has it exactly
// (same text, same indentation, so a statement that moved in or out of a
// block is not); which original line became that normalised line is found
// by matching their token sequences, which gofmt does not change. Lines are
// paired in order on each side (a line diff), and an original line stands
// in for a restored one only when both pairings hold, so the output has
// restored's tokens line by line: the same program. The lines of a raw
// string or comment spanning lines are never paired (their text is their
// value), and a line gofmt splits or rewrites has no partner: both come
// out as restored.
func KeepLines(orig, restored []byte, eol string) []byte {
	o := splitLines(orig)
	normal := o // a declaration that does not format on its own is compared as it is
	if formatted, err := formatDecl(orig); err == nil {
		normal = splitLines(formatted)
	}
	r := splitLines(restored)
	fromOrig := matchLines(keys(o, "o", tokensKey), keys(normal, "n", tokensKey))
	fromNormal := matchLines(keys(normal, "n", bodyKey), keys(r, "r", bodyKey))
	var out bytes.Buffer
	for j, line := range r {
		body, end := line.body, eol
		if i := fromNormal[j]; i >= 0 && fromOrig[i] >= 0 {
			kept := o[fromOrig[i]]
			body = kept.body
			if kept.eol != "" {
				end = kept.eol
			}
		}
		if line.eol == "" {
			end = "" // the declaration's last line: what follows it is the file's
		}
		out.WriteString(body)
		out.WriteString(end)
	}
	return out.Bytes()
}

// formatDecl is gofmt's output for a declaration on its own, which is what
// the printer makes of the unchanged parts of the edited file.
func formatDecl(decl []byte) ([]byte, error) {
	const header = "package p\n\n"
	out, err := format.Source(append([]byte(header), decl...))
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out[len(header):], []byte("\n")), nil
}

// splitLines splits Go text into lines and reads each line's tokens.
func splitLines(text []byte) []srcLine {
	var lines []srcLine
	for _, s := range strings.SplitAfter(string(text), "\n") {
		body, eol := s, ""
		if b, ok := strings.CutSuffix(s, "\n"); ok {
			body, eol = b, "\n"
			if b, ok := strings.CutSuffix(body, "\r"); ok {
				body, eol = b, "\r\n"
			}
		}
		lines = append(lines, srcLine{body: body, eol: eol})
	}
	if len(lines) > 0 && lines[len(lines)-1] == (srcLine{}) {
		lines = lines[:len(lines)-1] // text ending in a newline
	}
	var s scanner.Scanner
	file := token.NewFileSet().AddFile("", -1, len(text))
	s.Init(file, text, nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return lines
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a line end: the line structure decides it
		}
		line := file.PositionFor(pos, false).Line - 1 // a //line comment in text moves nothing
		if n := strings.Count(lit, "\n"); n > 0 {
			for i := line; i <= line+n && i < len(lines); i++ {
				lines[i].multi = true
			}
		}
		if tok == token.COMMENT {
			lit = strings.TrimRight(lit, " \t") // gofmt trims comments
		}
		if lit == "" {
			lit = tok.String()
		}
		lines[line].tokens += lit + "\x00"
	}
}

func tokensKey(l srcLine) string { return l.tokens }

func bodyKey(l srcLine) string { return l.body }

// keys are the lines' keys for matchLines; a line spanning tokens gets one
// that matches nothing.
func keys(lines []srcLine, side string, key func(srcLine) string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = key(l)
		if l.multi {
			out[i] = fmt.Sprintf("\x01%s%d", side, i)
		}
	}
	return out
}
