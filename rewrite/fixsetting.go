package rewrite

import (
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"slices"
	"strconv"

	"github.com/dave/dst"
	"github.com/txscope/txscope/rules"
)

// settingFix is the repair of a wrapper that sets the tenant at session
// level (TS003) or formats it into the SQL text (TS004).
type settingFix struct {
	wrapper *Wrapper
	file    *ast.File
}

// needsSettingFix reports whether w's tenant setting must be repaired
// before any handler using it may be narrowed.
func needsSettingFix(w *Wrapper) bool {
	for _, f := range w.Findings {
		if f.Code == "TS003" || f.Code == "TS004" {
			return true
		}
	}
	return false
}

// settingCodes lists the wrapper's tenant-setting findings, once each.
func settingCodes(w *Wrapper) []string {
	var out []string
	for _, f := range w.Findings {
		if (f.Code == "TS003" || f.Code == "TS004") && !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	return out
}

// unfixableWhy says what settingFixable missed.
func unfixableWhy(w *Wrapper) string {
	switch {
	case w.SettingCall == nil || sqlArgIndex(w) < 0:
		return "the statement that sets it could not be found"
	case w.Tenant < 0:
		return "the tenant is not one of its parameters, so it cannot be bound"
	default:
		return "its source is not in the loaded packages"
	}
}

// settingFixable reports whether txscope can write the fix: the SQL is a
// string literal (or a fmt.Sprintf of one) and the tenant parameter known.
func settingFixable(w *Wrapper) bool {
	return w.SettingCall != nil && w.Tenant >= 0 && w.Source.Decl != nil && sqlArgIndex(w) >= 0
}

func sqlArgIndex(w *Wrapper) int {
	for i, a := range w.SettingCall.Args {
		if a == w.SettingSQL {
			return i
		}
	}
	return -1
}

// wrapperFixes lists the wrappers to repair: those used by a handler that is
// rewritten, since narrowing on a leaky wrapper would keep the leak.
func wrapperFixes(prog *Program, plans []Plan) []settingFix {
	seen := map[*Wrapper]bool{}
	var out []settingFix
	for _, p := range plans {
		w := p.Handler.Site.Wrapper
		if seen[w] || (p.Action != ActionPooled && p.Action != ActionNarrowed) || !needsSettingFix(w) || !settingFixable(w) {
			continue
		}
		seen[w] = true
		out = append(out, settingFix{wrapper: w, file: w.Source.File})
	}
	return out
}

var localFlag = regexp.MustCompile(`(?i)(set_config\s*\([^,]+,[^,]+,\s*)false(\s*\))`)

// fixSetting makes the setting transaction-local with a bind parameter:
// only the flag changes when the value is already bound; otherwise the
// statement becomes set_config with the tenant parameter bound.
func (fr *fileRewrite) fixSetting(fix settingFix) {
	w := fix.wrapper
	call := fr.dec.Dst.Nodes[w.SettingCall].(*dst.CallExpr)
	i := sqlArgIndex(w)
	text, _ := readSQL(fr.info, w.SettingSQL)
	use := rules.ClassifySQL(text.Text).Setting
	if lit, ok := call.Args[i].(*dst.BasicLit); ok && use != nil && use.Bound && use.Func && !text.Formatted {
		if s, err := strconv.Unquote(lit.Value); err == nil {
			lit.Value = strconv.Quote(localFlag.ReplaceAllString(s, "${1}true${2}"))
			return
		}
	}
	sig := w.Func.Type().(*types.Signature)
	placeholder := "$1"
	if cb := funcSignature(sig.Params().At(w.Callback).Type()); cb != nil {
		if j := txParam(cb, sig); j >= 0 && txKind(cb.Params().At(j).Type()) == "gorm.io/gorm" {
			placeholder = "?" // gorm binds with question marks
		}
	}
	sql := &dst.BasicLit{Kind: token.STRING, Value: strconv.Quote("select set_config('" + w.Setting + "', " + placeholder + ", true)")}
	tenant := dst.NewIdent(sig.Params().At(w.Tenant).Name())
	args := append([]dst.Expr{}, call.Args[:i]...)
	call.Args = append(args, sql, tenant)
}
