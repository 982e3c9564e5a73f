package rewrite

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/types"
	"slices"

	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/packages"
)

// checkPatterns reports configured names that match nothing in the loaded
// program, each at its line in txscope.yaml: a typo there would silently
// disable a rule.
func checkPatterns(prog *Program, cfg *rules.Config) error {
	if cfg.Path == "" {
		return nil
	}
	funcs := loadedFuncs(prog)
	var errs []*rules.Error
	unmatched := cfg.Unmatched(func(p rules.Pattern) bool {
		return slices.ContainsFunc(funcs, p.Match)
	})
	for _, e := range flatten(unmatched) {
		var ce *rules.Error
		if errors.As(e, &ce) {
			errs = append(errs, ce)
		}
	}
	if cfg.Querier != "" && !typeExists(prog.Packages, cfg.Querier) {
		errs = append(errs, &rules.Error{Pos: cfg.Pos("querier"), Msg: fmt.Sprintf("%q names no type in the loaded packages or their imports", cfg.Querier)})
	}
	slices.SortStableFunc(errs, func(a, b *rules.Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// loadedFuncs lists every function the loaded code declares or uses.
func loadedFuncs(prog *Program) []*types.Func {
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

// typeExists reports whether "importpath.Name" is a type declared in one of
// pkgs or in a package they import.
func typeExists(pkgs []*packages.Package, name string) bool {
	p, err := rules.ParsePattern(name)
	if err != nil {
		return false
	}
	found := false
	packages.Visit(pkgs, func(pkg *packages.Package) bool {
		if pkg.Types != nil && pkg.Types.Path() == p.Pkg {
			_, found = pkg.Types.Scope().Lookup(p.Name).(*types.TypeName)
		}
		return !found
	}, nil)
	return found
}

// flatten undoes errors.Join.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
