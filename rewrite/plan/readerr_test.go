package plan

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorReturned(t *testing.T) {
	tests := []struct {
		name, give string
		want       bool
	}{
		{"checked", "v, err := read()\nif err != nil {\nreturn err\n}\n_ = v", true},
		{"if init", "if _, err := read(); err != nil {\nreturn err\n}", true},
		{"tail", "return check()", true},
		{"wrapped", "if err := check(); err != nil {\nreturn fmt.Errorf(\"check: %w\", err)\n}", true},
		{"sentinel", "if err := check(); err != nil {\nreturn errBad\n}", true},
		{"typed error", "if err := check(); err != nil {\nreturn newErr()\n}", true},
		{"or", "v, err := read()\nif err != nil || v == 0 {\nreturn err\n}", true},
		{"scan chain", "var n int\nif err := row().Scan(&n); err != nil {\nreturn err\n}", true},
		{"var decl", "var v, err = read()\nif err != nil {\nreturn err\n}\n_ = v", true},
		{"panic", "if err := check(); err != nil {\npanic(err)\n}", true},
		{"no error", "_ = row()", true},
		{"returned later", "v, err := read()\nprintln(v)\nreturn err", true},
		{"checked later", "v, err := read()\nprintln(v)\nif err != nil {\nreturn err\n}", true},
		{"blank", "v, _ := read()\n_ = v", false},
		{"bare call", "check()", false},
		{"return nil", "if err := check(); err != nil {\nreturn nil\n}", false},
		{"continue", "for {\nif err := check(); err != nil {\ncontinue\n}\n}", false},
		{"no exit", "if err := check(); err != nil {\nprintln(err)\n}", false},
		{"left before", "v, err := read()\nif v == 0 {\nreturn nil\n}\nreturn err", false},
		{"queried before", "v, err := read()\n_, _ = read2()\nprintln(v)\nreturn err", false},
		{"reassigned in the check", "v, err := read()\nif err = check(); err != nil {\nreturn err\n}\n_ = v", false},
		{"checked in a nested block", "v, err := read()\nif v > 0 {\nreturn err\n}\n_ = v", false},
		{"overwritten", "_, err := read()\n_, err = read2()\nif err != nil {\nreturn err\n}", false},
		{"no rows swallowed", "_, err := read()\nif errors.Is(err, errBad) {\nreturn nil\n}\nif err != nil {\nreturn err\n}", false},
		{"no rows in the check", "if err := check(); err != nil {\nif errors.Is(err, errBad) {\nreturn nil\n}\nreturn err\n}", false},
		{"other error", "if err := check(); err != nil {\nreturn other\n}", false},
		{"and", "v, err := read()\nif err != nil && v > 0 {\nreturn err\n}", false},
		{"in a closure", "f := func() error {\nreturn check()\n}\n_ = f", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, body := checkBody(t, tt.give)
			queries := queryCalls(body)
			require.NotEmpty(t, queries)
			ef := errFlow{info: info, busy: queries}
			assert.Equal(t, tt.want, ef.returned(pathTo(body, queries[0])))
		})
	}
}

// TestErrorReturnedWithValue: in a callback that returns a value beside
// its error, the error is the last result.
func TestErrorReturnedWithValue(t *testing.T) {
	tests := []struct {
		name, give string
		want       bool
	}{
		{"checked", "if _, err := read(); err != nil {\nreturn 0, fmt.Errorf(\"read: %w\", err)\n}", true},
		{"returned beside the value", "v, err := read()\nreturn v, err", true},
		{"tail", "return read()", true},
		{"error slot", "return 0, check()", true},
		{"value with nil", "if _, err := read(); err != nil {\nreturn 1, nil\n}", false},
		{"other slot", "v, err := read()\nprintln(err)\nreturn v, other", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, body := checkCallback(t, tt.give, "(int, error)", "0, nil")
			queries := queryCalls(body)
			require.NotEmpty(t, queries)
			ef := errFlow{info: info, busy: queries}
			assert.Equal(t, tt.want, ef.returned(pathTo(body, queries[0])))
		})
	}
}

// TestExactOnError: a return of a value callback is exact out of the
// wrapper when its error is nil or its values are zero.
func TestExactOnError(t *testing.T) {
	tests := []struct {
		name, give string
		want       bool
	}{
		{"zero int", "return 0, other", true},
		{"empty string", `return "", other`, true},
		{"nil pointer", "return nil, other", true},
		{"empty struct", "return rowT{}, other", true},
		{"false", "return false, other", true},
		{"nil error", "return 7, nil", true},
		{"value", "n := 1\nreturn n, other", false},
		{"empty slice is not nil", "return []int{}, other", false},
		{"call's results", "return read()", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, body := checkCallback(t, tt.give, "(any, error)", "nil, nil")
			ret := body.List[len(body.List)-2].(*ast.ReturnStmt)
			assert.Equal(t, tt.want, exactOnError(info, ret))
		})
	}
}

// checkBody type-checks give as the body of a callback and returns it.
func checkBody(t *testing.T, give string) (*types.Info, *ast.BlockStmt) {
	return checkCallback(t, give, "error", "nil")
}

// checkCallback type-checks give as the body of a callback with the
// results results, which ends in `return final`.
func checkCallback(t *testing.T, give, results, final string) (*types.Info, *ast.BlockStmt) {
	src := `package p

import (
	"errors"
	"fmt"
)

var errBad = errors.New("bad")

type rowT struct{}

func (rowT) Scan(...any) error { return nil }

func read() (int, error)  { return 0, nil }
func read2() (int, error) { return 0, nil }
func check() error        { return nil }
func row() rowT           { return rowT{} }

type myErr struct{}

func (*myErr) Error() string { return "" }

func newErr() *myErr { return nil }

var _ = fmt.Errorf

func cb(other error) ` + results + ` {
` + give + `
	return ` + final + `
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	require.NoError(t, err)
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	_, err = (&types.Config{Importer: importer.Default()}).Check("p", fset, []*ast.File{f}, info)
	require.NoError(t, err)
	return info, f.Decls[len(f.Decls)-1].(*ast.FuncDecl).Body
}

// queryCalls are the calls of read, read2, check and row in body: the
// queries of the test.
func queryCalls(body *ast.BlockStmt) []ast.Node {
	var out []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && strings.HasPrefix(id.Name, "read") || ok && (id.Name == "check" || id.Name == "row") {
				out = append(out, call)
			}
		}
		return true
	})
	return out
}
