package golangci_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/golangci/plugin-module-register/register"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/vet/golangci"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

// TestRegistered: importing the package registers "txscope", as the custom
// golangci-lint's plugin file does.
func TestRegistered(t *testing.T) {
	newPlugin, err := register.GetPlugin("txscope")
	require.NoError(t, err)
	p, err := newPlugin(nil)
	require.NoError(t, err)
	assert.Equal(t, register.LoadModeTypesInfo, p.GetLoadMode())
}

// TestSettings: the settings come as golangci-lint hands them over (a map
// decoded from .golangci.yml), into vet's options.
func TestSettings(t *testing.T) {
	p, err := golangci.New(map[string]any{"config": "ci/txscope.yaml", "codes": []any{"TS001", "TS003"}})
	require.NoError(t, err)
	assert.Equal(t, golangci.Settings{Config: "ci/txscope.yaml", Codes: []string{"TS001", "TS003"}}, p.(*golangci.Plugin).Settings)

	as, err := p.BuildAnalyzers()
	require.NoError(t, err)
	require.Len(t, as, 1)
	assert.Equal(t, "txscope", as[0].Name)
	assert.NotNil(t, as[0].Run)

	p, err = golangci.New(nil) // no settings block
	require.NoError(t, err)
	assert.Equal(t, golangci.Settings{}, p.(*golangci.Plugin).Settings)
	p, err = golangci.New(map[string]any{})
	require.NoError(t, err)
	assert.Equal(t, golangci.Settings{}, p.(*golangci.Plugin).Settings)
}

func TestSettingsErrors(t *testing.T) {
	for name, s := range map[string]any{
		"unknown key":  map[string]any{"cofig": "txscope.yaml"},
		"unknown code": map[string]any{"codes": []any{"TS999"}},
		"codes type":   map[string]any{"codes": "TS001"},
		"config type":  map[string]any{"config": 3},
	} {
		_, err := golangci.New(s)
		assert.Error(t, err, name)
	}
}

// TestSettingsApply: the analyzer the plugin builds applies both settings,
// as golangci-lint runs it: codes limits what is reported, config is read
// in place of the module root's txscope.yaml (a relative path from the
// module root).
func TestSettingsApply(t *testing.T) {
	dir, err := filepath.Abs("../testdata/shop")
	require.NoError(t, err)
	run := func(settings map[string]any, patterns ...string) []analysis.Diagnostic {
		p, err := golangci.New(settings)
		require.NoError(t, err)
		as, err := p.BuildAnalyzers()
		require.NoError(t, err)
		var c collect
		var out []analysis.Diagnostic
		for _, r := range analysistest.Run(&c, dir, as[0], patterns...) {
			out = append(out, r.Diagnostics...)
		}
		return out
	}
	var codes []string
	for _, d := range run(map[string]any{"codes": []any{"TS003"}}, "./...") {
		codes = append(codes, d.Category)
	}
	assert.Equal(t, []string{"TS003"}, codes)

	cfg := filepath.Join(t.TempDir(), "txscope.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("version: 1\neffects: {write: [\"github.com/jackc/pgx/v5.Tx.*\"]}\n"), 0o644))
	rel, err := filepath.Rel(dir, cfg)
	require.NoError(t, err)
	require.NotEmpty(t, run(nil, "./api"))
	assert.Empty(t, run(map[string]any{"config": rel}, "./api"), "every call on the tx a write: nothing to move out")
}

type collect struct{}

func (collect) Errorf(string, ...any) {} // the testdata's // want comments are vet_test's
