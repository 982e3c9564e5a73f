package vet_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/report"
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

// TestConfigOption: Options.Config is read in place of the module root's
// txscope.yaml (here there is none), whole: its effect rules change the
// TS001 findings (every call on the transaction declared a write: nothing
// to move out), its pooled handle is the one the fix writes; a relative
// path is taken from the module root; a bad file is an error of the pass.
func TestConfigOption(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(tmp, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	diags := func(opts vet.Options, patterns ...string) ([]analysis.Diagnostic, []string) {
		var c collect
		var out []analysis.Diagnostic
		for _, r := range analysistest.Run(&c, shop(t), vet.New(opts), append([]string{"./api"}, patterns...)...) {
			out = append(out, r.Diagnostics...)
			if r.Err != nil {
				c.errs = append(c.errs, r.Err.Error())
			}
		}
		return out, c.errs
	}
	base, _ := diags(vet.Options{})
	require.NotEmpty(t, base)

	same, errs := diags(vet.Options{Config: write("same.yaml", "version: 1\n")})
	require.Empty(t, errs)
	assert.Equal(t, messages(base), messages(same))

	other, errs := diags(vet.Options{Config: write("other.yaml", "version: 1\neffects: {write: [\"github.com/jackc/pgx/v5.Tx.*\"]}\n")})
	// Both handlers' // want comments go unmatched: nothing is reported.
	assert.Empty(t, messages(other))
	var unmatched []string
	for _, e := range errs {
		if strings.Contains(e, "no diagnostic was reported matching `whole-request tenant transaction") {
			unmatched = append(unmatched, e)
		}
	}
	assert.Len(t, unmatched, 2, "%v", errs)

	// The pooled handle, which the load of the module root's file used
	// to fix before the option was read.
	forSetting := write("pooled.yaml", "version: 1\npooled: \"tenantpool.ForSetting({recv}.Pool, \\\"app.current_tenant_id\\\", {tenant})\"\n")
	pooled, errs := diags(vet.Options{Config: forSetting})
	require.Empty(t, errs)
	assert.Equal(t, messages(base), messages(pooled))
	assert.Contains(t, fixText(pooled), "tenantpool.ForSetting(s.db.Pool, \"app.current_tenant_id\", tenantID)")
	assert.NotContains(t, fixText(base), "ForSetting")

	rel, err := filepath.Rel(shop(t), forSetting)
	require.NoError(t, err)
	relative, errs := diags(vet.Options{Config: rel})
	require.Empty(t, errs)
	assert.Equal(t, fixText(pooled), fixText(relative))

	// The first package analysed fails, the others for want of its facts.
	_, errs = diags(vet.Options{Config: write("bad.yaml", "version: 2\n")}, "./db")
	assert.Contains(t, strings.Join(errs, "\n"), "unsupported version")

	_, errs = diags(vet.Options{Config: filepath.Join(tmp, "missing.yaml")}, "./db")
	assert.Contains(t, strings.Join(errs, "\n"), "no such file")
}

// TestFlags: the Analyzer's flags, which go vet and go fix pass as
// -txscope.config and -txscope.codes, are the same options; an unknown
// code is refused when the flag is parsed.
func TestFlags(t *testing.T) {
	a := vet.New(vet.Options{})
	require.NotNil(t, a.Flags.Lookup("config"))
	require.NoError(t, a.Flags.Set("codes", "TS003"))
	var c collect
	n := 0
	for _, r := range analysistest.Run(&c, shop(t), a, "./...") {
		for _, d := range r.Diagnostics {
			n++
			assert.Equal(t, "TS003", d.Category)
		}
	}
	assert.Equal(t, 1, n)
	err := a.Flags.Set("codes", "TS001,TS999")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown finding code "TS999"`)
}

func fixText(ds []analysis.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		for _, f := range d.SuggestedFixes {
			for _, e := range f.TextEdits {
				b.Write(e.NewText)
			}
		}
	}
	return b.String()
}

// TestCodesOption: only the codes asked for are reported.
func TestCodesOption(t *testing.T) {
	var c collect
	n := 0
	for _, r := range analysistest.Run(&c, shop(t), vet.New(vet.Options{Codes: []string{"TS003"}}), "./...") {
		for _, d := range r.Diagnostics {
			n++
			assert.Equal(t, "TS003", d.Category)
		}
	}
	assert.Equal(t, 1, n)
}

func messages(ds []analysis.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Message)
	}
	return out
}

// TestOutsideModule checks that a package with no go.mod above it is
// reported as not analysed rather than passed.
func TestOutsideModule(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.go"), []byte("package p\n"), 0o644))
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(dir, "p.go"), nil, 0)
	require.NoError(t, err)
	var got []analysis.Diagnostic
	pass := &analysis.Pass{Fset: fset, Files: []*ast.File{f}, Pkg: types.NewPackage("p", "p"),
		Report: func(d analysis.Diagnostic) { got = append(got, d) }}
	_, err = vet.Analyzer.Run(pass)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "TS010", got[0].Category)
	assert.Contains(t, got[0].Message, "not analysed: ")
}

// TestCrossPackage: go vet analyses one package at a time, so what store's
// helpers, db's wrapper, and mw's middleware and layer do reaches api only
// as facts (the `// want name:"…"` comments say which). api's findings
// and fixes are right only if they crossed: without store.Name's fact the
// call in Show is unknown, a write, and Show is neither reported nor fixed;
// without db.WithTenant's no handler is found at all.
func TestCrossPackage(t *testing.T) {
	dir, err := filepath.Abs("testdata/crosspkg")
	require.NoError(t, err)
	analysistest.RunWithSuggestedFixes(t, dir, vet.Analyzer, "./...")
}

// TestCodes: testdata/codes has a `// want` case for every finding code
// the Analyzer reports, and the fixes of a wrapper's tenant setting made
// with a handler of its own package (TS003 and TS004 together, TS004
// alone: the rewrite's edit of the wrapper's declaration, db.go.golden).
//
// Three codes cannot be reported package by package. TS008 and TS011 are
// about the module's schema and txscope.yaml, not about a package's Go
// code: they have no position in the package's files, which is where go
// vet and golangci-lint put a diagnostic, and every package's pass would
// repeat them; txscope check reports them once, at their line in the
// migration or config file. TS009 needs a live database (txscope check
// --db), which an analysis pass does not connect to.
func TestCodes(t *testing.T) {
	dir, err := filepath.Abs("testdata/codes")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, r := range analysistest.RunWithSuggestedFixes(t, dir, vet.Analyzer, "./...") {
		for _, d := range r.Diagnostics {
			seen[d.Category] = true
		}
	}
	var missing []string
	for _, c := range report.Codes {
		if !seen[c.Code] && !slices.Contains([]string{"TS008", "TS009", "TS011"}, c.Code) {
			missing = append(missing, c.Code)
		}
	}
	assert.Empty(t, missing, "codes without a case in testdata/codes")
}
