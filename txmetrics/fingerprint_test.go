package txmetrics

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFingerprint(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "bind parameters stay", give: "select * from orders where id = $1", want: "select * from orders where id = $1"},
		{name: "whitespace collapses", give: "  select *\n\tfrom   orders\n", want: "select * from orders"},
		{name: "string literal", give: "select 1 from t where name = 'O''Brien'", want: "select ? from t where name = ?"},
		{name: "escape string", give: `select E'it\'s', x'1F'`, want: "select ?"},
		{name: "numbers", give: "select * from t limit 10 offset 2.5e-3", want: "select * from t limit ? offset ?"},
		{name: "identifier digits stay", give: "select t1.c2 from t1", want: "select t1.c2 from t1"},
		{name: "in list folds", give: "delete from t where id in (1, 2, 3,4)", want: "delete from t where id in (?)"},
		{name: "dollar quoted", give: "do $body$ begin perform 1; end $body$", want: "do ?"},
		{name: "empty dollar quote", give: "select $$a 'b'$$", want: "select ?"},
		{name: "comments dropped", give: "select /* a /* nested */ b */ 1 -- trailing\nfrom t", want: "select ? from t"},
		{name: "quoted identifier stays", give: `select "Weird ""Name""" from t`, want: `select "Weird ""Name""" from t`},
		{name: "set_config tenant", give: "select set_config('app.tenant', '42', true)", want: "select set_config(?, true)"},
		{name: "begin", give: "begin isolation level serializable", want: "begin isolation level serializable"},
		{name: "unterminated string", give: "select 'abc", want: "select ?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Fingerprint(tt.give))
		})
	}
}

func TestFingerprintIsBounded(t *testing.T) {
	long := "select " + strings.Repeat("column_name, ", 100) + "x from t"
	assert.Len(t, Fingerprint(long), maxFingerprint)

	multibyte := "select " + strings.Repeat("ä", 200)
	got := Fingerprint(multibyte)
	assert.LessOrEqual(t, len(got), maxFingerprint)
	assert.True(t, strings.HasSuffix(got, "ä"), "cut inside a UTF-8 sequence: %q", got[len(got)-4:])
}
