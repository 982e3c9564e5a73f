package rules

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpandTemplate(t *testing.T) {
	call := Placeholders{Recv: "s.db", Tenant: "tenantID", Args: []string{"ctx", "tenantID", "func(tx pgx.Tx) error {…}"}}
	tests := []struct {
		name string
		give string
		want string
	}{
		{"default", DefaultPooled, "tenantpool.For(s.db.Pool, tenantID)"},
		{"argument", "db.Pooled({arg1})", "db.Pooled(tenantID)"},
		{"no placeholders", "app.ReadPool", "app.ReadPool"},
		{"repeated", "{recv}.Scoped({tenant}, {tenant})", "s.db.Scoped(tenantID, tenantID)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, CheckTemplate(tt.give))
			got, err := ExpandTemplate(tt.give, call)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExpandTemplateErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		ph   Placeholders
		want string
	}{
		{"no receiver", DefaultPooled, Placeholders{Tenant: "t"}, "{recv} used but the wrapper call has no receiver"},
		{"no tenant", DefaultPooled, Placeholders{Recv: "s.db"}, "{tenant} used but the wrapper call has no tenant argument"},
		{"argument out of range", "f({arg3})", Placeholders{Args: []string{"a", "b"}}, "{arg3} used but the wrapper call has 2 arguments"},
		{"unknown", "f({pool})", Placeholders{}, "unknown placeholder {pool} (want {recv}, {tenant} or {argN})"},
		{"negative argument", "f({arg-1})", Placeholders{}, "unknown placeholder {arg-1} (want {recv}, {tenant} or {argN})"},
		{"signed argument", "f({arg+1})", Placeholders{}, "unknown placeholder {arg+1} (want {recv}, {tenant} or {argN})"},
		{"empty", "f({})", Placeholders{}, "unknown placeholder {} (want {recv}, {tenant} or {argN})"},
		{"nested", "f({a{b}})", Placeholders{}, `unbalanced braces in "f({a{b}})": '{' without '}'`},
		{"unclosed", "f({recv", Placeholders{Recv: "r"}, `unbalanced braces in "f({recv": '{' without '}'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ExpandTemplate(tt.give, tt.ph)
			assert.EqualError(t, err, tt.want)
		})
	}
}
