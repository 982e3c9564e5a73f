package golangci_test

import (
	"testing"

	"github.com/golangci/plugin-module-register/register"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/vet/golangci"
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
