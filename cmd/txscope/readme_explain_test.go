package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestREADMEExplain: the README's explain output, "…" standing for lines
// left out, is what explain prints on the bundled example, in order.
func TestREADMEExplain(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```\n\\$ txscope explain (\\S+)\n(.*?)```").FindSubmatch(readme)
	require.Len(t, block, 3, "README has the explain example")
	stdout, stderr, code := runIn(exampleCopy(t), "explain", string(block[1]))
	require.Equal(t, exitOK, code, stderr)
	rest := stdout
	for _, line := range strings.Split(strings.TrimSuffix(string(block[2]), "\n"), "\n") {
		if strings.TrimSpace(line) == "…" {
			continue
		}
		i := strings.Index(rest, line+"\n")
		require.GreaterOrEqual(t, i, 0, "README line %q is not in (the rest of) the output:\n%s", line, stdout)
		rest = rest[i+len(line)+1:]
	}
}
