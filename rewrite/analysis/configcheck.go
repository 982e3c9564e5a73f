package analysis

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// checkPatterns checks the configured names against the loaded program,
// each reported at its line in txscope.yaml: a name that matches nothing
// is an error (a typo would silently disable a rule), one that exists but
// is not called is a warning. A program of one package leaves it to
// txscope check: a name of another package is not a typo.
func checkPatterns(prog *load.Program, cfg *rules.Config) (warnings []*rules.Error, err error) {
	if cfg.Path == "" || !prog.Whole() {
		return nil, nil
	}
	warnings, errs := cfg.CheckPatterns(patternUse(prog))
	errs = append(errs, callbackless(prog, cfg)...)
	if cfg.Querier != "" && !declared(prog, cfg.Querier, isTypeName) {
		errs = append(errs, &rules.Error{Pos: cfg.Pos("querier"), Msg: fmt.Sprintf("%q names no type in the loaded packages or their imports", cfg.Querier)})
	}
	if cfg.Conflict != "" && !declared(prog, cfg.Conflict, isErrorVar) {
		errs = append(errs, &rules.Error{Pos: cfg.Pos("conflict"), Msg: fmt.Sprintf("%q names no error variable in the loaded packages or their imports", cfg.Conflict)})
	}
	return warnings, rules.JoinErrors(errs)
}

// callbackless reports each configured wrapper or middleware whose names
// match only functions that take no callback given the transaction: txscope
// narrows a wrapper's callback and a middleware's handler, so such a name
// finds no calls, and it would also hide what check reports of the
// function (a route wrapper that stores its tx in request locals, TS010)
// and let check pass having looked at nothing.
func callbackless(prog *load.Program, cfg *rules.Config) []*rules.Error {
	funcs := loadedFuncs(prog)
	var errs []*rules.Error
	for _, list := range []struct {
		patterns []rules.Pattern
		callback func(*types.Signature) (int, int)
		what     string
	}{
		{cfg.Wrappers, callbackParam, "a callback given the transaction (func(tx) error)"},
		{cfg.Middleware, middlewareCallback, "a handler given the transaction (a func whose parameter is or holds the tx)"},
	} {
		for _, p := range list.patterns {
			matched, takes := false, false
			for _, fn := range funcs {
				if p.Match(fn) {
					cb, _ := list.callback(fn.Signature())
					matched, takes = true, takes || cb >= 0
				}
			}
			if matched && !takes {
				errs = append(errs, &rules.Error{Pos: p.Pos, Msg: fmt.Sprintf("%q takes no parameter that is %s, so txscope finds no calls of it to narrow", p.String(), list.what)})
			}
		}
	}
	return errs
}

// patternUse tells how the loaded program uses what a pattern names.
func patternUse(prog *load.Program) func(rules.Pattern) rules.Use {
	funcs := loadedFuncs(prog)
	return func(p rules.Pattern) rules.Use {
		if slices.ContainsFunc(funcs, p.Match) {
			return rules.Used
		}
		pkg := importedPackage(prog, p.Pkg)
		switch {
		case pkg != nil && declares(pkg, p):
			return rules.Unused
		case pkg != nil || inMainModules(prog, p.Pkg):
			return rules.Missing
		}
		return rules.Unimported
	}
}

// loadedFuncs lists every function the loaded code declares or uses.
func loadedFuncs(prog *load.Program) []*types.Func {
	var funcs []*types.Func
	seen := map[*types.Func]bool{}
	for _, pkg := range prog.Packages {
		for _, m := range []map[*ast.Ident]types.Object{pkg.TypesInfo.Defs, pkg.TypesInfo.Uses} {
			for _, obj := range m {
				if fn, ok := obj.(*types.Func); ok && !seen[fn.Origin()] {
					seen[fn.Origin()] = true
					funcs = append(funcs, fn.Origin())
				}
			}
		}
	}
	return funcs
}

// importedPackage finds the package with import path path among the targets
// and everything they import, directly or not; nil when there is none.
func importedPackage(prog *load.Program, path string) *types.Package {
	seen := map[*types.Package]bool{}
	var queue []*types.Package
	for _, p := range prog.Packages {
		queue = append(queue, p.Types)
	}
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		if pkg == nil || seen[pkg] {
			continue
		}
		seen[pkg] = true
		if pkg.Path() == path {
			return pkg
		}
		queue = append(queue, pkg.Imports()...)
	}
	return nil
}

// declares reports whether pkg declares a function or method p matches.
func declares(pkg *types.Package, p rules.Pattern) bool {
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		switch obj := scope.Lookup(name).(type) {
		case *types.Func:
			if p.Match(obj) {
				return true
			}
		case *types.TypeName:
			if slices.ContainsFunc(methods(obj), p.Match) {
				return true
			}
		}
	}
	return false
}

// methods lists the methods a named type or interface declares.
func methods(tn *types.TypeName) []*types.Func {
	named, ok := types.Unalias(tn.Type()).(*types.Named)
	if !ok || tn.IsAlias() {
		return nil
	}
	var fns []*types.Func
	for i := range named.NumMethods() {
		fns = append(fns, named.Method(i))
	}
	if iface, ok := named.Underlying().(*types.Interface); ok {
		for i := range iface.NumExplicitMethods() {
			fns = append(fns, iface.ExplicitMethod(i))
		}
	}
	return fns
}

// inMainModules reports whether path belongs to one of the modules being
// analysed, where a package that is not loaded can only be a typo.
func inMainModules(prog *load.Program, path string) bool {
	for _, p := range prog.Packages {
		if m := p.Module; m != nil && (path == m.Path || strings.HasPrefix(path, m.Path+"/")) {
			return true
		}
	}
	return false
}

// declared reports whether "importpath.Name" is declared, as is accepts,
// in one of the loaded packages or in a package they import.
func declared(prog *load.Program, name string, is func(types.Object) bool) bool {
	obj := LookupName(prog, name)
	return obj != nil && is(obj)
}

// LookupName is the package-level object "importpath.Name" in one of the
// loaded packages or in a package they import, nil if there is none.
func LookupName(prog *load.Program, name string) types.Object {
	p, err := rules.ParsePattern(name)
	if err != nil {
		return nil
	}
	if pkg := importedPackage(prog, p.Pkg); pkg != nil {
		return pkg.Scope().Lookup(p.Name)
	}
	return nil
}

func isTypeName(obj types.Object) bool {
	_, ok := obj.(*types.TypeName)
	return ok
}

func isErrorVar(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	return ok && types.Implements(v.Type(), types.Universe.Lookup("error").Type().Underlying().(*types.Interface))
}
