package main

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckJSONSchema pins the keys of `check --json`: CI scripts read them.
func TestCheckJSONSchema(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	stdout, stderr, code := runIn(dir, "check", "--json")
	require.Equal(t, exitFindings, code, stderr)

	var report map[string][]map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &report))
	assert.Equal(t, []string{"findings", "handlers"}, slices.Sorted(maps.Keys(report)))
	require.NotEmpty(t, report["handlers"])
	require.NotEmpty(t, report["findings"])

	for _, h := range report["handlers"] {
		assert.Equal(t, []string{"class", "func", "pkg", "pos", "statements", "wrapper"}, slices.Sorted(maps.Keys(h)))
		stmts, ok := h["statements"].([]any)
		require.True(t, ok)
		for _, s := range stmts {
			assert.Equal(t, []string{"effect", "pos"}, slices.Sorted(maps.Keys(s.(map[string]any))))
		}
	}
	for _, f := range report["findings"] {
		assert.Equal(t, []string{"code", "message", "pos"}, slices.Sorted(maps.Keys(f)))
	}
	assert.Equal(t, "TS001", report["findings"][0]["code"])
	assert.Equal(t, "api/api.go:22:9", report["findings"][0]["pos"])
}
