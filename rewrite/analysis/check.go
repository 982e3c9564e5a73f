package analysis

import (
	"fmt"
	"go/types"

	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// Analysis is what load → find → classify learned about a program: the
// input of plan and of `txscope check`.
type Analysis struct {
	Prog     *load.Program
	Config   *rules.Config
	Wrappers *Wrappers
	Handlers []*Wrapped
	Findings []Finding
	// Middleware are the detected middleware; their handlers are in Handlers too.
	Middleware []*Middleware
	// Buffalo are the apps behind buffalo-pop's transaction middleware;
	// their actions are not in Handlers (no wrapper call of their own).
	Buffalo []*Buffalo
	// Warnings are configured names that exist but are not called, the
	// migration statements that could not be read and, when nothing was
	// found, the calls of what may be another module's wrapper.
	Warnings []*rules.Error
	// classifier holds the summaries computed, for Facts.
	classifier *Classifier
}

// Wrapped is one wrapper call site with its classified callback.
type Wrapped struct {
	Site  *Site
	Stmts []StmtEffect
	Class Class
	// Behind is the middleware a handler was found behind, when no wrapper
	// call of its own was found.
	Behind *Middleware
}

// Class is what a wrapped function does with its transaction.
type Class string

// Classes of wrapped functions.
const (
	ClassReadOnly  Class = "read-only"
	ClassMixed     Class = "mixed"
	ClassWriteOnly Class = "write-only"
)

// Analyze runs find and classify over a loaded program.
func Analyze(prog *load.Program) (*Analysis, error) {
	cfg := prog.Config
	ws, err := FindWrappers(prog, cfg)
	if err != nil {
		return nil, err
	}
	warnings, err := checkPatterns(prog, cfg)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	a := &Analysis{Prog: prog, Config: cfg, Wrappers: ws, Warnings: append(warnings, prog.SchemaUnread...)}
	c := NewClassifier(prog, cfg)
	a.classifier = c
	used := map[*Wrapper]bool{}
	for _, site := range Find(prog, ws) {
		used[site.Wrapper] = true
		h := &Wrapped{Site: site, Stmts: c.Body(site.Func.Pkg.TypesInfo, site.Callback.Body, []types.Object{site.Tx})}
		h.Class = classify(h.Stmts)
		if site.Wrapper.Middleware {
			// The middleware validated the session in the transaction first.
			h.Class = classify(append([]StmtEffect{{Effect: rules.Read}}, h.Stmts...))
		}
		a.Handlers = append(a.Handlers, h)
		a.Findings = append(a.Findings, handlerFindings(h)...)
	}
	a.addMiddlewareHandlers(c)
	a.Buffalo = findBuffalo(prog, c)
	for _, b := range a.Buffalo {
		for _, act := range b.Actions {
			if act.Wrapped != nil {
				a.Findings = append(a.Findings, handlerFindings(act.Wrapped)...)
			}
		}
	}
	for _, w := range ws.List() {
		if !w.imported { // reported in the wrapper's own package
			a.Findings = append(a.Findings, w.Findings...)
		}
	}
	a.Findings = append(a.Findings, scanProgram(prog, cfg)...)
	a.Findings = append(a.Findings, unanalysed(prog, ws)...)
	a.Findings = append(a.Findings, contextTransactions(prog, ws)...)
	a.Findings = append(a.Findings, schemaFindings(prog, ws)...)
	a.Findings = append(a.Findings, cgoUnanalysed(prog, ws)...)
	a.Warnings = append(a.Warnings, candidateWarnings(a)...)
	return a, nil
}

// classify names the handler's class from its statements: read-only when
// nothing must stay in a transaction; write-only when the first statement
// that touches the database already writes.
func classify(stmts []StmtEffect) Class {
	for _, s := range stmts {
		switch {
		case s.Effect.Writes() || s.Effect.HandsOff():
			return ClassWriteOnly
		case s.Effect&(rules.Read|rules.Slow) != 0:
			for _, later := range stmts {
				if later.Effect.Writes() || later.Effect.HandsOff() {
					return ClassMixed
				}
			}
			return ClassReadOnly
		}
	}
	return ClassReadOnly
}

// handlerFindings are TS001 for a transaction wider than its writes, TS002
// for each slow call inside and TS006 for each pooled query inside.
func handlerFindings(h *Wrapped) []Finding {
	var out []Finding
	kind := transactionKind(h.Site.Wrapper)
	if h.Class != ClassWriteOnly {
		out = append(out, Finding{Code: "TS001", Pos: h.Site.Call.Pos(), Handler: h,
			Message: fmt.Sprintf("whole-request %s in %s (%s): %s", kind, h.Site.Name(), h.Class, classAdvice[h.Class])})
	}
	for _, s := range h.Stmts {
		for _, ce := range s.Calls {
			switch {
			case ce.Effect.Has(rules.Slow):
				out = append(out, Finding{Code: "TS002", Pos: ce.Node.Pos(),
					Message: fmt.Sprintf("slow call %s inside a %s holds its connection", ce.Callee, kind)})
			case ce.Pooled:
				out = append(out, Finding{Code: "TS006", Pos: ce.Node.Pos(),
					Message: fmt.Sprintf("pooled query %s inside a %s takes a second connection while holding one", ce.Callee, kind)})
			}
		}
	}
	return out
}

var classAdvice = map[Class]string{
	ClassReadOnly: "it only reads, so it needs no transaction",
	ClassMixed:    "reads and session checks before the first write hold the connection",
}

// transactionKind names what a wrapper begins: a plain wrapper sets no tenant.
func transactionKind(w *Wrapper) string {
	if w.Plain {
		return "transaction"
	}
	return "tenant transaction"
}
