package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEExample keeps the README honest: its diff and report of the
// bundled example are what txscope prints today.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)prints this diff.*?```diff\n(.*?)```.*?report on stderr:\n\n```\n(.*?)```").FindSubmatch(readme)
	require.Len(t, blocks, 3, "README has the example diff and report blocks")

	var stdout, stderr bytes.Buffer
	code := run([]string{"rewrite", "--dry-run", "-C", "../../fixtures/example"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	if *update {
		readme = bytes.Replace(readme, blocks[1], stdout.Bytes(), 1)
		readme = bytes.Replace(readme, blocks[2], stderr.Bytes(), 1)
		require.NoError(t, os.WriteFile("../../README.md", readme, 0o644))
		return
	}
	assert.Equal(t, string(blocks[1]), stdout.String())
	assert.Equal(t, string(blocks[2]), stderr.String())
}
