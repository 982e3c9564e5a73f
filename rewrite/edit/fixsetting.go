package edit

import (
	"go/token"
	"go/types"
	"strconv"

	"github.com/dave/dst"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rules"
)

// fixSetting makes the setting transaction-local with a bind parameter:
// only the flag changes when the value is already bound; otherwise the
// statement becomes set_config with the tenant parameter bound.
func (fr *fileRewrite) fixSetting(fix plan.SettingFix) {
	w := fix.Wrapper
	call := fr.dec.Dst.Nodes[w.SettingCall].(*dst.CallExpr)
	i := w.SettingArg()
	text, _ := analysis.ReadSQL(fr.info, nil, w.SettingSQL)
	use := rules.ClassifySQL(text.Text).Setting
	if lit, ok := call.Args[i].(*dst.BasicLit); ok && use != nil && use.Bound && use.Func && !text.Formatted {
		if s, err := strconv.Unquote(lit.Value); err == nil {
			lit.Value = strconv.Quote(plan.LocalFlag.ReplaceAllString(s, "${1}true${2}"))
			return
		}
	}
	sig := w.Func.Type().(*types.Signature)
	placeholder := "$1"
	if cb := syntax.FuncSignature(sig.Params().At(w.Callback).Type()); cb != nil {
		if j := analysis.TxParam(cb, sig); j >= 0 && plan.TxKind(cb.Params().At(j).Type()) == "gorm.io/gorm" {
			placeholder = "?" // gorm binds with question marks
		}
	}
	sql := &dst.BasicLit{Kind: token.STRING, Value: strconv.Quote("select set_config('" + w.Setting + "', " + placeholder + ", true)")}
	tenant := dst.NewIdent(sig.Params().At(w.Tenant).Name())
	args := append([]dst.Expr{}, call.Args[:i]...)
	call.Args = append(args, sql, tenant)
}
