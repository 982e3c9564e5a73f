package analysis

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/load"
	"golang.org/x/tools/go/types/typeutil"
)

// sqlString is the SQL text an expression evaluates to, as far as it is known.
type sqlString struct {
	Text string
	// Formatted means values were formatted into the text (fmt.Sprintf or
	// string concatenation) rather than passed as bind parameters.
	Formatted bool
	// Values are the expressions formatted into the text.
	Values []ast.Expr
}

// ReadSQL resolves e through go/constant and, with locals, through local
// variables given one value only (load.Program.LocalValue: q := base + "
// WHERE id = $1"). fmt.Sprintf formats and string concatenations keep
// their constant parts, with a placeholder for each formatted value, so
// the classifier still sees the statement's shape. With no locals (nil)
// only constants are read: for code that edits the text where it is.
func ReadSQL(info *types.Info, locals *load.Program, e ast.Expr) (sqlString, bool) {
	if tv, ok := info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return sqlString{Text: constant.StringVal(tv.Value)}, true
	}
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := info.Uses[e].(*types.Var); ok && locals != nil {
			if value, ok := locals.LocalValue(v); ok {
				return ReadSQL(info, locals, value)
			}
		}
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return sqlString{}, false
		}
		left, okL := readSQLOrValue(info, locals, e.X)
		right, okR := readSQLOrValue(info, locals, e.Y)
		if !okL && !okR {
			return sqlString{}, false
		}
		return sqlString{Text: left.Text + right.Text, Formatted: true, Values: append(left.Values, right.Values...)}, true
	case *ast.CallExpr:
		fn, _ := typeutil.Callee(info, e).(*types.Func)
		if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "fmt" || fn.Name() != "Sprintf" || len(e.Args) == 0 {
			return sqlString{}, false
		}
		format, ok := ReadSQL(info, locals, e.Args[0])
		if !ok {
			return sqlString{}, false
		}
		return sqlString{Text: format.Text, Formatted: true, Values: append(format.Values, e.Args[1:]...)}, true
	}
	return sqlString{}, false
}

// readSQLOrValue is readSQL, or a placeholder standing for a runtime value.
func readSQLOrValue(info *types.Info, locals *load.Program, e ast.Expr) (sqlString, bool) {
	if s, ok := ReadSQL(info, locals, e); ok {
		return s, true
	}
	return sqlString{Text: "x", Formatted: true, Values: []ast.Expr{e}}, false
}

// sqlArg returns the first argument of call that reads as constant SQL
// text.
func sqlArg(info *types.Info, call *ast.CallExpr) (sqlString, ast.Expr, bool) {
	for _, a := range call.Args {
		if !isStringType(info.TypeOf(a)) {
			continue
		}
		if s, ok := ReadSQL(info, nil, a); ok {
			return s, a, true
		}
	}
	return sqlString{}, nil, false
}

func isStringType(t types.Type) bool {
	b, ok := types.Unalias(t).Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// mentionsSetting reports whether text plausibly sets a custom setting, to
// skip the classifier on the common case.
func mentionsSetting(text string) bool {
	lower := strings.ToLower(text)
	return strings.Contains(lower, "set_config") || strings.Contains(lower, "set ")
}
