package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBaselineErrors(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "b.yaml: empty baseline (write one with txscope check --baseline-write b.yaml)"},
		{"syntax", "version: 1\nfindings:\n  - code: [\n", "b.yaml:3: did not find expected node content"},
		{"not a mapping", "- 1\n", "b.yaml:1:1: a baseline is a mapping with the keys version and findings"},
		{"no version", "findings: []\n", "b.yaml:1:1: no version: this txscope reads baseline version 1"},
		{"version", "version: 2\nfindings: []\n", "b.yaml:1:10: baseline version 2: this txscope reads version 1"},
		{"version type", "version: one\nfindings: []\n", "b.yaml:1:10: version \"one\" is not a number"},
		{"unknown key", "version: 1\nfindigns: []\n", "b.yaml:2:1: unknown key \"findigns\" (a baseline has version and findings)"},
		{"no findings", "version: 1\n", "b.yaml:1:1: no findings key (an empty baseline has findings: [])"},
		{"findings type", "version: 1\nfindings: x\n", "b.yaml:2:11: findings is a list"},
		{"entry type", "version: 1\nfindings:\n  - x\n", "b.yaml:3:5: a finding is a mapping with the keys code, func or file, stmt and count"},
		{"unknown code", "version: 1\nfindings:\n  - code: TS999\n    func: f\n", "b.yaml:3:5: unknown finding code \"TS999\""},
		{"no code", "version: 1\nfindings:\n  - func: f\n", "b.yaml:3:5: a finding without a code"},
		{"no place", "version: 1\nfindings:\n  - code: TS001\n    stmt: x\n", "b.yaml:3:5: a finding names its func, or its file when it is outside any function"},
		{"count", "version: 1\nfindings:\n  - code: TS001\n    func: f\n    count: 0\n", "b.yaml:5:12: count \"0\" is not a number of at least 1"},
		{"twice", "version: 1\nfindings:\n  - code: TS001\n    code: TS002\n", "b.yaml:4:5: code given twice"},
		{"stmt type", "version: 1\nfindings:\n  - code: TS001\n    func: f\n    stmt: [a]\n", "b.yaml:5:11: stmt is a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseBaseline("b.yaml", []byte(c.in))
			require.Error(t, err)
			assert.Equal(t, c.want, err.Error())
		})
	}
}

// TestBaselineRoundTripText: what Write prints, ParseBaseline reads back,
// statements that need YAML quoting included.
func TestBaselineRoundTripText(t *testing.T) {
	r := &Report{Findings: []Diagnostic{
		{Code: "TS002", Fingerprint: Fingerprint{Code: "TS002", Func: "a.F", Stmt: `x := "a: b" + '#'`}},
		{Code: "TS002", Fingerprint: Fingerprint{Code: "TS002", Func: "a.F", Stmt: `x := "a: b" + '#'`}},
		{Code: "TS001", Fingerprint: Fingerprint{Code: "TS001", Func: "a.F", Stmt: "- {…} ` \\ \"\n"}},
		{Code: "TS007", Fingerprint: Fingerprint{Code: "TS007", File: "a/b.go", Stmt: "var x = 1"}},
	}}
	b := NewBaseline(r)
	var buf bytes.Buffer
	require.NoError(t, b.Write(&buf))
	got, err := ParseBaseline("b.yaml", buf.Bytes())
	require.NoError(t, err, buf.String())
	assert.Equal(t, b, got)
	assert.Equal(t, []BaselineEntry{
		{Fingerprint: Fingerprint{Code: "TS007", File: "a/b.go", Stmt: "var x = 1"}},
		{Fingerprint: Fingerprint{Code: "TS001", Func: "a.F", Stmt: "- {…} ` \\ \"\n"}},
		{Fingerprint: Fingerprint{Code: "TS002", Func: "a.F", Stmt: `x := "a: b" + '#'`}, Count: 2},
	}, got.Findings)

	r.ApplyBaseline(got, "b.yaml")
	assert.Equal(t, 0, r.Failing())
	assert.Equal(t, 4, r.Baseline.Unchanged)
}

func TestJoinTokens(t *testing.T) {
	for _, c := range []struct {
		toks []string
		want string
	}{
		{[]string{"x", ":=", "f", "(", "&", "a", ",", "-", "1", ")", "[", "0", "]", ".", "B"}, "x := f(&a, -1)[0].B"},
		{[]string{"if", "err", ":=", "f", "(", ")", ";", "err", "!=", "nil", "{…}"}, "if err := f(); err != nil {…}"},
		{[]string{"go", "func", "(", ")", "{…}", "(", ")"}, "go func() {…}()"},
		{[]string{"x", "=", "[", "]", "string", "{", `"a"`, "}", "[", "i", ":", "]"}, `x = []string{"a"}[i:]`},
		{[]string{"return", "*", "p", "*", "2", "-", "<-", "c"}, "return *p * 2 - <-c"},
		{[]string{"m", "[", "k", "]", "++"}, "m[k]++"},
		{[]string{"T", "{", "A", ":", "1", "}"}, "T{A: 1}"},
	} {
		assert.Equal(t, c.want, joinTokens(c.toks))
	}
}
