package analysis

import (
	"errors"
	"fmt"
	"go/ast"
	"go/types"
	"sort"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// Site is a call of a tenant wrapper whose callback is a function literal.
type Site struct {
	Wrapper  *Wrapper
	Call     *ast.CallExpr
	Callback *ast.FuncLit
	// Tx is the callback's transaction parameter, found by type; nil when
	// it is unnamed or blank.
	Tx   types.Object
	Func load.FuncSource // the function the call is in
}

// Name is the enclosing function's name as in the report: "(*Server).Show".
func (s *Site) Name() string { return DeclName(s.Func) }

// DeclName is a function's name as the report writes it, without its
// package: "(*Server).Show"; a literal's variable for a literal.
func DeclName(src load.FuncSource) string {
	fn, _ := src.Pkg.TypesInfo.Defs[src.Decl.Name].(*types.Func)
	if fn == nil {
		return src.Decl.Name.Name
	}
	return strings.TrimPrefix(rules.FuncName(fn), fn.Pkg().Path()+".")
}

// Wrappers holds the tenant wrappers of a program: configured by pattern,
// or detected from their bodies.
type Wrappers struct {
	prog       *load.Program
	patterns   []rules.Pattern
	middleware []rules.Pattern
	setting    string
	byFunc     map[*types.Func]*Wrapper
	// byName finds a detected wrapper from the other variant of its package
	// (with --tests, callers outside the tests see "p", detection "p [p.test]").
	byName   map[string]*Wrapper
	imported *imported
	// plain: detection found no tenant wrapper, so the module's plain
	// wrappers and the libraries' are the transactions to narrow.
	plain bool
}

// FindWrappers resolves the wrappers. Without configured patterns it
// detects them; detection that finds several tenant settings is ambiguous
// and the error shows the configuration to write.
func FindWrappers(prog *load.Program, cfg *rules.Config) (*Wrappers, error) {
	ws := &Wrappers{prog: prog, patterns: cfg.Wrappers, middleware: cfg.Middleware, setting: cfg.Tenant.Setting, byFunc: map[*types.Func]*Wrapper{}, byName: map[string]*Wrapper{}, imported: newImported(prog)}
	if len(cfg.Wrappers) > 0 {
		return ws, nil
	}
	settings := map[string]bool{}
	var plain []*Wrapper
	prog.EachFunc(func(src load.FuncSource) {
		fn, _ := src.Pkg.TypesInfo.Defs[src.Decl.Name].(*types.Func)
		if fn == nil {
			return
		}
		switch w := analyzeWrapper(prog, src, fn); {
		case w == nil:
		case w.Plain:
			plain = append(plain, w)
		default:
			ws.add(w)
			settings[w.Setting] = true
		}
	})
	if len(settings) > 1 {
		return nil, ambiguous(ws, cfg)
	}
	if len(settings) == 0 {
		// No tenant wrapper: the module's transactions are its plain
		// wrappers' and the libraries' (GORM's Transaction, pgx.BeginFunc,
		// pop's Transaction), which set no tenant either.
		for _, w := range plain {
			ws.add(w)
		}
		ws.plain = true
	}
	return ws, nil
}

// Plain reports whether detection found no tenant wrapper and so took the
// plain transaction wrappers.
func (ws *Wrappers) Plain() bool { return ws.plain }

func (ws *Wrappers) add(w *Wrapper) {
	ws.byFunc[w.Func] = w
	ws.byName[rules.FuncName(w.Func)] = w
}

func ambiguous(ws *Wrappers, cfg *rules.Config) error {
	detected := *cfg
	var names []string
	for _, w := range ws.List() {
		detected.Wrappers = append(detected.Wrappers, rules.MustPattern(rules.FuncName(w.Func)))
		names = append(names, fmt.Sprintf("%s (%s)", rules.FuncName(w.Func), w.Setting))
	}
	return fmt.Errorf("detect: tenant wrappers set different settings: %s; keep the right ones in txscope.yaml:\n%s",
		strings.Join(names, ", "), detected.Marshal())
}

// List returns the detected wrappers in a stable order.
func (ws *Wrappers) List() []*Wrapper {
	if ws == nil {
		return nil
	}
	var out []*Wrapper
	for _, w := range ws.byFunc {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return rules.FuncName(out[i].Func) < rules.FuncName(out[j].Func) })
	return out
}

// Lookup returns the wrapper fn is, or nil.
func (ws *Wrappers) Lookup(fn *types.Func) *Wrapper {
	fn = fn.Origin()
	if w, ok := ws.byFunc[fn]; ok {
		return w
	}
	if w, ok := ws.byName[rules.FuncName(fn)]; ok {
		return w
	}
	var w *Wrapper
	f := ws.imported.of(fn)
	switch {
	case f != nil && f.Wrapper != nil:
		// What the analysis of its own package read from the body.
		w = f.Wrapper.wrapper(fn)
	case matchAny(ws.patterns, fn):
		w = ws.configuredWrapper(fn)
	case matchAny(ws.middleware, fn):
		w = ws.middlewareWrapper(fn)
	case ws.plain && isLibraryWrapper(fn):
		w = ws.configuredWrapper(fn)
	default:
		return nil
	}
	ws.byFunc[fn] = w
	return w
}

func isLibraryWrapper(fn *types.Func) bool {
	_, ok := rules.LibraryWrapper(fn)
	return ok
}

func matchAny(patterns []rules.Pattern, fn *types.Func) bool {
	for _, p := range patterns {
		if p.Match(fn) {
			return true
		}
	}
	return false
}

// middlewareWrapper describes a configured middleware. The handler's error
// goes back through the wrapper it calls, which rolls back.
func (ws *Wrappers) middlewareWrapper(fn *types.Func) *Wrapper {
	cb, _ := middlewareCallback(fn.Type().(*types.Signature))
	w := &Wrapper{Func: fn, Callback: cb, Tenant: -1, Setting: ws.setting, RollsBack: true, Middleware: true,
		IsolationWhy: "txscope cannot read how the configured middleware opens its transaction"}
	w.Source, _ = ws.prog.Source(fn)
	return w
}

// inside reports whether a function is a wrapper or middleware itself:
// the calls in its body open the transaction for its callers' callbacks.
func (ws *Wrappers) inside(info *types.Info, decl *ast.FuncDecl) bool {
	self, _ := info.Defs[decl.Name].(*types.Func)
	if self == nil {
		return false
	}
	if w := ws.byFunc[self]; w != nil && w.Source.Decl == decl {
		return true
	}
	return matchAny(ws.middleware, self)
}

// configuredWrapper reads a configured wrapper's body when it is loaded;
// a wrapper from a library keeps the library's contract: the one rules
// states for it (pop's Transaction), else rollback on error (gorm's).
func (ws *Wrappers) configuredWrapper(fn *types.Func) *Wrapper {
	if src, ok := ws.prog.Source(fn); ok {
		// A configured wrapper whose body shows no setting sets it out of
		// sight (a helper): it is a tenant wrapper all the same.
		if w := analyzeWrapper(ws.prog, src, fn); w != nil && !w.Plain {
			return w
		}
	}
	sig := fn.Type().(*types.Signature)
	cb, _ := callbackParam(sig)
	w := &Wrapper{Func: fn, Callback: cb, Tenant: -1, Setting: ws.setting, Pool: "{recv}",
		IsolationWhy: "its body is not in the loaded code"}
	assumed := contract{rollsBack: true}
	if c, ok := rules.LibraryWrapper(fn); ok {
		// A library's wrapper sets no tenant of its own.
		w.Setting, w.Plain, w.Pool, w.EndsOuter = "", true, c.Pool, c.EndsOuter
		// Without options at the call (Site.Isolation), it begins at the default.
		level, why := dbIsolation(ws.prog)
		w.Isolation, w.IsolationWhy = level, c.Source+" is given no options: "+why
		assumed = libraryContract(c)
	}
	w.setContract(ws.prog.Config, assumed)
	if src, ok := ws.prog.Source(fn); ok {
		w.Source = src
		w.Isolation, w.IsolationWhy = readIsolation(ws.prog, src)
		if cb >= 0 {
			if cbCall := callbackCall(src, sig.Params().At(cb)); cbCall != nil {
				w.setContract(ws.prog.Config, readContract(ws.prog, src, sig.Params().At(cb)))
				w.Passes = callbackPasses(src.Pkg.TypesInfo, src.Decl.Body, sig, cbCall)
			}
		}
	}
	return w
}

func callbackCall(src load.FuncSource, cbVar types.Object) *ast.CallExpr {
	var found *ast.CallExpr
	ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && found == nil {
			if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && src.Pkg.TypesInfo.Uses[id] == cbVar {
				found = call
			}
		}
		return found == nil
	})
	return found
}

// errNoWrapper explains an empty result when nothing was configured or found.
var errNoWrapper = errors.New("detect: no transaction wrapper found: no function sets set_config('app.…') or SET LOCAL app.… on a tx before running its callback, and none begins a transaction and runs a callback in it (GORM's Transaction, pgx.BeginFunc, pop's Transaction included); name yours under wrappers in txscope.yaml")

// Find lists every wrapper call with a function-literal callback, in any
// function of a non-generated file (declared, then held in package-level
// variables), in source order. Calls inside the wrappers themselves are
// skipped (a wrapper delegating to another).
func Find(prog *load.Program, ws *Wrappers) []*Site {
	var sites []*Site
	visit := func(src load.FuncSource) {
		info := src.Pkg.TypesInfo
		if ws.inside(info, src.Decl) {
			return
		}
		syntax.Calls(info, src.Decl.Body, func(call *ast.CallExpr, fn *types.Func) {
			w := ws.Lookup(fn)
			if w == nil || w.Callback < 0 || w.Callback >= len(call.Args) {
				return
			}
			if lit, ok := ast.Unparen(call.Args[w.Callback]).(*ast.FuncLit); ok {
				sites = append(sites, &Site{Wrapper: w, Call: call, Callback: lit, Tx: litTxParam(info, lit, w), Func: src})
			}
		})
	}
	prog.EachFunc(visit)
	prog.EachInitFunc(visit)
	return sites
}

// litTxParam finds the callback literal's transaction parameter by type:
// for a middleware, the parameter that carries the tx.
func litTxParam(info *types.Info, lit *ast.FuncLit, w *Wrapper) types.Object {
	sig, _ := info.TypeOf(lit).(*types.Signature)
	if sig == nil {
		return nil
	}
	i := TxParam(sig, w.Func.Type().(*types.Signature))
	if w.Middleware {
		i = carrierParam(sig)
	}
	if i < 0 {
		return nil
	}
	obj := sig.Params().At(i)
	if obj.Name() == "" || obj.Name() == "_" {
		return nil
	}
	return obj
}
