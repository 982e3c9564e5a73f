package analysis

import (
	"go/ast"
	"go/types"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/packages"
)

// TestDerivedEffects classifies the bodies of testdata/derived: calls on
// values obtained from the tx (rows, command tags, prepared and named
// statements, batch results, large objects, GORM associations and
// migrators) take the effect of their preset, and are unknown without one.
// Each statement carries its expected effect as a trailing comment.
func TestDerivedEffects(t *testing.T) {
	assert.Greater(t, assertEffects(t, "testdata/derived", &rules.Config{}), 30)
}

// TestLocalSQLEffects classifies the bodies of testdata/localsql: SQL text
// held in a local variable, or a concatenation of constants in one, is
// read when the variable has one value only (declared with it, outside a
// loop, never assigned again nor its address taken), and is unknown else.
func TestLocalSQLEffects(t *testing.T) {
	assert.GreaterOrEqual(t, assertEffects(t, "testdata/localsql", &rules.Config{}), 15)
}

// TestSlowViaInterface classifies the bodies of testdata/slowiface: a call
// through an interface of the loaded code takes the slow effect of all its
// implementations, or of a slow rule on the interface method.
func TestSlowViaInterface(t *testing.T) {
	const pkg = "github.com/txscope/txscope/rewrite/analysis/testdata/slowiface"
	cfg := &rules.Config{}
	cfg.Effects.Slow = []rules.Pattern{rules.MustPattern(pkg + ".(*smtpMailer).Send"), rules.MustPattern(pkg + ".Pinger.Ping")}
	assert.Equal(t, 4, assertEffects(t, "testdata/slowiface", cfg))
}

// assertEffects classifies the bodies of the functions of the package in
// dir, each with its first parameter (the tx) as the seed, and checks each
// statement's effect against the comment after it. It returns how many it
// checked.
func assertEffects(t *testing.T, dir string, cfg *rules.Config) int {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: dir}, ".")
	require.NoError(t, err)
	require.Len(t, pkgs, 1)
	pkg := pkgs[0]
	require.Empty(t, pkg.Errors)
	prog := &load.Program{Fset: pkg.Fset, Packages: pkgs}
	c := NewClassifier(prog, cfg)
	checked := 0
	for _, f := range pkg.Syntax {
		want := map[int]string{}
		for _, cg := range f.Comments {
			line := pkg.Fset.Position(cg.Pos()).Line
			want[line] = strings.TrimSpace(strings.TrimPrefix(cg.List[0].Text, "//"))
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || len(fd.Type.Params.List) == 0 || len(fd.Type.Params.List[0].Names) == 0 {
				continue
			}
			tx := pkg.TypesInfo.Defs[fd.Type.Params.List[0].Names[0]]
			for _, se := range c.Body(pkg.TypesInfo, fd.Body, []types.Object{tx}) {
				pos := pkg.Fset.Position(se.Stmt.Pos())
				if w, ok := want[pos.Line]; ok {
					assert.Equal(t, w, se.Effect.String(), "%s: %s", pos, fd.Name.Name)
					checked++
				}
			}
		}
	}
	return checked
}
