package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/fixtures/golden"
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
	if golden.Updating() {
		readme = bytes.Replace(readme, blocks[1], stdout.Bytes(), 1)
		readme = bytes.Replace(readme, blocks[2], stderr.Bytes(), 1)
		require.NoError(t, os.WriteFile("../../README.md", readme, 0o644))
		return
	}
	assert.Equal(t, string(blocks[1]), stdout.String())
	assert.Equal(t, string(blocks[2]), stderr.String())
}

// TestREADMEConfig runs check on the bundled example with the README's
// sample configuration, its module paths adapted: it is accepted, finds
// what detection finds, and the two names the example does not call are
// warnings.
func TestREADMEConfig(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)## Configuration: `txscope.yaml`.*?```yaml\n(.*?)```").FindSubmatch(readme)
	require.Len(t, block, 2, "README has the sample configuration")
	config := strings.ReplaceAll(string(block[1]), "example.com/app/", "example.com/shop/")

	dir := exampleCopy(t)
	detected, _, code := runIn(dir, "check")
	require.Equal(t, exitFindings, code)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "txscope.yaml"), []byte(config), 0o644))
	stdout, stderr, code := runIn(dir, "check")
	assert.Equal(t, exitFindings, code, stderr)
	assert.Empty(t, stderr)
	warnings := `txscope.yaml:10:11: warning: effects.slow[0]: "net/http.(*Client).Do" is not called by the loaded packages, so the rule has no effect
txscope.yaml:10:36: warning: effects.slow[1]: "github.com/sashabaranov/go-openai.*": package github.com/sashabaranov/go-openai is not imported by the loaded packages, so the rule has no effect
`
	assert.Equal(t, warnings+detected, stdout)
}

// exampleCopy copies fixtures/example into a temporary directory, its
// replace directive pointed at this repository.
func exampleCopy(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(repo, "fixtures", "example"))))
	gomod := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(gomod)
	require.NoError(t, err)
	data = bytes.Replace(data, []byte("=> ../.."), []byte("=> "+repo), 1)
	require.NoError(t, os.WriteFile(gomod, data, 0o644))
	return dir
}
