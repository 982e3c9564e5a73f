package load

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLocalValue checks which local variables have one value only: each
// case is a function whose variable q must resolve to want ("" for none).
func TestLocalValue(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"declared", `q := "SELECT 1"; use(q)`, `"SELECT 1"`},
		{"var with a value", `var q = "SELECT 1"; use(q)`, `"SELECT 1"`},
		{"concatenation", `q := base + " WHERE id = $1"; use(q)`, `base + " WHERE id = $1"`},
		{"one of two", `q, n := "SELECT 1", 2; use(q); _ = n`, `"SELECT 1"`},
		{"used in a loop", `q := "SELECT 1"; for range 3 { use(q) }`, `"SELECT 1"`},
		{"used in a closure", `q := "SELECT 1"; f := func() { use(q) }; f()`, `"SELECT 1"`},
		{"declared in a closure in a loop", `for range 3 { func() { q := "SELECT 1"; use(q) }() }`, `"SELECT 1"`},
		{"reassigned", `q := "SELECT 1"; q = "DELETE FROM t"; use(q)`, ""},
		{"appended to", `q := "SELECT 1"; q += " LIMIT 1"; use(q)`, ""},
		{"assigned in a closure", `q := "SELECT 1"; f := func() { q = "DELETE FROM t" }; f(); use(q)`, ""},
		{"address taken", `q := "SELECT 1"; p := &q; *p = "DELETE FROM t"; use(q)`, ""},
		{"pointer method", `q := text("SELECT 1"); q.add(" FOR UPDATE"); use(string(q))`, ""},
		{"declared in a loop", `for range 3 { q := "SELECT 1"; use(q) }`, ""},
		{"range variable", `for _, q := range []string{"SELECT 1"} { use(q) }`, ""},
		{"declared without a value", `var q string; q = "SELECT 1"; use(q)`, ""},
		{"from a call", `q, err := build(); use(q); _ = err`, ""},
		{"reassigned by a tuple", `q := "SELECT 1"; q, _ = build(); use(q)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `package p

const base = "SELECT id FROM t"

type text string

func (s *text) add(x string) { *s += text(x) }

func use(string)                 {}
func build() (string, error)     { return "", nil }

func f() { ` + tt.body + ` }
`
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "p.go", src, 0)
			require.NoError(t, err)
			info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
			_, err = (&types.Config{}).Check("p", fset, []*ast.File{f}, info)
			require.NoError(t, err)
			out := map[*types.Var]ast.Expr{}
			indexLocals(info, f, out)
			var q *types.Var
			for id, obj := range info.Defs {
				if id.Name == "q" {
					q = obj.(*types.Var)
				}
			}
			require.NotNil(t, q)
			got := ""
			if e := out[q]; e != nil {
				got = types.ExprString(e)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
