package analysis

import (
	"fmt"
	"go/ast"
	"go/types"
	"regexp"
	"strings"

	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// TenantFiltered reports whether every statement the read call runs
// filters on the tenant column, reading the SQL through helpers in the
// loaded code (sqlc's generated methods and their query constants
// included): a read moved onto a raw pool, with no row-level security,
// relies on it for tenant isolation. When it cannot be proved, why names
// the statement: SQL that is not a constant, a call whose body is not in
// the loaded code, or text without the filter.
func TenantFiltered(prog *load.Program, info *types.Info, call *ast.CallExpr, column string) (ok bool, why string) {
	return newTenantFilter(prog, column).call(info, call, 0)
}

type tenantFilter struct {
	prog     *load.Program
	column   string
	seen     map[*types.Func]bool
	imported *imported
}

func newTenantFilter(prog *load.Program, column string) *tenantFilter {
	return &tenantFilter{prog: prog, column: column, seen: map[*types.Func]bool{}, imported: newImported(prog)}
}

const maxFilterDepth = 6

func (tf *tenantFilter) call(info *types.Info, call *ast.CallExpr, depth int) (bool, string) {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil {
		return false, fmt.Sprintf("the call at %s is dynamic: its SQL cannot be read", tf.prog.Position(call.Pos()))
	}
	if rule, ok := rules.TxMethod(fn); ok {
		if rule.SQLArg < 0 || rule.SQLArg >= len(call.Args) {
			if rule.Effect.Has(rules.Read) || rule.Effect.Writes() {
				return false, fmt.Sprintf("%s at %s runs no SQL text txscope can read", rules.FuncName(fn), tf.prog.Position(call.Pos()))
			}
			return true, ""
		}
		text, ok := ReadSQL(info, tf.prog, call.Args[rule.SQLArg])
		if !ok {
			return false, fmt.Sprintf("the SQL of %s at %s is not a constant", fn.Name(), tf.prog.Position(call.Pos()))
		}
		if !FiltersOn(text.Text, tf.column) {
			return false, fmt.Sprintf("the SQL at %s has no %s filter", tf.prog.Position(call.Args[rule.SQLArg].Pos()), tf.column)
		}
		return true, ""
	}
	src, ok := tf.prog.Source(fn)
	if !ok {
		if f := tf.imported.of(fn); f != nil && f.Filter != nil {
			return f.Filter.OK, f.Filter.Why // what the analysis of its package read
		}
		for _, a := range call.Args {
			if carriesTx(info.TypeOf(a)) {
				return false, fmt.Sprintf("%s at %s gets the handle, and its body is not in the loaded code", rules.FuncName(fn), tf.prog.Position(call.Pos()))
			}
		}
		if recv := ReceiverExpr(call, fn); recv != nil && carriesTx(info.TypeOf(recv)) {
			return false, fmt.Sprintf("%s at %s is called on the handle, and its body is not in the loaded code", rules.FuncName(fn), tf.prog.Position(call.Pos()))
		}
		return true, "" // gets no handle: runs no SQL of ours
	}
	if tf.seen[fn.Origin()] {
		return true, "" // being read, or read already
	}
	if depth >= maxFilterDepth {
		return false, fmt.Sprintf("%s at %s calls too deep to read its SQL", rules.FuncName(fn), tf.prog.Position(call.Pos()))
	}
	tf.seen[fn.Origin()] = true
	return tf.body(src, depth+1)
}

// body reports whether every statement the body runs filters on the
// column, reading its calls at depth.
func (tf *tenantFilter) body(src load.FuncSource, depth int) (bool, string) {
	ok, why := true, ""
	ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
		c, isCall := n.(*ast.CallExpr)
		if !ok || !isCall {
			return ok
		}
		if tv, found := src.Pkg.TypesInfo.Types[c.Fun]; found && (tv.IsType() || tv.IsBuiltin()) {
			return true
		}
		if _, lit := ast.Unparen(c.Fun).(*ast.FuncLit); lit {
			return true
		}
		ok, why = tf.call(src.Pkg.TypesInfo, c, depth)
		return ok
	})
	return ok, why
}

// FiltersOn reports whether SQL text filters on the column: a WHERE (or
// JOIN … ON) condition `column = …` or `column IN …`, the column optionally
// qualified, and no OR that could widen it. A lexical check, so a filter
// it cannot see counts as missing.
func FiltersOn(text, column string) bool {
	if column == "" {
		return true
	}
	lower := strings.ToLower(text)
	i := strings.Index(lower, "where")
	if j := strings.Index(lower, " on "); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return false
	}
	cond := lower[i:]
	if orWord.MatchString(cond) {
		return false
	}
	re := regexp.MustCompile(`(^|[^a-z0-9_])(\w+\.)?"?` + regexp.QuoteMeta(strings.ToLower(column)) + `"?\s*(=|in\b|\bin\s*\()`)
	return re.MatchString(cond)
}

var orWord = regexp.MustCompile(`\bor\b`)
