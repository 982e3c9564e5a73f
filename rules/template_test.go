package rules

import (
	"fmt"
	"go/ast"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// call is a wrapper call s.db.WithTenant(ctx, tenantID, fn) for expanding.
var call = map[Placeholder]string{
	{Name: "recv"}:        "s.db",
	{Name: "tenant"}:      "tenantID",
	{Name: "arg", Arg: 0}: "ctx",
	{Name: "arg", Arg: 1}: "tenantID",
}

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"default", DefaultPooled, "tenantpool.For(s.db.Pool, tenantID)"},
		{"argument", "db.Pooled({arg1})", "db.Pooled(tenantID)"},
		{"no placeholders", "app.ReadPool", "app.ReadPool"},
		{"repeated", "{recv}.Scoped({tenant}, {tenant})", "s.db.Scoped(tenantID, tenantID)"},
		{"call chain", `db.Scoped(({recv}).Pool, "app.t").For({arg0}, {tenant})`, `db.Scoped((s.db).Pool, "app.t").For(ctx, tenantID)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate(tt.give)
			require.NoError(t, err)
			assert.Equal(t, tt.give, tmpl.String())
			got, err := tmpl.Expand(func(p Placeholder) (string, error) { return call[p], nil })
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	const want = "(want {recv}, {tenant} or {argN})"
	tests := []struct {
		name   string
		give   string
		offset int
		msg    string
	}{
		{"unknown", "f({pool})", 2, "unknown placeholder {pool} " + want},
		{"negative argument", "f({arg-1})", 2, "unknown placeholder {arg-1} " + want},
		{"signed argument", "f({arg+1})", 2, "unknown placeholder {arg+1} " + want},
		{"leading zero", "f({arg01})", 2, "unknown placeholder {arg01} " + want},
		{"empty placeholder", "f({})", 2, "unknown placeholder {} " + want},
		{"nested", "f({a{b}})", 2, `unbalanced braces in "f({a{b}})": '{' without '}'`},
		{"unclosed", "f({recv", 2, `unbalanced braces in "f({recv": '{' without '}'`},
		{"closing", "f(}", 2, `unbalanced braces in "f(}": '}' without '{'`},
		{"second one", "f({recv}, {tenant)", 10, `unbalanced braces in "f({recv}, {tenant)": '{' without '}'`},
		{"missing paren", "tenantpool.For({recv}.Pool, {tenant}", 36,
			`"tenantpool.For({recv}.Pool, {tenant}" is not a Go expression: missing ',' before the end in argument list`},
		{"two expressions", "tenantpool.For({recv}.Pool, {tenant}) x", 38,
			`"tenantpool.For({recv}.Pool, {tenant}) x" is not a Go expression: expected 'EOF', found x`},
		{"statement", "q := {recv}", 2, `"q := {recv}" is not a Go expression: expected 'EOF', found ':='`},
		{"bad operand", "tenantpool.For({recv}..Pool, {tenant})", 22,
			`"tenantpool.For({recv}..Pool, {tenant})" is not a Go expression: expected selector or type assertion, found '.'`},
		{"empty", "", 0, `"" is not a Go expression: expected operand, found 'EOF'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate(tt.give)
			assert.Nil(t, tmpl)
			var te *TemplateError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.msg, te.Msg)
			assert.Equal(t, tt.offset, te.Offset)
		})
	}
}

func TestWrapperCallExpr(t *testing.T) {
	recv, ctx, tenant := ast.NewIdent("s"), ast.NewIdent("ctx"), ast.NewIdent("tenantID")
	full := WrapperCall{Recv: recv, Args: []ast.Expr{ctx, tenant}, Tenant: 1}
	for p, want := range map[Placeholder]ast.Expr{
		{Name: "recv"}: recv, {Name: "tenant"}: tenant, {Name: "arg", Arg: 0}: ctx, {Name: "arg", Arg: 1}: tenant,
	} {
		got, err := full.Expr(p)
		require.NoError(t, err, p.String())
		assert.Same(t, want, got, p.String())
	}

	tests := []struct {
		name string
		call WrapperCall
		give Placeholder
		want string
	}{
		{"no receiver", WrapperCall{Args: []ast.Expr{ctx, tenant}, Tenant: 1}, Placeholder{Name: "recv"}, "{recv} used but the wrapper call has no receiver"},
		{"no tenant", WrapperCall{Recv: recv, Args: []ast.Expr{ctx}, Tenant: -1}, Placeholder{Name: "tenant"}, "{tenant} used but the wrapper call has no tenant argument"},
		{"argument out of range", full, Placeholder{Name: "arg", Arg: 3}, "{arg3} used but the wrapper call has 2 arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call.Expr(tt.give)
			assert.EqualError(t, err, tt.want)
		})
	}
}

func TestExpandError(t *testing.T) {
	tmpl, err := ParseTemplate(DefaultPooled)
	require.NoError(t, err)
	_, err = tmpl.Expand(func(p Placeholder) (string, error) {
		return "", fmt.Errorf("no value for %s", p)
	})
	assert.EqualError(t, err, "no value for {recv}")
}

func TestTemplateCallee(t *testing.T) {
	tests := []struct {
		give, pkg, name string
		ok              bool
	}{
		{DefaultPooled, "tenantpool", "For", true},
		{`tenantpool.ForSetting({arg1}, "app.plant", {tenant})`, "tenantpool", "ForSetting", true},
		{"{recv}.Pool", "", "", false},
		{"{recv}.Handle({tenant})", "", "", false},
		{"newHandle({tenant})", "", "", false},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.give)
		require.NoError(t, err, tt.give)
		pkg, name, ok := tmpl.Callee()
		assert.Equal(t, tt.ok, ok, tt.give)
		assert.Equal(t, tt.pkg, pkg, tt.give)
		assert.Equal(t, tt.name, name, tt.give)
	}
}

func TestTemplatePlaceholder(t *testing.T) {
	for give, want := range map[string]string{"{recv}": "{recv}", "{arg1}": "{arg1}", "{recv}.Pool": "", "f({arg1})": "", "{recv}{arg1}": ""} {
		tmpl, err := ParseTemplate(give)
		if err != nil {
			continue // {recv}{arg1} is not one expression
		}
		p, ok := tmpl.Placeholder()
		got := ""
		if ok {
			got = p.String()
		}
		assert.Equal(t, want, got, give)
	}
}
