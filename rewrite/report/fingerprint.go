package report

import (
	"go/ast"
	"go/scanner"
	"go/token"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/ast/astutil"
)

// Fingerprint identifies a finding without its line numbers, so that a
// baseline survives code moving around it: the finding's code, the
// function that holds it and the normalised text of its statement.
type Fingerprint struct {
	Code string `yaml:"code" json:"code"`
	// Func is the package-qualified name of the enclosing declared
	// function, e.g. example.com/app/api.(*Server).Show; a finding in a
	// function literal counts for the function around it.
	Func string `yaml:"func,omitempty" json:"func,omitempty"`
	// File is set only for a finding outside any function (a package-level
	// declaration): the slash-separated path relative to the module root.
	File string `yaml:"file,omitempty" json:"file,omitempty"`
	// Stmt is the innermost statement (or declaration) holding the finding,
	// one line, comments and layout dropped, nested blocks written {…}.
	Stmt string `yaml:"stmt" json:"stmt"`
}

// fingerprinter computes fingerprints, reading each file once.
type fingerprinter struct {
	prog    *load.Program
	sources map[string][]byte
}

func newFingerprinter(prog *load.Program) *fingerprinter {
	return &fingerprinter{prog: prog, sources: map[string][]byte{}}
}

// at fingerprints a finding with code at pos; ok is false when pos is in
// no loaded file (the fingerprint then falls back on the position's file).
func (fp *fingerprinter) at(code string, pos token.Pos) Fingerprint {
	f := Fingerprint{Code: code}
	file, pkgTypes := fp.file(pos)
	tf := fp.prog.Fset.File(pos)
	if file == nil || tf == nil {
		if tf != nil {
			f.File = fp.prog.Rel(tf.Name())
		}
		return f
	}
	path, _ := astutil.PathEnclosingInterval(file, pos, pos)
	var node ast.Node
	for _, n := range path {
		if fd, ok := n.(*ast.FuncDecl); ok && f.Func == "" {
			f.Func = funcName(pkgTypes, fd)
		}
		if node != nil {
			continue
		}
		switch n := n.(type) {
		case *ast.BlockStmt, *ast.File:
		case ast.Stmt, ast.Spec, ast.Decl:
			node = n
		}
	}
	if f.Func == "" {
		f.File = fp.prog.Rel(tf.Name())
	}
	if node != nil {
		f.Stmt = fp.text(tf, node)
	}
	return f
}

// file finds the syntax tree holding pos and its package's type info.
func (fp *fingerprinter) file(pos token.Pos) (*ast.File, *types.Info) {
	for f, pkg := range fp.prog.Index().Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f, pkg.TypesInfo
		}
	}
	return nil, nil
}

func funcName(info *types.Info, fd *ast.FuncDecl) string {
	if info != nil {
		if fn, ok := info.Defs[fd.Name].(*types.Func); ok {
			return rules.FuncName(fn)
		}
	}
	return fd.Name.Name
}

// text is node's source on one line: tokens joined by single spaces (Go's
// own layout where it is plain), comments and line breaks dropped, and
// each nested block (a function literal's body, an if's body) written
// {…}, so that an edit inside a block is not an edit of the statement.
func (fp *fingerprinter) text(tf *token.File, node ast.Node) string {
	src, ok := fp.sources[tf.Name()]
	if !ok {
		src, _ = fp.prog.FileContent(tf.Name())
		fp.sources[tf.Name()] = src
	}
	start, end := tf.Offset(node.Pos()), tf.Offset(node.End())
	switch n := node.(type) {
	case *ast.CaseClause:
		end = tf.Offset(n.Colon) + 1
	case *ast.CommClause:
		end = tf.Offset(n.Colon) + 1
	}
	if start < 0 || end > len(src) || start >= end {
		return ""
	}
	type span struct{ from, to int }
	var blocks []span
	ast.Inspect(node, func(n ast.Node) bool {
		if b, ok := n.(*ast.BlockStmt); ok && n != node {
			blocks = append(blocks, span{tf.Offset(b.Lbrace), tf.Offset(b.Rbrace)})
			return false
		}
		return true
	})
	var toks []string
	var s scanner.Scanner
	sf := token.NewFileSet().AddFile("", -1, end-start)
	s.Init(sf, src[start:end], nil, 0)
	block := 0
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := start + sf.Offset(pos)
		for block < len(blocks) && off > blocks[block].to {
			block++
		}
		if block < len(blocks) && off >= blocks[block].from {
			if off == blocks[block].from {
				toks = append(toks, "{…}")
			}
			continue
		}
		switch {
		case tok == token.SEMICOLON && lit == "\n":
			continue // inserted at a line break
		case tok == token.RPAREN || tok == token.RBRACK || tok == token.RBRACE:
			if n := len(toks); n > 0 && toks[n-1] == "," {
				toks = toks[:n-1] // the comma a line break needs
			}
			toks = append(toks, tok.String())
		case lit != "":
			toks = append(toks, lit)
		default:
			toks = append(toks, tok.String())
		}
	}
	return joinTokens(toks)
}

// joinTokens spaces tokens roughly as gofmt does: what matters is that the
// result depends only on the tokens.
func joinTokens(toks []string) string {
	var b strings.Builder
	prev := ""
	unary := false // the previous token was a unary operator
	for i, t := range toks {
		if i > 0 && !unary && space(prev, t) {
			b.WriteByte(' ')
		}
		unary = isUnaryCandidate(t) && (i == 0 || !endsOperand(prev))
		b.WriteString(t)
		prev = t
	}
	return b.String()
}

func space(prev, t string) bool {
	switch prev {
	case "(", "[", ".":
		return false
	case "{":
		return t == "{…}"
	case "]":
		if token.IsIdentifier(t) || token.Lookup(t).IsKeyword() {
			return false // a type: []string, map[K]func()
		}
	}
	switch t {
	case ")", "]", ",", ";", ".", ":", "++", "--", "...":
		return false
	case "}":
		return false
	case "(", "[", "{":
		return !(endsOperand(prev) || prev == "func" || prev == "map" || prev == "chan" || prev == "interface" || prev == "struct")
	}
	return true
}

// endsOperand reports whether a token can end an operand, so that an
// operator after it is binary.
func endsOperand(t string) bool {
	switch t {
	case ")", "]", "}", "{…}":
		return true
	}
	if t == "" {
		return false
	}
	switch c := t[0]; {
	case c == '"' || c == '`' || c == '\'' || c >= '0' && c <= '9':
		return true // a literal
	default:
		return token.IsIdentifier(t)
	}
}

func isUnaryCandidate(t string) bool {
	switch t {
	case "&", "*", "-", "+", "!", "^", "<-":
		return true
	}
	return false
}

// StmtText is a statement's (or declaration's) text on one line, as a
// baseline fingerprint has it: comments and layout dropped, nested blocks
// written {…}.
func StmtText(prog *load.Program, node ast.Node) string {
	tf := prog.Fset.File(node.Pos())
	if tf == nil {
		return ""
	}
	return newFingerprinter(prog).text(tf, node)
}
