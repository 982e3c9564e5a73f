package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestColorModes(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	var buf bytes.Buffer
	for _, c := range []struct {
		mode string
		env  map[string]string
		want bool
	}{
		{"always", nil, true},
		{"always", map[string]string{"NO_COLOR": "1"}, true}, // the flag beats the environment
		{"never", nil, false},
		{"auto", nil, false}, // a buffer is no terminal
		{"auto", map[string]string{"NO_COLOR": "1"}, false},
	} {
		got, err := useColor(c.mode, &buf, env(c.env))
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%s %v", c.mode, c.env)
	}
	_, err := useColor("yes", &buf, env(nil))
	assert.EqualError(t, err, "--color=yes: want auto, always or never")
}

func TestColorDiff(t *testing.T) {
	t.Parallel()
	diff := "--- a/x.go\n+++ b/x.go\n@@ -1,3 +1,3 @@\n ctx\n--- removed, starting with two dashes\n-old\r\n+new\n+\n--- a/y.go\n+++ b/y.go\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n"
	want := "\x1b[1m--- a/x.go\x1b[m\n\x1b[1m+++ b/x.go\x1b[m\n\x1b[36m@@ -1,3 +1,3 @@\x1b[m\n ctx\n" +
		"\x1b[1m--- removed, starting with two dashes\x1b[m\n" + // indistinguishable from a header by its text alone
		"\x1b[31m-old\x1b[m\r\n\x1b[32m+new\x1b[m\n\x1b[32m+\x1b[m\n" +
		"\x1b[1m--- a/y.go\x1b[m\n\x1b[1m+++ b/y.go\x1b[m\n\x1b[36m@@ -1 +1 @@\x1b[m\n\x1b[31m-a\x1b[m\n\x1b[32m+b\x1b[m\n\\ No newline at end of file\n"
	assert.Equal(t, want, colorDiff(diff))
	assert.Equal(t, "", colorDiff(""))
}

// TestRewriteColor: --color=always colours the dry-run diff even into a
// pipe; auto (the default) does not colour a pipe; the report on stderr
// is never coloured.
func TestRewriteColor(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "rewrite/dryrun")
	plain, stderr, code := runIn(dir, "rewrite", "--dry-run")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, plain, "+++ b/api/show.go\n")
	assert.NotContains(t, plain+stderr, "\x1b[")

	colored, stderr2, code := runIn(dir, "rewrite", "--dry-run", "--color=always")
	require.Equal(t, exitOK, code, stderr2)
	assert.Equal(t, colorDiff(plain), colored)
	assert.Contains(t, colored, "\x1b[1m+++ b/api/show.go\x1b[m\n")
	assert.Equal(t, stderr, stderr2)

	never, _, _ := runIn(dir, "rewrite", "--dry-run", "--color=never")
	assert.Equal(t, plain, never)

	_, stderr, code = runIn(dir, "rewrite", "--dry-run", "--color=sometimes")
	assert.Equal(t, exitError, code)
	assert.Equal(t, "txscope: --color=sometimes: want auto, always or never\n", stderr)
}

// TestProgressLine: nothing within the delay; after it a line updated in
// place, cleared when the work ends. A buffer (no terminal) gets nothing.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	var quick bytes.Buffer
	stop := progressLine(&quick, "loading packages", time.Hour, time.Millisecond)
	stop()
	stop() // twice is fine
	assert.Empty(t, quick.String())

	var slow bytes.Buffer
	stop = progressLine(&slow, "loading packages", time.Millisecond, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	stop()
	out := slow.String()
	assert.True(t, strings.HasPrefix(out, "\rtxscope: loading packages… 0s\x1b[K"), "%q", out)
	assert.True(t, strings.HasSuffix(out, "\x1b[K\r\x1b[K"), "%q", out)
	assert.Greater(t, strings.Count(out, "\rtxscope: loading packages…"), 1, "updated in place")

	var pipe bytes.Buffer
	stop = startProgress(&pipe, "loading packages")
	stop()
	assert.Empty(t, pipe.String())
}
