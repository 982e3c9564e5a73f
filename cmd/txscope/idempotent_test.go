package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/txscope/txscope/fixtures/golden"
)

// assertIdempotent runs rewrite again over a case's rewritten module, with
// the case's flags but those that only change what is printed: the run
// applies (a --dry-run case's rewrite too) and then a dry run with
// --exit-code must print no diff and exit 0, so a third run would write
// nothing. A case that fails (exit 2) must fail the same way both times
// and write nothing. caseExit is the case's exit code.
func assertIdempotent(t *testing.T, dir string, args []string, caseExit int) {
	t.Helper()
	want := exitOK
	if caseExit == exitError {
		want = exitError
	}
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return a == "--dry-run" || a == "-n" || a == "--json" || a == "--exit-code"
	})
	base := append([]string{"rewrite", "-C", dir}, args...)

	before := golden.ReadTree(t, dir)
	var stdout, stderr bytes.Buffer
	code := run(base, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, want, code, "idempotence: %s exits %d; output:\n%s%s", strings.Join(base, " "), code, stdout.String(), stderr.String())
	if want == exitError {
		assert.Equal(t, before, golden.ReadTree(t, dir), "idempotence: a failing run changes files")
	}

	before = golden.ReadTree(t, dir)
	stdout.Reset()
	stderr.Reset()
	dry := append(slices.Clone(base), "--dry-run", "--exit-code")
	code = run(dry, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, want, code, "idempotence: %s exits %d; report:\n%s", strings.Join(dry, " "), code, stderr.String())
	assert.Empty(t, stdout.String(), "idempotence: the second run prints a diff; report:\n%s", stderr.String())
	assert.Equal(t, before, golden.ReadTree(t, dir), "idempotence: a dry run changes files")
}
