package analysis

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// FuncFact is what the analysis of a function's own package learned from
// its body, for the packages that call it: go vet analyses one package at a
// time with only the types of its imports, so without it a helper of
// another package is unknown (a write) and its wrappers go unseen. It is
// the go/analysis fact of the txscope Analyzer; a Program made by
// load.Unit reads it through Program.Facts wherever a whole-module load
// reads the body.
type FuncFact struct {
	// Summaries are the effects of calling the function with the tx in
	// the given positions, as summarize computes them from the body.
	Summaries []MaskSummary
	Wrapper   *WrapperFact
	// Middleware describes a middleware: the handler parameter and the
	// handler's parameter that gets the tx or its carrier.
	Middleware *MiddlewareFact
	Layer      *LayerFact
	// Filter is TenantFiltered of the body, when a tenant column is
	// configured and the function gets a handle.
	Filter *FilterFact
}

// AFact marks FuncFact as a go/analysis fact.
func (*FuncFact) AFact() {}

// MaskSummary is one summary: Mask as in summaryKey (bit 0 the receiver,
// bit i+1 parameter i; 0 for a call without the tx, which is pure unless
// it is slow).
type MaskSummary struct {
	Mask   uint64
	Effect rules.Effect
	Why    string
	Tables rules.Tables
}

// WrapperFact is a Wrapper without its syntax: what a handler of another
// package needs to be classified and planned.
type WrapperFact struct {
	Callback, Tenant int
	Setting, Pool    string
	RollsBack        bool
	Contract         string
	Commits          []CommitError
	MapsError        string
	// MapsWith is Wrapper.MapsWith as its package path and name.
	MapsWith          [2]string
	Isolation         rules.Isolation
	IsolationWhy      string
	Middleware, Plain bool
	Passes            []int
	// Codes are its findings' (TS003, TS004), which its own package
	// reports: a handler may be narrowed only once they are fixed.
	Codes        []string
	Unfixable    string // SettingUnfixable in its own package
	HandleUnlike string // HandleUnlike in its own package
}

// MiddlewareFact is a Middleware as its handlers in other packages see it.
type MiddlewareFact struct {
	Param, Arg int
	// Wrapper is the wrapper its transaction comes from.
	Wrapper *WrapperFact
}

// LayerFact is a Layer as a middleware in another package sees it.
type LayerFact struct {
	Param, TxArg, TenantArg int
	Wrapper                 *WrapperFact
}

// FilterFact is TenantFiltered's answer for a body.
type FilterFact struct {
	OK  bool
	Why string
}

// String is the fact as analysistest's `// want name:"…"` matches it.
func (f *FuncFact) String() string {
	var parts []string
	for _, s := range f.Summaries {
		parts = append(parts, fmt.Sprintf("%s=%s (%s)", maskString(s.Mask), s.Effect, s.Tables))
	}
	if w := f.Wrapper; w != nil {
		parts = append(parts, "wrapper "+w.Setting)
	}
	if m := f.Middleware; m != nil {
		parts = append(parts, fmt.Sprintf("middleware handler@%d", m.Param))
	}
	if l := f.Layer; l != nil {
		parts = append(parts, fmt.Sprintf("layer callback@%d", l.Param))
	}
	if fl := f.Filter; fl != nil {
		parts = append(parts, map[bool]string{true: "filtered", false: "unfiltered"}[fl.OK])
	}
	return strings.Join(parts, "; ")
}

// maskString names the positions of a mask: "tx@recv,1", "notx".
func maskString(mask uint64) string {
	if mask == 0 {
		return "notx"
	}
	var at []string
	if mask&1 != 0 {
		at = append(at, "recv")
	}
	for i := 0; i < 63; i++ {
		if mask&(1<<(i+1)) != 0 {
			at = append(at, syntax.Itoa(i))
		}
	}
	return "tx@" + strings.Join(at, ",")
}

// imported reads, once per function, the facts of functions whose bodies
// the program does not have.
type imported struct {
	facts load.Facts
	memo  map[*types.Func]*FuncFact
}

func newImported(prog *load.Program) *imported {
	return &imported{facts: prog.Facts, memo: map[*types.Func]*FuncFact{}}
}

// of is fn's fact, nil when there is none (and always for a whole-module
// load, which reads the bodies).
func (im *imported) of(fn *types.Func) *FuncFact {
	if im.facts == nil || fn == nil || fn.Pkg() == nil {
		return nil
	}
	fn = fn.Origin()
	if f, ok := im.memo[fn]; ok {
		return f
	}
	f := new(FuncFact)
	if !im.facts(fn, f) {
		f = nil
	}
	im.memo[fn] = f
	return f
}

func (f *FuncFact) summary(mask uint64) (MaskSummary, bool) {
	for _, s := range f.Summaries {
		if s.Mask == mask {
			return s, true
		}
	}
	return MaskSummary{}, false
}

// wrapper is the fact as the Wrapper of fn (for a middleware or a layer,
// fn is the function its handlers call: their transaction opens in it).
func (wf *WrapperFact) wrapper(fn *types.Func) *Wrapper {
	w := &Wrapper{Func: fn, Callback: wf.Callback, Tenant: wf.Tenant, Setting: wf.Setting, Pool: wf.Pool,
		RollsBack: wf.RollsBack, Contract: wf.Contract, Isolation: wf.Isolation, IsolationWhy: wf.IsolationWhy,
		Middleware: wf.Middleware, Plain: wf.Plain, Passes: wf.Passes, imported: true, unfixable: wf.Unfixable, handleUnlike: wf.HandleUnlike,
		Commits: wf.Commits, MapsError: wf.MapsError}
	if path, name := wf.MapsWith[0], wf.MapsWith[1]; name != "" {
		w.MapsWith = lookupFunc(fn.Pkg(), path, name)
		if w.MapsWith == nil {
			w.MapsError = "returns " + path + "." + name + "(…) of the callback's result, which txscope cannot resolve from the wrapper's package"
		}
	}
	for _, c := range wf.Codes {
		w.Findings = append(w.Findings, Finding{Code: c})
	}
	return w
}

func wrapperFact(w *Wrapper) *WrapperFact {
	wf := &WrapperFact{Callback: w.Callback, Tenant: w.Tenant, Setting: w.Setting, Pool: w.Pool,
		RollsBack: w.RollsBack, Contract: w.Contract, Isolation: w.Isolation, IsolationWhy: w.IsolationWhy,
		Middleware: w.Middleware, Plain: w.Plain, Passes: w.Passes, Unfixable: w.SettingUnfixable(), HandleUnlike: w.HandleUnlike(),
		Commits: w.Commits, MapsError: w.MapsError}
	if m := w.MapsWith; m != nil {
		wf.MapsWith = [2]string{m.Pkg().Path(), m.Name()}
	}
	for _, f := range w.Findings {
		wf.Codes = append(wf.Codes, f.Code)
	}
	return wf
}

// lookupFunc finds the package-level function path.name from pkg: in it,
// or in a package it imports.
func lookupFunc(pkg *types.Package, path, name string) *types.Func {
	if pkg == nil {
		return nil
	}
	for _, p := range append([]*types.Package{pkg}, pkg.Imports()...) {
		if p.Path() == path {
			fn, _ := p.Scope().Lookup(name).(*types.Func)
			return fn
		}
	}
	return nil
}

// maxFactPositions bounds the positions that may carry the tx for which
// every combination is summarised (2^n-1 summaries); a function with more
// gets one summary a position, and other combinations are unknown.
const maxFactPositions = 4

// Facts are the facts of the functions the program declares, for the
// packages that import it: a function gets one when it has something to
// tell (a summary for a way of passing it the tx, a call without it that
// is not pure, a wrapper, a middleware, a layer, a filter).
func (a *Analysis) Facts() map[*types.Func]*FuncFact {
	out := map[*types.Func]*FuncFact{}
	middleware := map[*types.Func]*Middleware{}
	for _, m := range a.Middleware {
		if m.Src.Decl != nil {
			middleware[m.Func] = m
		}
	}
	var sites []*Site
	for _, h := range a.Handlers {
		if h.Behind == nil && !h.Site.Wrapper.Middleware {
			sites = append(sites, h.Site)
		}
	}
	layers := findLayers(sites)
	column := a.Config.Tenant.Column
	a.Prog.WalkFuncs(true, func(src load.FuncSource) {
		fn, _ := src.Pkg.TypesInfo.Defs[src.Decl.Name].(*types.Func)
		if fn == nil {
			return
		}
		f := &FuncFact{Summaries: a.classifier.factSummaries(fn)}
		if w := a.Wrappers.Lookup(fn); w != nil {
			f.Wrapper = wrapperFact(w)
		}
		if m := middleware[fn]; m != nil {
			f.Middleware = &MiddlewareFact{Param: m.Param, Arg: m.Arg, Wrapper: wrapperFact(m.RealSite().Wrapper)}
		}
		if l := layers[fn]; l != nil {
			f.Layer = &LayerFact{Param: l.Param, TxArg: l.TxArg, TenantArg: l.TenantArg, Wrapper: wrapperFact(l.Site.Wrapper)}
		}
		if column != "" && len(txPositions(fn)) > 0 {
			tf := newTenantFilter(a.Prog, column)
			tf.seen[fn] = true
			ok, why := tf.body(src, 1) // as a call of it at depth 0 reads it
			f.Filter = &FilterFact{OK: ok, Why: why}
		}
		if len(f.Summaries) > 0 || f.Wrapper != nil || f.Middleware != nil || f.Layer != nil || f.Filter != nil {
			out[fn] = f
		}
	})
	return out
}

// factSummaries are fn's summaries for the combinations of positions a
// caller may pass the tx in, and for a call without it when that is slow
// (no fact means pure there).
func (c *Classifier) factSummaries(fn *types.Func) []MaskSummary {
	positions := txPositions(fn)
	var sets [][]int
	if len(positions) <= maxFactPositions {
		for bits := 1; bits < 1<<len(positions); bits++ {
			var set []int
			for i, p := range positions {
				if bits&(1<<i) != 0 {
					set = append(set, p)
				}
			}
			sets = append(sets, set)
		}
	} else {
		for _, p := range positions {
			sets = append(sets, []int{p})
		}
	}
	sig := fn.Type().(*types.Signature)
	var out []MaskSummary
	if e, why, tables := c.summarize(fn, nil, nil); e != rules.Pure {
		out = append(out, MaskSummary{Mask: 0, Effect: e, Why: why, Tables: tables})
	}
	for _, set := range sets {
		e, why, tables := c.summarize(fn, set, nil)
		out = append(out, MaskSummary{Mask: argMask(sig, set), Effect: e, Why: why, Tables: tables})
	}
	return out
}

// txPositions are where a caller can pass fn the tx (aliasArgs): the
// receiver and the parameters whose type can carry one, a function (a
// literal that captures it) or an interface it may hide in; -1 is the
// receiver.
func txPositions(fn *types.Func) []int {
	sig := fn.Type().(*types.Signature)
	var out []int
	if r := sig.Recv(); r != nil && carriesTx(r.Type()) {
		out = append(out, -1)
	}
	for i := 0; i < sig.Params().Len(); i++ {
		t := sig.Params().At(i).Type()
		if s, ok := t.(*types.Slice); ok && sig.Variadic() && i == sig.Params().Len()-1 {
			t = s.Elem()
		}
		if carriesTx(t) || syntax.FuncSignature(t) != nil || mayHoldTx(t) {
			out = append(out, i)
		}
	}
	return out
}

// mayHoldTx matches the empty interface, which a tx may be passed as; an
// interface with methods holds one when carriesTx says so (a querier).
func mayHoldTx(t types.Type) bool {
	iface, ok := types.Unalias(t).Underlying().(*types.Interface)
	return ok && iface.Empty()
}
