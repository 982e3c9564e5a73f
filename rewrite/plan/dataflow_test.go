package plan

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rules"
)

// TestDefs lists what the last statement of each body may change: every
// way a read's value reaches a variable.
func TestDefs(t *testing.T) {
	tests := []struct {
		name, give string
		want       []string
	}{
		{"define", "v, err := read()", []string{"err", "v"}},
		{"assign", "var v int\nv = 1", []string{"v"}},
		{"var", "var v, w = 1, 2", []string{"v", "w"}},
		{"scan pointer", "var status string\n_ = row().Scan(&status)", []string{"status"}},
		{"scan in if", "var status string\nif err := row().Scan(&status); err != nil {\nreturn err\n}", []string{"err", "status"}},
		{"get into field", "var inv invoice\n_ = get(&inv.Total)", []string{"inv"}},
		{"select slice", "var ids []int\n_ = sel(&ids)", []string{"ids"}},
		{"unmarshal", "var v invoice\n_ = json.Unmarshal(nil, &v)", []string{"v"}},
		{"field", "var inv invoice\ninv.Total = 2", []string{"inv"}},
		{"element", "m := map[string]int{}\nm[\"a\"] = 1", []string{"m"}},
		{"append", "var s []int\ns = append(s, 1)", []string{"s"}},
		{"incdec", "n := 0\nn++", []string{"n"}},
		{"range", "var k, v int\nfor k, v = range []int{1} {\n}", []string{"k", "v"}},
		{"rows loop", "var ids []int\nfor rows().Next() {\nvar id int\n_ = rows().Scan(&id)\nids = append(ids, id)\n}", []string{"id", "ids"}},
		{"pointer method", "var inv invoice\ninv.Fill()", []string{"inv"}},
		{"value method", "var inv invoice\ninv.Show()", nil},
		{"local pointer", "p := &invoice{}\n_ = fill(p)", []string{"p"}},
		{"local map", "m := map[string]int{}\n_ = fillMap(m)", []string{"m"}},
		{"outside pointer", "_ = fill(out)", nil},
		{"pointer declared before the callback", "_ = fill(before)", []string{"before"}},
		{"closure assigns", "var n int\nf := func() { n = 1 }", []string{"f", "n"}},
		{"read only", "var n int\nprintln(n)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, fn, body := dataflowBody(t, tt.give)
			last := body.List[len(body.List)-2] // the last of give, before the final return
			var got []string
			for _, obj := range Defs(info, last, SrcSpanOf(fn.Body)) {
				got = append(got, obj.Name())
			}
			slices.Sort(got)
			got = slices.Compact(got)
			assert.Equal(t, tt.want, got)
		})
	}
}

// dataflowBody type-checks give as the body of a callback inside handler and
// returns handler and the callback's body.
func dataflowBody(t *testing.T, give string) (*types.Info, *ast.FuncDecl, *ast.BlockStmt) {
	src := `package p

import (
	"encoding/json"
	"errors"
	"fmt"
)

var errNotFound = errors.New("not found")

var _ = fmt.Errorf

type invoice struct{ Total int }

func (i *invoice) Fill()      {}
func (i invoice) Show()       {}

type rowT struct{}

func (rowT) Scan(...any) error { return nil }
func (rowT) Next() bool        { return false }

func read() (int, error)            { return 0, nil }
func row() rowT                     { return rowT{} }
func rows() rowT                    { return rowT{} }
func get(any) error                 { return nil }
func sel(any) error                 { return nil }
func fill(*invoice) error           { return nil }
func fillMap(map[string]int) error  { return nil }
func write(...any) error            { return nil }
func create() (int, error)          { return 0, nil }

var _ = json.Unmarshal

func handler(out *invoice) {
	before := &invoice{}
	_ = func() error {
` + give + `
		return nil
	}
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	require.NoError(t, err)
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	var hard []error
	conf := types.Config{Importer: importer.Default(), Error: func(err error) {
		if te, ok := err.(types.Error); !ok || !te.Soft {
			hard = append(hard, err) // unused variables are fine here
		}
	}}
	_, _ = conf.Check("p", fset, []*ast.File{f}, info)
	require.Empty(t, hard)
	fd := f.Decls[len(f.Decls)-1].(*ast.FuncDecl)
	lit := fd.Body.List[1].(*ast.AssignStmt).Rhs[0].(*ast.FuncLit)
	return info, fd, lit.Body
}

// TestErrorChecksOnly tells a failed read's handling from a branch on what
// the read found, which makes the read a guard.
func TestErrorChecksOnly(t *testing.T) {
	tests := []struct {
		name, give string
		want       bool
	}{
		{"error not nil", "if err := row().Scan(); err != nil {\nreturn err\n}", true},
		{"error wrapped", "if err := row().Scan(); err != nil {\nprintln(err)\nreturn fmt.Errorf(\"row: %w\", err)\n}", true},
		// err == nil returns when the row was found: an existence check.
		{"error nil", "if err := row().Scan(); err == nil {\nreturn nil\n}", false},
		{"else of the check", "if err := row().Scan(); err != nil {\nreturn err\n} else {\nreturn nil\n}", false},
		{"no exit", "var n int\nif err := row().Scan(&n); n > 0 {\nprintln(err)\n}", true},
		{"tail return", "return row().Scan()", true},
		{"not found", "if err := row().Scan(); errors.Is(err, errNotFound) {\nreturn nil\n}", false},
		{"sentinel", "if err := row().Scan(); err == errNotFound {\nreturn nil\n}", false},
		{"scanned value", "var done bool\nif err := row().Scan(&done); err != nil || done {\nreturn err\n}", false},
		{"nested check", "if err := row().Scan(); err != nil {\nif errors.Is(err, errNotFound) {\nreturn nil\n}\nreturn err\n}", false},
		{"switch", "switch err := row().Scan(); err {\ncase nil:\ndefault:\nreturn err\n}", false},
		// A loop's continue only skips a row: the loop still runs to its end.
		{"row filter", "var ids []int\nfor rows().Next() {\nvar id int\nif err := rows().Scan(&id); err != nil {\nreturn err\n}\n" +
			"if id == 0 {\ncontinue\n}\nids = append(ids, id)\n}", true},
		{"labeled row filter", "var ids []int\nrows:\nfor rows().Next() {\nvar id int\n_ = rows().Scan(&id)\nswitch {\ncase id == 0:\ncontinue rows\n}\nids = append(ids, id)\n}", true},
		{"return from the loop", "for rows().Next() {\nvar id int\n_ = rows().Scan(&id)\nif id == 0 {\nreturn nil\n}\n}", false},
		{"break out", "for rows().Next() {\nbreak\n}", true},
		{"found row", "for rows().Next() {\nreturn nil\n}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, _, body := dataflowBody(t, tt.give)
			last := body.List[len(body.List)-2]
			assert.Equal(t, tt.want, errorChecksOnly(info, last))
		})
	}
}

// TestPullReads decides at each use of a read's values, its error among
// them, whether the read is a guard of the write that follows and stays
// (the write block then starts at it) or moves out (the block starts at
// the write). Calls of read() and row() are reads, write() and create()
// writes.
func TestPullReads(t *testing.T) {
	const write = "write()\n"
	tests := []struct {
		name, give string
		want       int
	}{
		{"error handled", "err := row().Scan()\nif err != nil {\nreturn err\n}\n" + write, 2},
		{"error returned wrapped", "err := row().Scan()\nif err != nil {\nreturn fmt.Errorf(\"row: %w\", err)\n}\n" + write, 2},
		{"error assigned anew", "err := row().Scan()\nif err != nil {\nreturn err\n}\nerr = write()\nprintln(err)", 2},
		{"error redeclared", "err := row().Scan()\nif err != nil {\nreturn err\n}\nid, err := create()\nprintln(id, err)", 2},
		{"not found separate", "err := row().Scan()\nif !errors.Is(err, errNotFound) {\nreturn errNotFound\n}\n" + write, 0},
		{"found separate", "err := row().Scan()\nif err == nil {\nreturn errNotFound\n}\n" + write, 0},
		{"nested check separate", "err := row().Scan()\nif err != nil {\nif errors.Is(err, errNotFound) {\nreturn nil\n}\nreturn err\n}\n" + write, 0},
		{"error into the write", "err := row().Scan()\nprintln(err)\n_ = write(err)", 0},
		{"value into the write", "n, err := read()\nif err != nil {\nreturn err\n}\n_ = write(n)", 0},
		{"value to the response", "n, err := read()\nif err != nil {\nreturn err\n}\nwrite()\nprintln(n)", 2},
		// The loop reads, skips rows, and what it collects feeds nothing
		// the block does: it moves out.
		{"row filter", "var ids []int\nfor _, x := range []int{1, 2} {\nn, err := read()\nif err != nil {\nreturn err\n}\nif n == x {\ncontinue\n}\nids = append(ids, n)\n}\n" +
			write + "println(ids)", 2},
		{"row filter into the write", "var ids []int\nfor _, x := range []int{1, 2} {\nn, err := read()\nif err != nil {\nreturn err\n}\nif n == x {\ncontinue\n}\nids = append(ids, n)\n}\n" +
			"_ = write(ids)", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, fn, body := dataflowBody(t, tt.give)
			stmts := make([]analysis.StmtEffect, len(body.List)-1) // without the final return
			start := -1
			for i := range stmts {
				stmts[i] = analysis.StmtEffect{Stmt: body.List[i], Effect: testEffect(body.List[i])}
				if start < 0 && stmts[i].Effect.Has(rules.Write) {
					start = i
				}
			}
			require.GreaterOrEqual(t, start, 0, "no write")
			assert.Equal(t, tt.want, pullReads(info, stmts, start, SrcSpanOf(fn.Body)))
		})
	}
}

// testEffect is a statement's effect by the functions it calls: read() and
// row() read, write() and create() write.
func testEffect(s ast.Stmt) rules.Effect {
	var e rules.Effect
	ast.Inspect(s, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok {
				switch id.Name {
				case "read", "row":
					e |= rules.Read
				case "write", "create":
					e |= rules.Write
				}
			}
		}
		return true
	})
	return e
}
