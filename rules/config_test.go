package rules

import (
	"bytes"
	"errors"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// documented is the example configuration of the design document.
const documented = `version: 1
wrappers:   ["example.com/app/internal/db.(*DB).WithTenant"]
sessions:   ["example.com/app/internal/auth.GetActiveSalesSession"]
middleware: ["example.com/app/internal/sales.(*Server).withSalesSession"]
pooled:     "tenantpool.For({recv}.Pool, {tenant})"   # the default
querier:    "example.com/app/internal/db.Querier"     # optional
effects:
  read:  ["example.com/app/internal/store.Get*"]
  write: ["example.com/app/internal/store.Create*"]
  slow:  ["net/http.(*Client).Do", "github.com/sashabaranov/go-openai.*"]
tenant: {setting: app.current_tenant_id, column: tenant_id, rls: true}
`

func TestParseDocumented(t *testing.T) {
	c, err := Parse("txscope.yaml", []byte(documented))
	require.NoError(t, err)

	assert.Equal(t, "txscope.yaml", c.Path)
	assert.Equal(t, 1, c.Version)
	assert.Equal(t, []string{"example.com/app/internal/db.(*DB).WithTenant"}, raws(c.Wrappers))
	assert.Equal(t, []string{"example.com/app/internal/auth.GetActiveSalesSession"}, raws(c.Sessions))
	assert.Equal(t, []string{"example.com/app/internal/sales.(*Server).withSalesSession"}, raws(c.Middleware))
	assert.Equal(t, DefaultPooled, c.Pooled)
	assert.Equal(t, "example.com/app/internal/db.Querier", c.Querier)
	assert.Equal(t, []string{"example.com/app/internal/store.Get*"}, raws(c.Effects.Read))
	assert.Equal(t, []string{"example.com/app/internal/store.Create*"}, raws(c.Effects.Write))
	assert.Equal(t, []string{"net/http.(*Client).Do", "github.com/sashabaranov/go-openai.*"}, raws(c.Effects.Slow))
	assert.Equal(t, Tenant{
		Setting: "app.current_tenant_id", Column: "tenant_id", RLS: true,
		SettingSet: true, ColumnSet: true, RLSSet: true,
	}, c.Tenant)

	assert.Equal(t, Pattern{
		Raw: "example.com/app/internal/db.(*DB).WithTenant", Pkg: "example.com/app/internal/db",
		Recv: "DB", Ptr: true, Name: "WithTenant",
		Pos: Position{File: "txscope.yaml", Line: 2, Col: 14, Key: "wrappers[0]"},
	}, c.Wrappers[0])
	assert.Equal(t, Position{File: "txscope.yaml", Line: 10, Col: 36, Key: "effects.slow[1]"}, c.Effects.Slow[1].Pos)
	assert.Equal(t, "txscope.yaml:11:66", c.Pos("tenant.rls").String())
	assert.Equal(t, "txscope.yaml:5:13", c.Pos("pooled").String())
	assert.Equal(t, Position{File: "txscope.yaml", Key: "missing"}, c.Pos("missing"))
}

func raws(ps []Pattern) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Raw)
	}
	return out
}

func TestParseDefaults(t *testing.T) {
	for _, give := range []string{"", "# nothing yet\n", "version: 1\nwrappers:\neffects:\ntenant:\n"} {
		c, err := Parse("txscope.yaml", []byte(give))
		require.NoError(t, err, give)
		assert.Equal(t, 1, c.Version)
		assert.Equal(t, DefaultPooled, c.Pooled)
		assert.Empty(t, c.Patterns())
		assert.Equal(t, Tenant{}, c.Tenant)
		assert.Equal(t, DefaultRuntimeDir, c.RuntimeDir())
	}
}

func TestParseRuntimeDir(t *testing.T) {
	c, err := Parse("txscope.yaml", []byte("runtime: {dir: internal/pgtenant/}\n"))
	require.NoError(t, err)
	assert.Equal(t, "internal/pgtenant", c.RuntimeDir())
}

func TestParseIsolationKey(t *testing.T) {
	c, err := Parse("txscope.yaml", []byte("isolation: REPEATABLE READ\n"))
	require.NoError(t, err)
	assert.Equal(t, RepeatableRead, c.Isolation)
	assert.Equal(t, IsolationUnknown, Default().Isolation, "no key: PostgreSQL's default, read committed")
}

func TestParseCommits(t *testing.T) {
	c, err := Parse("txscope.yaml", []byte(`commits:
  "example.com/app/db.(*DB).WithTenant": ["example.com/app/db.ErrKeep", "example.com/app/db.KeepError"]
  example.com/app/db.WithTx: []
`))
	require.NoError(t, err)
	require.Len(t, c.Commits, 2)
	assert.Equal(t, "example.com/app/db.(*DB).WithTenant", c.Commits[0].Wrapper.Raw)
	assert.Equal(t, Position{File: "txscope.yaml", Line: 2, Col: 3, Key: "commits.example.com/app/db.(*DB).WithTenant"}, c.Commits[0].Wrapper.Pos)
	assert.Equal(t, []string{"example.com/app/db.ErrKeep", "example.com/app/db.KeepError"}, raws(c.Commits[0].Errors))
	assert.Equal(t, Position{File: "txscope.yaml", Line: 2, Col: 73, Key: "commits.example.com/app/db.(*DB).WithTenant[1]"}, c.Commits[0].Errors[1].Pos)
	assert.Empty(t, c.Commits[1].Errors, "an empty list: it rolls back on every error")
	assert.Len(t, c.Patterns(), 2, "the wrappers are checked against the loaded code like every name")

	pkg := types.NewPackage("example.com/app/db", "db")
	sig := types.NewSignatureType(nil, nil, nil, nil, nil, false)
	errs, ok := c.StatedCommits(types.NewFunc(0, pkg, "WithTx", sig))
	assert.True(t, ok)
	assert.Empty(t, errs)
	_, ok = c.StatedCommits(types.NewFunc(0, pkg, "Other", sig))
	assert.False(t, ok)
}

func TestParseTenantZeroValues(t *testing.T) {
	c, err := Parse("txscope.yaml", []byte(`tenant: {setting: "", column: "", rls: false}`))
	require.NoError(t, err)
	assert.Equal(t, Tenant{SettingSet: true, ColumnSet: true, RLSSet: true}, c.Tenant)
}

func TestParseErrors(t *testing.T) {
	const keys = "(want version, wrappers, sessions, middleware, pooled, querier, conflict, effects, tenant, runtime, schema, isolation or commits)"
	const forms = "want importpath.Func, importpath.T.Method or importpath.(*T).Method"
	tests := []struct {
		name string
		give string
		want string
	}{
		{"unknown key", "version: 1\nwrapers: []\n", "txscope.yaml:2:1: wrapers: unknown key " + keys},
		{"unknown nested key", "version: 1\nwrappers: []\neffects:\n  reed: []\n",
			"txscope.yaml:4:3: effects.reed: unknown key (want read, write or slow)"},
		{"unknown tenant key", "tenant: {settings: x}", "txscope.yaml:1:10: tenant.settings: unknown key (want setting, column or rls)"},
		{"duplicate key", "wrappers: []\nwrappers: []\n", "txscope.yaml:2:1: wrappers: duplicate key (first at line 1)"},
		{"string for list", `wrappers: "example.com/db.WithTenant"`, "txscope.yaml:1:11: wrappers: want a list of function names, got a string"},
		{"mapping for list", "effects:\n  slow: {a: b}\n", "txscope.yaml:2:9: effects.slow: want a list of function names, got a mapping"},
		{"number in list", "sessions: [1]", "txscope.yaml:1:12: sessions[0]: want a function name, got a number"},
		{"rls quoted yes", `tenant: {rls: "yes"}`, "txscope.yaml:1:15: tenant.rls: want true or false, got a string"},
		{"rls bare yes", "tenant:\n  rls: yes\n", "txscope.yaml:2:8: tenant.rls: want true or false, got a string"},
		{"column number", "tenant: {column: 1}", "txscope.yaml:1:18: tenant.column: want a column name, got a number"},
		{"tenant list", "tenant: [a]", "txscope.yaml:1:9: tenant: want a mapping, got a list"},
		{"effects string", "effects: slow", "txscope.yaml:1:10: effects: want a mapping, got a string"},
		{"isolation unknown", "isolation: snapshot isolation", `txscope.yaml:1:12: isolation: unknown isolation level "snapshot isolation" (want read committed, repeatable read or serializable)`},
		{"isolation number", "isolation: 2", "txscope.yaml:1:12: isolation: want an isolation level, got a number"},
		{"version 2", "version: 2", "txscope.yaml:1:10: version: unsupported version 2 (want 1)"},
		{"version string", `version: "1"`, "txscope.yaml:1:10: version: want 1, got a string"},
		{"bad pattern", "middleware: [\"example.com/app/sales\"]",
			`txscope.yaml:1:14: middleware[0]: bad function pattern "example.com/app/sales": ` + forms},
		{"glob receiver", "effects:\n  read: [\"example.com/store.*.Get\"]\n",
			`txscope.yaml:2:10: effects.read[0]: bad function pattern "example.com/store.*.Get": receiver "*" is not a type name (globs are allowed only in the last element)`},
		{"unbalanced template", `pooled: "tenantpool.For({recv.Pool, {tenant})"`,
			`txscope.yaml:1:25: pooled: unbalanced braces in "tenantpool.For({recv.Pool, {tenant})": '{' without '}'`},
		{"closing brace", `pooled: "f(}"`, `txscope.yaml:1:12: pooled: unbalanced braces in "f(}": '}' without '{'`},
		{"unknown placeholder", `pooled: "tenantpool.For({pool}, {tenant})"`,
			"txscope.yaml:1:25: pooled: unknown placeholder {pool} (want {recv}, {tenant} or {argN})"},
		{"template syntax", `pooled: "tenantpool.For({recv}.Pool, {tenant}"`,
			`txscope.yaml:1:46: pooled: "tenantpool.For({recv}.Pool, {tenant}" is not a Go expression: missing ',' before the end in argument list`},
		{"template syntax plain", "pooled: tenantpool.For({recv}..Pool, {tenant})",
			`txscope.yaml:1:31: pooled: "tenantpool.For({recv}..Pool, {tenant})" is not a Go expression: expected selector or type assertion, found '.'`},
		{"template syntax single-quoted", "pooled: 'tenantpool.For({recv}.Pool {tenant})'",
			`txscope.yaml:1:37: pooled: "tenantpool.For({recv}.Pool {tenant})" is not a Go expression: missing ',' in argument list`},
		{"template syntax after an escape", `pooled: "\x74enantpool.For({recv}.Pool {tenant})"`,
			`txscope.yaml:1:9: pooled: "tenantpool.For({recv}.Pool {tenant})" is not a Go expression: missing ',' in argument list`},
		{"template syntax block scalar", "pooled: |\n  tenantpool.For({recv}.Pool {tenant})\n",
			`txscope.yaml:1:9: pooled: "tenantpool.For({recv}.Pool {tenant})\n" is not a Go expression: missing ',' in argument list`},
		{"template statement", `pooled: "q := tenantpool.For({recv}.Pool, {tenant})"`,
			`txscope.yaml:1:12: pooled: "q := tenantpool.For({recv}.Pool, {tenant})" is not a Go expression: expected 'EOF', found ':='`},
		{"second document", "version: 1\n---\nwrappers: []\n", "txscope.yaml:2:1: a second YAML document: txscope.yaml holds one (remove the '---')"},
		{"second empty document", "version: 1\n---\n", "txscope.yaml:2:1: a second YAML document: txscope.yaml holds one (remove the '---')"},
		{"second document broken", "version: 1\n---\n[\n", "txscope.yaml:3:1: invalid YAML: did not find expected node content"},
		{"schema outside", "schema: [../db]", `txscope.yaml:1:10: schema[0]: want a path inside the module, got "../db"`},
		{"schema not a list", "schema: db/schema.sql", `txscope.yaml:1:9: schema: want a list of paths relative to the module root, got a string`},
		{"runtime outside", "runtime: {dir: ../shared}", `txscope.yaml:1:16: runtime.dir: want a directory inside the module, got "../shared"`},
		{"runtime absolute", "runtime: {dir: /tmp/rt}", `txscope.yaml:1:16: runtime.dir: want a directory inside the module, got "/tmp/rt"`},
		{"runtime testdata", "runtime: {dir: internal/testdata/rt}", `txscope.yaml:1:16: runtime.dir: "internal/testdata/rt" is a directory the go command ignores for packages (testdata)`},
		{"runtime key", "runtime: {path: x}", "txscope.yaml:1:11: runtime.path: unknown key (want dir)"},
		{"pooled list", "pooled: [a]", "txscope.yaml:1:9: pooled: want a template, got a list"},
		{"bad querier", `querier: "example.com/db.(*Q).Run"`, `txscope.yaml:1:10: querier: bad name "example.com/db.(*Q).Run" (want importpath.Name)`},
		{"bad conflict", `conflict: "example.com/errs.*"`, `txscope.yaml:1:11: conflict: bad name "example.com/errs.*" (want importpath.Name)`},
		{"commits list", "commits: [example.com/db.WithTx]", "txscope.yaml:1:10: commits: want a mapping from wrapper names to lists of error names, got a list"},
		{"commits string", "commits: {example.com/db.WithTx: example.com/db.ErrKeep}",
			"txscope.yaml:1:34: commits.example.com/db.WithTx: want a list of error names, got a string"},
		{"commits bad error", "commits: {example.com/db.WithTx: [ErrKeep]}",
			`txscope.yaml:1:35: commits.example.com/db.WithTx[0]: bad name "ErrKeep" (want importpath.Name of an error variable or type)`},
		{"commits bad wrapper", "commits: {WithTx: []}", `txscope.yaml:1:11: commits.WithTx: bad function pattern "WithTx": ` + forms},
		{"commits duplicate", "commits:\n  example.com/db.WithTx: []\n  example.com/db.WithTx: []\n",
			"txscope.yaml:3:3: commits.example.com/db.WithTx: duplicate key (first at line 2)"},
		{"root list", "- a\n- b\n", "txscope.yaml:1:1: want a mapping, got a list"},
		{"syntax", "version: 1\nwrappers: [\n", "txscope.yaml:2:1: invalid YAML: did not find expected node content"},
		{"tab", "\tversion: 1", "txscope.yaml:1:1: invalid YAML: found character that cannot start any token"},
		{"several sorted", "tenant: {rls: maybe}\nversion: 3\nsessions: [x]\n",
			"txscope.yaml:1:15: tenant.rls: want true or false, got a string\n" +
				"txscope.yaml:2:10: version: unsupported version 3 (want 1)\n" +
				`txscope.yaml:3:12: sessions[0]: bad function pattern "x": ` + forms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("txscope.yaml", []byte(tt.give))
			assert.Nil(t, c)
			assert.EqualError(t, err, tt.want)
			var cfgErr *Error
			assert.True(t, errors.As(err, &cfgErr), "errors carry their position")
		})
	}
}

func TestParseErrorUsesPath(t *testing.T) {
	_, err := Parse("svc/txscope.yaml", []byte("version: 7"))
	assert.EqualError(t, err, "svc/txscope.yaml:1:10: version: unsupported version 7 (want 1)")
}

func TestSchemaPaths(t *testing.T) {
	c, err := Parse("txscope.yaml", []byte("schema: [db/migrations/, schema.sql]\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"db/migrations", "schema.sql"}, c.Schema)
	back, err := Parse("txscope.yaml", c.Marshal())
	require.NoError(t, err)
	assert.Equal(t, c.Schema, back.Schema, "Marshal writes the paths back")
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConfigFile)

	c, err := Load(dir)
	require.NoError(t, err, "no config file: the defaults")
	assert.Equal(t, Default(), c)

	require.NoError(t, os.WriteFile(path, []byte(documented), 0o644))
	c, err = Load(dir)
	require.NoError(t, err)
	assert.Equal(t, ConfigFile, c.Path)
	assert.Equal(t, ConfigFile, c.Wrappers[0].Pos.File)

	require.NoError(t, os.WriteFile(path, []byte("version: 2\n"), 0o644))
	_, err = Load(dir)
	assert.EqualError(t, err, "txscope.yaml:1:10: version: unsupported version 2 (want 1)")

	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Mkdir(path, 0o755))
	_, err = Load(dir)
	assert.Error(t, err, "a directory where the config file should be")
	assert.NotErrorIs(t, err, fs.ErrNotExist)
}

func TestReadConfigLimit(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), bytes.Repeat([]byte("#\n"), MaxConfigSize/2), 0o644))
	c, err := Load(dir)
	require.NoError(t, err, "a file of exactly the limit is read")
	assert.Equal(t, ConfigFile, c.Path)
}

func TestMarshalDocumented(t *testing.T) {
	c, err := Parse("txscope.yaml", []byte(documented))
	require.NoError(t, err)
	want := `version: 1
wrappers:   ["example.com/app/internal/db.(*DB).WithTenant"]
sessions:   ["example.com/app/internal/auth.GetActiveSalesSession"]
middleware: ["example.com/app/internal/sales.(*Server).withSalesSession"]
pooled:     "tenantpool.For({recv}.Pool, {tenant})"   # the default
querier:    "example.com/app/internal/db.Querier"
effects:
  read:  ["example.com/app/internal/store.Get*"]
  write: ["example.com/app/internal/store.Create*"]
  slow:  ["net/http.(*Client).Do", "github.com/sashabaranov/go-openai.*"]
tenant: {setting: "app.current_tenant_id", column: "tenant_id", rls: true}
`
	assert.Equal(t, want, string(c.Marshal()))
}

func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		give *Config
	}{
		{"default", Default()},
		{"documented", mustParse(t, documented)},
		{"long lists", mustParse(t, `
wrappers: ["example.com/app/internal/db.(*DB).WithTenant", "example.com/app/internal/db.(*DB).WithTenantReadOnly", "example.com/app/internal/db.WithTx"]
pooled: "db.Pooled({arg0}, {tenant})"
effects:
  slow: ["net/http.(*Client).Do", "github.com/sashabaranov/go-openai.*", "example.com/app/internal/mail.(*Sender).Send", "example.com/app/x.Y"]
tenant: {column: "", rls: false}
`)},
		{"odd strings", &Config{
			Version: 1, Pooled: "q(\"{recv}\")\t", Querier: "example.com/db.Querier",
			Tenant: Tenant{Setting: "app.t\"x", SettingSet: true},
		}},
		{"isolation", &Config{Version: 1, Pooled: DefaultPooled, Isolation: Serializable}},
		{"commits", mustParse(t, `
commits:
  "example.com/app/db.(*DB).WithTenant": ["example.com/app/db.ErrKeep"]
  "example.com/app/db.WithTx": []
`)},
		// The plain wrappers are a comment, and the default pooled: they
		// do not use is left out: it is the default when read back.
		{"plain wrappers", &Config{Version: 1, Pooled: DefaultPooled, PlainWrappers: []string{"example.com/app/db.(*DB).InTx"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.give.Marshal()
			got, err := Parse("txscope.yaml", out)
			require.NoError(t, err, string(out))
			want := *tt.give
			want.PlainWrappers = nil
			assert.Equal(t, withoutPositions(&want), withoutPositions(got), string(out))
		})
	}
}

func TestMarshalLongListOneItemALine(t *testing.T) {
	c := mustParse(t, `effects: {slow: ["example.com/app/internal/mail.(*Sender).Send", "example.com/app/internal/sms.(*Client).Send", "example.com/app/internal/hooks.Fire"]}`)
	assert.Contains(t, string(c.Marshal()), `  slow:
    - "example.com/app/internal/mail.(*Sender).Send"
    - "example.com/app/internal/sms.(*Client).Send"
    - "example.com/app/internal/hooks.Fire"
`)
}

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("txscope.yaml", []byte(src))
	require.NoError(t, err)
	return c
}

// withoutPositions clears what depends on where values were in the file.
func withoutPositions(c *Config) Config {
	out := *c
	out.Path, out.Keys = "", nil
	for _, list := range []*[]Pattern{&out.Wrappers, &out.Sessions, &out.Middleware, &out.Effects.Read, &out.Effects.Write, &out.Effects.Slow} {
		ps := make([]Pattern, len(*list))
		for i, p := range *list {
			p.Pos = Position{}
			ps[i] = p
		}
		*list = ps
	}
	out.Commits = nil
	for _, e := range c.Commits {
		e.Wrapper.Pos = Position{}
		errs := make([]Pattern, len(e.Errors))
		for i, p := range e.Errors {
			p.Pos = Position{}
			errs[i] = p
		}
		out.Commits = append(out.Commits, Commits{Wrapper: e.Wrapper, Errors: errs})
	}
	return out
}

func TestCheckPatterns(t *testing.T) {
	c := mustParse(t, documented)
	use := map[string]Use{
		"example.com/app/internal/db.(*DB).WithTenant":              Used,
		"example.com/app/internal/store.Get*":                       Used,
		"net/http.(*Client).Do":                                     Unused,
		"github.com/sashabaranov/go-openai.*":                       Unimported,
		"example.com/app/internal/sales.(*Server).withSalesSession": Missing,
		"example.com/app/internal/store.Create*":                    Missing,
		"example.com/app/internal/auth.GetActiveSalesSession":       Used,
	}
	warnings, errs := c.CheckPatterns(func(p Pattern) Use { return use[p.Raw] })
	assert.Equal(t, []string{
		`txscope.yaml:10:11: warning: effects.slow[0]: "net/http.(*Client).Do" is not called by the loaded packages, so the rule has no effect`,
		`txscope.yaml:10:36: warning: effects.slow[1]: "github.com/sashabaranov/go-openai.*": package github.com/sashabaranov/go-openai is not imported by the loaded packages, so the rule has no effect`,
	}, warningLines(warnings))
	assert.EqualError(t, JoinErrors(errs), `txscope.yaml:4:14: middleware[0]: "example.com/app/internal/sales.(*Server).withSalesSession" matches no function in the loaded packages
txscope.yaml:9:11: effects.write[0]: "example.com/app/internal/store.Create*" matches no function in the loaded packages`)

	warnings, errs = c.CheckPatterns(func(Pattern) Use { return Used })
	assert.Empty(t, warnings)
	assert.NoError(t, JoinErrors(errs))
}

func warningLines(ws []*Error) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Warning())
	}
	return out
}
