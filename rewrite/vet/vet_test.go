package vet_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/vet"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

// The testdata module requires txscope (replaced by this checkout), so the
// pooled handle is imported, not copied: every fix is local.
func shop(t *testing.T) string {
	dir, err := filepath.Abs("testdata/shop")
	require.NoError(t, err)
	return dir
}

// TestFindings: the // want comments are txscope check's findings of the
// module, message and position for position.
func TestFindings(t *testing.T) {
	analysistest.Run(t, shop(t), vet.Analyzer, "./...")
}

// TestFixes: applying every fix gives the .golden files: a pooled and a
// narrowed handler (api) and the TS003 set_config fix (db).
func TestFixes(t *testing.T) {
	results := analysistest.RunWithSuggestedFixes(t, shop(t), vet.Analyzer, "./...")
	fixes := 0
	for _, r := range results {
		var edits []analysis.TextEdit
		for _, d := range r.Diagnostics {
			require.LessOrEqual(t, len(d.SuggestedFixes), 1, d.Message)
			for _, f := range d.SuggestedFixes {
				fixes++
				edits = append(edits, f.TextEdits...)
			}
		}
		// Fixes of one file never overlap (golangci-lint drops them all if
		// they do).
		for i, a := range edits {
			for _, b := range edits[i+1:] {
				assert.False(t, a.Pos < b.End && b.Pos < a.End, "overlapping edits %v and %v", a, b)
			}
		}
	}
	assert.Equal(t, 3, fixes)
}

type collect struct{ errs []string }

func (c *collect) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// TestExample: on the bundled example, a middleware migration gets no fix
// and says to run txscope rewrite; the handlers called inline get theirs.
func TestExample(t *testing.T) {
	dir, err := filepath.Abs("../../fixtures/example")
	require.NoError(t, err)
	var c collect
	results := analysistest.Run(&c, dir, vet.Analyzer, "./api")
	require.Len(t, results, 1)
	withFix, chained := 0, 0
	for _, d := range results[0].Diagnostics {
		switch {
		case strings.Contains(d.Message, "middleware migration"):
			chained++
			assert.Empty(t, d.SuggestedFixes)
			assert.Contains(t, d.Message, "run `txscope rewrite`")
		case d.Category == "TS001":
			withFix++
			assert.Len(t, d.SuggestedFixes, 1, d.Message)
		}
		assert.True(t, strings.HasSuffix(d.Message, "("+d.Category+")"), d.Message)
	}
	assert.Equal(t, 3, chained)
	assert.Equal(t, 4, withFix)
}

func TestUnitchecker(t *testing.T) {
	for args, want := range map[string]bool{
		"-V=full":             true,
		"-flags":              true,
		"/tmp/x/vet.cfg":      true,
		"-fix -diff /t/a.cfg": true,
		"check ./...":         false,
		"rewrite x.cfg":       false,
		"":                    false,
		"-V=full extra":       false,
	} {
		assert.Equal(t, want, vet.Unitchecker(strings.Fields(args)), args)
	}
}

// TestRuntimeCopy: a module that does not require txscope would get the
// runtime's copy from the rewrite, so its handlers have no fix and say so;
// the TS003 fix is still offered (it needs no runtime).
func TestRuntimeCopy(t *testing.T) {
	dir, err := filepath.Abs("testdata/nodep")
	require.NoError(t, err)
	for _, r := range analysistest.Run(t, dir, vet.Analyzer, "./...") {
		for _, d := range r.Diagnostics {
			if d.Category == "TS001" {
				assert.Empty(t, d.SuggestedFixes, d.Message)
			} else {
				assert.Len(t, d.SuggestedFixes, 1, d.Message)
			}
		}
	}
}
