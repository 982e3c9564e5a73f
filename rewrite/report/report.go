package report

import (
	"encoding/json"
	"fmt"
	"go/token"
	"io"
	"sort"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rules"
)

// Report is the plain-data result of a run, printed as text, JSON or SARIF.
type Report struct {
	Warnings   []string           `json:"warnings,omitempty"`
	Handlers   []HandlerReport    `json:"handlers"`
	Findings   []Diagnostic       `json:"findings"`
	Summary    string             `json:"summary,omitempty"`
	Middleware []MiddlewareReport `json:"middleware,omitempty"`
	// Helpers are the helpers whose tx parameter the rewrite widens to a
	// querier interface, and those it leaves needing the concrete type.
	Helpers []HelperReport `json:"helpers,omitempty"`
	// Runtime says which files of the runtime's copy the rewrite adds or
	// updates in the module, and why.
	Runtime string `json:"runtime,omitempty"`
	// Gitignored are the files written that git ignores, which the
	// dirty-tree guard therefore could not protect.
	Gitignored []string `json:"gitignored,omitempty"`
	// Baseline is set by ApplyBaseline: each finding then says whether
	// the baseline has it.
	Baseline *BaselineSummary `json:"baseline,omitempty"`
	// Root is the module (or workspace) root the findings' files are
	// relative to.
	Root string `json:"-"`
	// Plain: no tenant wrapper was found, so plain transaction wrappers
	// were looked for too; an empty report says it found neither.
	Plain bool `json:"-"`
}

// MiddlewareReport says how a middleware's transaction moved.
type MiddlewareReport struct {
	Func           string   `json:"func"`
	Pos            string   `json:"pos"`
	Handlers       int      `json:"handlers"`
	Action         string   `json:"action"`
	Reason         string   `json:"reason,omitempty"`
	LeftOnOriginal []string `json:"left_on_original,omitempty"`
}

// HelperReport is a helper taking a driver's transaction that a moved
// statement calls: widened to To, or left (Reason says why).
type HelperReport struct {
	Func     string `json:"func"`
	Pos      string `json:"pos"`
	Param    string `json:"param"`  // "tx pgx.Tx"
	Action   string `json:"action"` // "widened" or "left"
	To       string `json:"to,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Handlers int    `json:"handlers"`
}

// String is the report's line for the helper.
func (h HelperReport) String() string {
	if h.Action == HelperWidened {
		return fmt.Sprintf("%s: widened %s's %s to %s (used by %d %s)", h.Pos, h.Func, h.Param, h.To, h.Handlers, plural(h.Handlers, "handler"))
	}
	return fmt.Sprintf("%s: %s (left as it is; called by %d %s)", h.Pos, h.Reason, h.Handlers, plural(h.Handlers, "handler"))
}

// What the rewrite does with a helper.
const (
	HelperWidened = "widened"
	HelperLeft    = "left"
)

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// HandlerReport is one wrapped function.
type HandlerReport struct {
	Func       string            `json:"func"`
	Pkg        string            `json:"pkg"`
	Pos        string            `json:"pos"`
	Wrapper    string            `json:"wrapper"`
	Class      analysis.Class    `json:"class"`
	Action     plan.Action       `json:"action,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Moves      []string          `json:"moves,omitempty"`
	Statements []StatementReport `json:"statements"`
}

// StatementReport is the effect of one statement of a callback.
type StatementReport struct {
	Pos    string `json:"pos"`
	Effect string `json:"effect"`
}

// Diagnostic is a finding with its position resolved.
type Diagnostic struct {
	Code    string `json:"code"`
	Pos     string `json:"pos"`
	Message string `json:"message"`
	// Baseline is "new" or "unchanged" when the run had a baseline.
	Baseline    string      `json:"baseline,omitempty"`
	File        string      `json:"-"`
	Line        int         `json:"-"`
	Col         int         `json:"-"`
	Fingerprint Fingerprint `json:"-"`
}

// String is the diagnostic in the `path:line:col: message (TSnnn)` format.
func (d Diagnostic) String() string { return fmt.Sprintf("%s: %s (%s)", d.Pos, d.Message, d.Code) }

// FromAnalysis turns the analysis into plain data: handlers in source order,
// findings sorted by file and offset and deduplicated.
func FromAnalysis(a *analysis.Analysis) *Report {
	r := &Report{Handlers: []HandlerReport{}, Findings: []Diagnostic{}, Root: a.Prog.Root, Plain: a.Wrappers != nil && a.Wrappers.Plain()}
	for _, h := range a.Handlers {
		r.Handlers = append(r.Handlers, ForHandler(a, h))
	}
	for _, b := range a.Buffalo {
		for _, act := range b.Actions {
			if act.Wrapped != nil {
				r.Handlers = append(r.Handlers, ForHandler(a, act.Wrapped))
			}
		}
	}
	r.Findings = diagnostics(a, a.Findings)
	for _, w := range a.Warnings {
		r.Warnings = append(r.Warnings, w.Warning())
	}
	return r
}

func ForHandler(a *analysis.Analysis, h *analysis.Wrapped) HandlerReport {
	hr := HandlerReport{
		Func:    h.Site.Name(),
		Pkg:     h.Site.Func.Pkg.PkgPath,
		Pos:     a.Prog.Position(h.Site.Call.Pos()),
		Wrapper: rules.FuncName(h.Site.Wrapper.Func),
		Class:   h.Class,
	}
	for _, s := range h.Stmts {
		hr.Statements = append(hr.Statements, StatementReport{Pos: a.Prog.Position(s.Stmt.Pos()), Effect: s.Effect.String()})
	}
	return hr
}

func diagnostics(a *analysis.Analysis, findings []analysis.Finding) []Diagnostic {
	type keyed struct {
		d      Diagnostic
		offset int
	}
	var all []keyed
	seen := map[string]bool{}
	fp := newFingerprinter(a.Prog)
	for _, f := range findings {
		p := syntax.RealPosition(a.Prog.Fset, f.Pos)
		d := Diagnostic{Code: f.Code, Pos: a.Prog.Position(f.Pos), Message: f.Message, File: a.Prog.Rel(p.Filename), Line: p.Line, Col: p.Column}
		if !f.Pos.IsValid() {
			// A finding in the schema or the config: the place in that file.
			p = token.Position{Filename: f.At.File, Line: f.At.Line, Column: f.At.Col, Offset: f.At.Line<<16 + f.At.Col}
			d.Pos, d.File, d.Line, d.Col = f.At.File, f.At.File, f.At.Line, f.At.Col
			if f.At.Line > 0 {
				d.Pos = f.At.String()
			}
		}
		if seen[d.String()] {
			continue
		}
		seen[d.String()] = true
		d.Fingerprint = fp.at(f.Code, f.Pos)
		all = append(all, keyed{d, p.Offset})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].d.File != all[j].d.File {
			return all[i].d.File < all[j].d.File
		}
		if all[i].offset != all[j].offset {
			return all[i].offset < all[j].offset
		}
		return all[i].d.Code < all[j].d.Code
	})
	out := make([]Diagnostic, 0, len(all))
	for _, k := range all {
		out = append(out, k.d)
	}
	return out
}

// noWrapper is what a report with nothing in it says: what was looked for,
// so that a service whose wrapper was not recognised does not read as clean.
const noWrapper = `no %s wrapper calls found. txscope looked for:
  - functions that take a callback with a transaction (pgx.Tx, *sql.Tx, *sqlx.Tx, *gorm.DB, *pop.Connection
    or a querier interface) and set the tenant on it before calling it (set_config('app.…', …) or
    SET [LOCAL] app.…, in the body, in a helper it passes the tx to, or through a SQL function of the
    migrations that calls set_config), and the calls of those functions;
  - with no such function, plain transaction wrappers: functions that begin a transaction and run a
    callback in it, and GORM's Transaction, pgx.BeginFunc/BeginTxFunc and pop's Transaction, called with
    a function literal;
  - functions that begin a transaction and hand it on in a context or request locals (reported as not
    analysed);
  - Buffalo apps behind popmw.Transaction;
  - the wrappers and middleware txscope.yaml names.
A transaction begun and committed in place, with no callback, is not a wrapper call; a wrapper of
another module is found only when txscope.yaml names it (wrappers:, middleware:).
`

// WriteText prints one line per handler, then the findings; a report with
// neither says so, since a wrapper that was not detected looks the same.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, w := range r.Warnings {
		fmt.Fprintln(&b, w)
	}
	if len(r.Handlers) == 0 && len(r.Findings) == 0 {
		kind := "tenant"
		if r.Plain {
			kind = "transaction"
		}
		fmt.Fprintf(&b, noWrapper, kind)
	}
	for _, h := range r.Handlers {
		fmt.Fprintf(&b, "%s: %s: %s", h.Pos, h.Func, h.Class)
		if h.Action != "" {
			fmt.Fprintf(&b, ": %s", h.Action)
		}
		if h.Reason != "" {
			fmt.Fprintf(&b, ": %s", h.Reason)
		}
		b.WriteString("\n")
		for _, m := range h.Moves {
			fmt.Fprintf(&b, "\t%s\n", m)
		}
	}
	for _, m := range r.Middleware {
		fmt.Fprintf(&b, "%s: middleware %s (%d handlers): %s", m.Pos, m.Func, m.Handlers, m.Action)
		if m.Reason != "" {
			fmt.Fprintf(&b, ": %s", m.Reason)
		}
		b.WriteString("\n")
		for _, h := range m.LeftOnOriginal {
			fmt.Fprintf(&b, "\tleft on the original: %s\n", h)
		}
	}
	for _, h := range r.Helpers {
		fmt.Fprintln(&b, h.String())
	}
	for _, d := range r.Findings {
		if d.Baseline != BaselineUnchanged {
			fmt.Fprintln(&b, d.String())
		}
	}
	if s := r.Baseline; s != nil {
		fmt.Fprintf(&b, "baseline %s: %d new, %d baselined (not shown)", s.File, s.New, s.Unchanged)
		if n := absent(s.Absent); n > 0 {
			fmt.Fprintf(&b, ", %d no longer found (write the baseline again to drop them)", n)
		}
		b.WriteString("\n")
	}
	if r.Runtime != "" {
		fmt.Fprintln(&b, r.Runtime)
	}
	if len(r.Gitignored) > 0 {
		fmt.Fprintf(&b, "gitignored, so not covered by the dirty-tree guard: %s\n", strings.Join(r.Gitignored, ", "))
	}
	if r.Summary != "" {
		fmt.Fprintln(&b, r.Summary)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func absent(es []BaselineEntry) int {
	n := 0
	for _, e := range es {
		n += e.count()
	}
	return n
}

// WriteJSON prints the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
