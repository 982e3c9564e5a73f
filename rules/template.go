package rules

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strconv"
	"strings"
)

// DefaultPooled is the pooled-handle template used when the config names none:
// txscope's tenantpool runtime on the wrapper receiver's pool.
const DefaultPooled = "tenantpool.For({recv}.Pool, {tenant})"

// Template is a parsed template of the pooled handle: a Go expression over
// the wrapper call's {recv}, {tenant} and {argN}. It is the one parser of the
// placeholder language, so the config check and the rewrite agree.
type Template struct {
	src   string
	parts []templatePart
}

// templatePart is literal Go source, or a placeholder when ph is set.
type templatePart struct {
	text string
	ph   *Placeholder
}

// Placeholder is one {…} of a template.
type Placeholder struct {
	Name string // "recv", "tenant" or "arg"
	Arg  int    // for "arg": the argument's index, counted from 0
}

// String is the placeholder as written: "{recv}", "{arg2}".
func (p Placeholder) String() string {
	if p.Name == "arg" {
		return "{arg" + strconv.Itoa(p.Arg) + "}"
	}
	return "{" + p.Name + "}"
}

// TemplateError is a syntax error in a template, at a byte offset of it.
type TemplateError struct {
	Offset int
	Msg    string
}

func (e *TemplateError) Error() string { return e.Msg }

// ParseTemplate parses tmpl: its braces must pair into known placeholders
// and, with each placeholder standing for a name, it must be one Go
// expression. Errors are *TemplateError.
func ParseTemplate(tmpl string) (*Template, error) {
	t := &Template{src: tmpl}
	for rest, at := tmpl, 0; rest != ""; {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t.parts = append(t.parts, templatePart{text: rest})
			break
		}
		if rest[open] == '}' {
			return nil, templateErrorf(at+open, "unbalanced braces in %q: '}' without '{'", tmpl)
		}
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] == '{' {
			return nil, templateErrorf(at+open, "unbalanced braces in %q: '{' without '}'", tmpl)
		}
		ph, err := parsePlaceholder(rest[open+1 : open+1+end])
		if err != nil {
			return nil, &TemplateError{Offset: at + open, Msg: err.Error()}
		}
		t.parts = append(t.parts, templatePart{text: rest[:open]}, templatePart{ph: &ph})
		at += open + end + 2
		rest = rest[open+end+2:]
	}
	if err := t.checkExpr(); err != nil {
		return nil, err
	}
	return t, nil
}

// Placeholder is the template's one placeholder when it is nothing else
// ("{recv}", "{arg1}").
func (t *Template) Placeholder() (Placeholder, bool) {
	var ph *Placeholder
	for _, part := range t.parts {
		switch {
		case part.ph != nil && ph == nil:
			ph = part.ph
		case part.ph != nil || part.text != "":
			return Placeholder{}, false
		}
	}
	if ph == nil {
		return Placeholder{}, false
	}
	return *ph, true
}

func templateErrorf(offset int, format string, args ...any) *TemplateError {
	return &TemplateError{Offset: offset, Msg: fmt.Sprintf(format, args...)}
}

func parsePlaceholder(name string) (Placeholder, error) {
	switch {
	case name == "recv", name == "tenant":
		return Placeholder{Name: name}, nil
	case strings.HasPrefix(name, "arg"):
		// Only the canonical spelling: "{arg+1}" or "{arg01}" is a typo.
		if n, err := strconv.Atoi(name[3:]); err == nil && n >= 0 && name[3:] == strconv.Itoa(n) {
			return Placeholder{Name: "arg", Arg: n}, nil
		}
	}
	return Placeholder{}, fmt.Errorf("unknown placeholder {%s} (want {recv}, {tenant} or {argN})", name)
}

// checkExpr parses the template as Go with every placeholder replaced by a
// name of the same length, so the parser's offsets are the template's.
func (t *Template) checkExpr() error {
	src, err := t.goSource()
	if err != nil {
		return err
	}
	_, err = parser.ParseExprFrom(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		msg := list[0].Msg
		if list[0].Pos.Offset >= len(strings.TrimRight(src, "\n")) {
			// The parser ends the source with a newline it inserted.
			msg = strings.Replace(msg, "newline", "the end", 1)
		}
		return templateErrorf(list[0].Pos.Offset, "%q is not a Go expression: %s", t.src, msg)
	}
	return err
}

// goSource is the template with every placeholder replaced by a name of the
// same length: Go source with the template's offsets.
func (t *Template) goSource() (string, error) {
	return t.Expand(func(p Placeholder) (string, error) {
		return "_" + strings.Trim(p.String(), "{}") + "_", nil
	})
}

// Callee is the package name and function of a template that is a call of
// a package-qualified function, such as tenantpool.For(…).
func (t *Template) Callee() (pkg, name string, ok bool) {
	src, err := t.goSource()
	if err != nil {
		return "", "", false
	}
	e, err := parser.ParseExprFrom(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if err != nil {
		return "", "", false
	}
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return "", "", false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", "", false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok || standsIn(id.Name) {
		return "", "", false // {recv}.M(…) is a method call, not a package's function
	}
	return id.Name, sel.Sel.Name, true
}

// standsIn reports whether name is goSource's stand-in for a placeholder.
func standsIn(name string) bool {
	if len(name) < 3 || name[0] != '_' || name[len(name)-1] != '_' {
		return false
	}
	_, err := parsePlaceholder(name[1 : len(name)-1])
	return err == nil
}

// String is the template as written.
func (t *Template) String() string { return t.src }

// Expand returns the template's source with each placeholder replaced by
// what value returns for it.
func (t *Template) Expand(value func(Placeholder) (string, error)) (string, error) {
	var b strings.Builder
	for _, part := range t.parts {
		if part.ph == nil {
			b.WriteString(part.text)
			continue
		}
		v, err := value(*part.ph)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// WrapperCall is the call a template is expanded for.
type WrapperCall struct {
	Recv   ast.Expr // the called method's receiver; nil for a function
	Args   []ast.Expr
	Tenant int // index of the tenant argument in Args; -1 when unknown
}

// Expr returns the expression of the call that p stands for. A placeholder
// without one ({recv} for a package-level wrapper, {arg5} for a call with
// three arguments) is an error.
func (c WrapperCall) Expr(p Placeholder) (ast.Expr, error) {
	switch p.Name {
	case "recv":
		if c.Recv == nil {
			return nil, errors.New("{recv} used but the wrapper call has no receiver")
		}
		return c.Recv, nil
	case "tenant":
		if c.Tenant < 0 || c.Tenant >= len(c.Args) {
			return nil, errors.New("{tenant} used but the wrapper call has no tenant argument")
		}
		return c.Args[c.Tenant], nil
	}
	if p.Arg >= len(c.Args) {
		return nil, fmt.Errorf("%s used but the wrapper call has %d arguments", p, len(c.Args))
	}
	return c.Args[p.Arg], nil
}
