package plan

import (
	"go/ast"
	"regexp"
	"slices"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
)

// SettingFix is the repair of a wrapper that sets the tenant at session
// level (TS003) or formats it into the SQL text (TS004).
type SettingFix struct {
	Wrapper *analysis.Wrapper
	File    *ast.File
}

// NeedsSettingFix reports whether w's tenant setting must be repaired
// before any handler using it may be narrowed.
func NeedsSettingFix(w *analysis.Wrapper) bool {
	for _, f := range w.Findings {
		if f.Code == "TS003" || f.Code == "TS004" {
			return true
		}
	}
	return false
}

// SettingCodes lists the wrapper's tenant-setting findings, once each.
func SettingCodes(w *analysis.Wrapper) []string {
	var out []string
	for _, f := range w.Findings {
		if (f.Code == "TS003" || f.Code == "TS004") && !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	return out
}

// WrapperFixes lists the wrappers to repair: those used by a handler that is
// rewritten, since narrowing on a leaky wrapper would keep the leak. In a
// program of one package (go vet), also every other leaky wrapper it
// declares that txscope can fix: its handlers may be in the packages that
// import it, whose fixes count on this one. A wrapper of another package
// is fixed by that package's analysis, the edit of its own file.
func WrapperFixes(prog *load.Program, plans []Plan, wrappers []*analysis.Wrapper) []SettingFix {
	seen := map[*analysis.Wrapper]bool{}
	var out []SettingFix
	add := func(w *analysis.Wrapper) {
		if !seen[w] && NeedsSettingFix(w) && w.SettingUnfixable() == "" && w.Source.Decl != nil {
			seen[w] = true
			out = append(out, SettingFix{Wrapper: w, File: w.Source.File})
		}
	}
	for _, p := range plans {
		if p.Action == ActionPooled || p.Action == ActionNarrowed {
			add(p.Wrapped.Site.Wrapper)
		}
	}
	if !prog.Whole() {
		for _, w := range wrappers {
			add(w)
		}
	}
	return out
}

var LocalFlag = regexp.MustCompile(`(?i)(set_config\s*\([^,]+,[^,]+,\s*)false(\s*\))`)
