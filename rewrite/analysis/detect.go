package analysis

import (
	"fmt"
	"go/ast"
	"go/types"
	"path"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// DetectConfig is the configuration `txscope init` writes: the detected
// wrappers, their tenant setting and the pool their transactions begin on,
// on top of the defaults.
func DetectConfig(prog *load.Program) (*rules.Config, error) {
	cfg := rules.Default()
	ws, err := FindWrappers(prog, cfg)
	if err != nil {
		return nil, err
	}
	if ws.plain {
		seen := map[string]bool{}
		for _, s := range Find(prog, ws) {
			if name := rules.FuncName(s.Wrapper.Func); !seen[name] {
				seen[name] = true
				cfg.PlainWrappers = append(cfg.PlainWrappers, name)
			}
		}
		if len(cfg.PlainWrappers) == 0 {
			return noWrapper(prog, cfg)
		}
		slices.Sort(cfg.PlainWrappers)
		describeTenancy(cfg, prog)
		return cfg, nil
	}
	list := ws.List()
	if len(list) == 0 {
		return noWrapper(prog, cfg)
	}
	for _, w := range list {
		cfg.Wrappers = append(cfg.Wrappers, rules.MustPattern(rules.FuncName(w.Func)))
		cfg.Tenant.Setting, cfg.Tenant.SettingSet = w.Setting, true
		if pool := configPool(w.Pool); pool != "" {
			cfg.Pooled = "tenantpool.For(" + pool + ", {tenant})"
		}
	}
	describeTenancy(cfg, prog)
	return cfg, nil
}

// noWrapper is what init gives when it found no wrapper: a config that
// names the candidate wrappers of other modules in a comment, for a person
// to confirm; with none, the error, and where the per-request transaction
// middleware check reports as not analysed is.
func noWrapper(prog *load.Program, cfg *rules.Config) (*rules.Config, error) {
	for _, c := range WrapperCandidates(prog) {
		cfg.WrapperCandidates = append(cfg.WrapperCandidates, c.String())
	}
	if len(cfg.WrapperCandidates) > 0 {
		describeTenancy(cfg, prog)
		return cfg, nil
	}
	var at []string
	for _, f := range contextTransactions(prog, nil) {
		at = append(at, prog.Position(f.Pos))
	}
	if len(at) > 0 {
		return nil, fmt.Errorf("%w; the transactions begun per request and handed on in a context or request locals are not analysed (TS010, see txscope check): %s", errNoWrapper, strings.Join(at, ", "))
	}
	return nil, errNoWrapper
}

// describeTenancy writes what the schema says about tenancy into the
// config: row-level security when tables have policies, and the tenant
// column when every secured table has tenant_id. With no schema the
// config says nothing, and txscope assumes row-level security.
func describeTenancy(cfg *rules.Config, prog *load.Program) {
	if prog.Schema == nil {
		return
	}
	secured := SecuredTables(prog.Schema)
	cfg.Tenant.RLS, cfg.Tenant.RLSSet = len(secured) > 0, true
	if column := tenantColumn(cfg, secured); column != "" {
		cfg.Tenant.Column, cfg.Tenant.ColumnSet = column, true
	}
}

// configPool renders a detected pool for the pooled template: {recv} and
// {argN} stay placeholders; a package variable is written qualified by its
// package name for a person to check.
func configPool(pool string) string {
	if rest, ok := strings.CutPrefix(pool, "{pkg "); ok {
		pkgPath, name, _ := strings.Cut(rest, "}")
		return path.Base(pkgPath) + name
	}
	return pool
}

// Candidate is a function of another module that the module calls with a
// function literal taking a transaction and returning an error: the shape
// of a transaction wrapper whose body txscope cannot read, so it is only
// named, for a person to confirm under wrappers:.
type Candidate struct {
	Name  string // as a wrappers: pattern
	Calls int
	First rules.Position // the first call, in load order
	Tx    string         // the callback's transaction type
}

// WrapperCandidates lists the candidate wrappers of other modules, most
// called first.
func WrapperCandidates(prog *load.Program) []Candidate {
	byName := map[string]*Candidate{}
	var out []*Candidate
	prog.EachFunc(func(src load.FuncSource) {
		info := src.Pkg.TypesInfo
		syntax.Calls(info, src.Decl.Body, func(call *ast.CallExpr, fn *types.Func) {
			if _, ok := prog.Source(fn); ok {
				return // the module's own functions are read, not guessed
			}
			if _, ok := rules.LibraryWrapper(fn); ok {
				return
			}
			sig := fn.Type().(*types.Signature)
			param, tx := callbackParam(sig)
			if param < 0 || param >= len(call.Args) {
				return
			}
			if _, ok := ast.Unparen(call.Args[param]).(*ast.FuncLit); !ok {
				return
			}
			cb := syntax.FuncSignature(sig.Params().At(param).Type())
			if t := cb.Params().At(tx).Type(); !rules.IsTxType(t) && !commitsLike(t) {
				return // a querier only (a Redis pipeline has Exec too)
			}
			if n := cb.Results().Len(); n == 0 || !types.Identical(cb.Results().At(n-1).Type(), types.Universe.Lookup("error").Type()) {
				return // a scope or a visitor (GORM's Scopes), not a transaction's body
			}
			name := rules.FuncName(fn)
			c := byName[name]
			if c == nil {
				c = &Candidate{Name: name, First: callPosition(prog, call), Tx: types.TypeString(cb.Params().At(tx).Type(), (*types.Package).Name)}
				byName[name] = c
				out = append(out, c)
			}
			c.Calls++
		})
	})
	slices.SortStableFunc(out, func(a, b *Candidate) int { return b.Calls - a.Calls })
	list := make([]Candidate, len(out))
	for i, c := range out {
		list[i] = *c
	}
	return list
}

func callPosition(prog *load.Program, call *ast.CallExpr) rules.Position {
	p := syntax.RealPosition(prog.Fset, call.Pos())
	return rules.Position{File: prog.Rel(p.Filename), Line: p.Line, Col: p.Column}
}

// candidateWarnings warn, when nothing was found and nothing configured,
// of each candidate wrapper of another module, at its first call.
func candidateWarnings(a *Analysis) []*rules.Error {
	cfg := a.Config
	if len(a.Handlers) > 0 || len(a.Buffalo) > 0 || len(cfg.Wrappers) > 0 || len(cfg.Middleware) > 0 {
		return nil
	}
	var out []*rules.Error
	for _, c := range WrapperCandidates(a.Prog) {
		pos := c.First
		pos.Key = "wrappers"
		out = append(out, &rules.Error{Pos: pos, Msg: fmt.Sprintf("%s (%d call(s), its callback takes %s) may be a transaction wrapper of another module, whose body txscope cannot read: name it under wrappers in txscope.yaml if it rolls back when the callback returns an error", c.Name, c.Calls, c.Tx)})
	}
	return out
}

// commitsLike reports whether t is an interface with Commit and Rollback
// methods: another driver's transaction (River's riverdriver.ExecutorTx).
func commitsLike(t types.Type) bool {
	iface, ok := types.Unalias(t).Underlying().(*types.Interface)
	if !ok {
		return false
	}
	has := func(name string) bool {
		for i := 0; i < iface.NumMethods(); i++ {
			if iface.Method(i).Name() == name {
				return true
			}
		}
		return false
	}
	return has("Commit") && has("Rollback")
}

// String is "name: N call(s), first at file:line:col (callback takes T)".
func (c Candidate) String() string {
	return fmt.Sprintf("%s: %d call(s), first at %s (callback takes %s)", c.Name, c.Calls, c.First, c.Tx)
}
