package analysis

import (
	"go/ast"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// poolHooks are pgxpool.Config fields that run per connection, not per
// transaction: a tenant set there outlives the request that set it.
var poolHooks = map[string]bool{"BeforeAcquire": true, "AfterRelease": true, "AfterConnect": true, "PrepareConn": true}

// scanProgram finds what is wrong outside wrapper callbacks: tenants set in
// pool hooks or by a single `WITH … set_config(…)` statement (TS007), and
// reads on a raw pool without a tenant filter (TS005).
func scanProgram(prog *load.Program, cfg *rules.Config) []Finding {
	var out []Finding
	prog.EachFunc(func(src load.FuncSource) {
		info := src.Pkg.TypesInfo
		ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if i < len(n.Rhs) && isPoolHook(info, lhs) && setsTenant(info, n.Rhs[i]) {
						out = append(out, Finding{Code: "TS007", Pos: lhs.Pos(),
							Message: "tenant set in a pool hook: it stays on the connection, not the transaction"})
					}
				}
			case *ast.CallExpr:
				if f, ok := settingInStatement(info, n); ok {
					out = append(out, f)
				}
				if f, ok := rawPoolRead(info, n, cfg.Tenant.Column); ok {
					out = append(out, f)
				}
			}
			return true
		})
	})
	return out
}

// settingInStatement flags SQL text, wherever its constant is declared,
// that sets a setting inside a statement that also reads or writes.
func settingInStatement(info *types.Info, call *ast.CallExpr) (Finding, bool) {
	text, arg, ok := sqlArg(info, call)
	if !ok || !mentionsSetting(text.Text) {
		return Finding{}, false
	}
	sql := rules.ClassifySQL(text.Text)
	if sql.Setting == nil || !sql.Setting.Func || !strings.Contains(sql.Setting.Name, ".") || !largerStatement(text.Text) {
		return Finding{}, false
	}
	return Finding{Code: "TS007", Pos: arg.Pos(),
		Message: "tenant set inside a larger statement: only that statement sees it, and only when it is evaluated first"}, true
}

// largerStatement reports whether the statement that calls set_config also
// reads or writes: a CTE, a FROM clause or a data-modifying keyword. Other
// statements of the same text run after it in the same implicit
// transaction, which is how a scoped tenant is meant to be set.
func largerStatement(text string) bool {
	for _, stmt := range strings.Split(strings.ToLower(text), ";") {
		if !strings.Contains(stmt, "set_config") {
			continue
		}
		words := strings.Fields(stmt)
		if len(words) > 0 && strings.HasPrefix(words[0], "with") {
			return true
		}
		for _, w := range words {
			switch w {
			case "from", "insert", "update", "delete", "merge":
				return true
			}
		}
	}
	return false
}

func isPoolHook(info *types.Info, lhs ast.Expr) bool {
	sel, ok := ast.Unparen(lhs).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	field, ok := info.Uses[sel.Sel].(*types.Var)
	return ok && field.IsField() && field.Pkg() != nil &&
		strings.HasSuffix(field.Pkg().Path(), "/pgxpool") && poolHooks[field.Name()]
}

// setsTenant reports whether the code under n runs SQL that sets a custom
// (dotted) setting.
func setsTenant(info *types.Info, n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok {
			if text, ok := ReadSQL(info, nil, lit); ok && mentionsSetting(text.Text) {
				if s := rules.ClassifySQL(text.Text).Setting; s != nil && strings.Contains(s.Name, ".") {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// rawPoolRead flags a read on a pool (not a transaction) whose SQL does not
// filter on the tenant column.
func rawPoolRead(info *types.Info, call *ast.CallExpr, column string) (Finding, bool) {
	if column == "" {
		return Finding{}, false
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	recv := ReceiverExpr(call, fn)
	if recv == nil || !rules.IsPoolType(info.TypeOf(recv)) {
		return Finding{}, false
	}
	text, _, ok := sqlArg(info, call)
	if !ok || !rules.ClassifySQL(text.Text).Effect.Has(rules.Read) || strings.Contains(strings.ToLower(text.Text), strings.ToLower(column)) {
		return Finding{}, false
	}
	return Finding{Code: "TS005", Pos: call.Pos(),
		Message: "read on a raw pool without a " + column + " filter: no tenant is set for row-level security, or another client's is left over"}, true
}
