package plan

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// Widen is a run's widenings: each helper the rewritten plans pass the
// pooled handle to, once, with the interface it takes.
type Widen struct {
	Helpers []*Widened // by position
	// Failed are the helpers no interface could be found for, with why:
	// the plans that rely on them must keep their transaction (Unwiden).
	Failed map[WidenKey]string
}

// Widened is one helper's widening as the edit makes it.
type Widened struct {
	Widening
	Src      load.FuncSource
	To       *Querier
	Handlers int // the plans that rely on it
}

// Querier is the interface widened helpers take: the configured one
// (querier: in txscope.yaml), one their package declares already, or one
// txscope declares beside them.
type Querier struct {
	Pkg  *types.Package
	Name string
	// Methods are its methods, by name; Tx the driver's type whose
	// methods a declared one copies.
	Methods []string
	Tx      types.Type
	// Declare is set when txscope declares it: in File, before the
	// declaration Before (the first helper widened to it).
	Declare bool
	File    *ast.File
	Before  ast.Decl
}

// String is the interface as the report names it: store.Querier.
func (q *Querier) String() string { return q.Pkg.Name() + "." + q.Name }

// querierNames are the names txscope declares its interface under, the
// first one free or already the interface needed.
var querierNames = []string{"Querier", "txscopeQuerier"}

// Widenings collects the widenings of the pooled and narrowed plans, one a
// helper however many handlers share it, and gives each the interface it
// takes: the configured querier, else one per package and driver, whose
// methods are what the package's helpers need (including the interfaces
// of the helpers they pass the tx to, which it must satisfy).
func Widenings(prog *load.Program, plans []Plan) *Widen {
	wd := &Widen{Failed: map[WidenKey]string{}}
	byKey := map[WidenKey]*Widened{}
	for _, p := range plans {
		if p.Action != ActionPooled && p.Action != ActionNarrowed {
			continue
		}
		counted := map[WidenKey]bool{}
		for _, w := range p.Widen {
			k := w.Key()
			h := byKey[k]
			if h == nil {
				src, _ := prog.Source(w.Func)
				h = &Widened{Widening: w, Src: src}
				byKey[k] = h
				wd.Helpers = append(wd.Helpers, h)
			}
			if !counted[k] {
				counted[k] = true
				h.Handlers++
			}
		}
	}
	slices.SortFunc(wd.Helpers, func(a, b *Widened) int { return comparePos(prog, a.Src.Decl, b.Src.Decl) })
	if name := prog.Config.Querier; name != "" {
		tn, ok := analysis.LookupName(prog, name).(*types.TypeName) // checked by each helper's widenHelper
		if !ok {
			return wd // then no helper is widened
		}
		q := &Querier{Pkg: tn.Pkg(), Name: tn.Name()}
		for _, h := range wd.Helpers {
			h.To = q
		}
		return wd
	}
	wd.declareQueriers(prog, byKey)
	return wd
}

// comparePos orders nodes by file name, then offset.
func comparePos(prog *load.Program, a, b ast.Node) int {
	pa, pb := syntax.RealPosition(prog.Fset, a.Pos()), syntax.RealPosition(prog.Fset, b.Pos())
	return cmp.Or(cmp.Compare(pa.Filename, pb.Filename), cmp.Compare(pa.Offset, pb.Offset))
}

// querierGroup is the helpers of one package and driver, which take one
// interface.
type querierGroup struct {
	pkg     *types.Package
	dir     string
	tx      types.Type
	helpers []*Widened
	cand    int // the index in querierNames being tried; never goes back
}

// declareQueriers gives each group of helpers its interface, and repeats
// until the method sets settle: a helper passing its tx to another
// package's helper needs that helper's interface in its own.
func (wd *Widen) declareQueriers(prog *load.Program, byKey map[WidenKey]*Widened) {
	var groups []*querierGroup
	of := map[WidenKey]*querierGroup{}
	for _, h := range wd.Helpers {
		kind := TxKind(h.Tx)
		i := slices.IndexFunc(groups, func(g *querierGroup) bool { return g.pkg.Path() == h.Src.Pkg.PkgPath && TxKind(g.tx) == kind })
		if i < 0 {
			dir := filepath.Dir(syntax.RealPosition(prog.Fset, h.Src.File.Pos()).Filename)
			groups = append(groups, &querierGroup{pkg: h.Src.Pkg.Types, dir: dir, tx: h.Tx})
			i = len(groups) - 1
		}
		groups[i].helpers = append(groups[i].helpers, h)
		of[h.Key()] = groups[i]
	}
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			need := map[string]bool{}
			for _, h := range g.helpers {
				for _, m := range h.Methods {
					need[m] = true
				}
				for _, k := range h.Passes {
					if o := of[k]; o != g && byKey[k] != nil && byKey[k].To != nil {
						for _, m := range byKey[k].To.Methods {
							need[m] = true
						}
					}
				}
			}
			q := g.choose(prog, groups, slices.Sorted(maps.Keys(need)))
			old := g.helpers[0].To
			if q == nil {
				for _, h := range g.helpers {
					wd.Failed[h.Key()] = fmt.Sprintf("package %s declares %s already, and none is an interface that %s and the pooled handle both satisfy with the methods the helpers use",
						g.pkg.Name(), strings.Join(querierNames, " and "), shortType(g.tx))
					h.To = nil
				}
				continue
			}
			if old == nil || old.Name != q.Name || !slices.Equal(old.Methods, q.Methods) {
				changed = true
				q.File, q.Before = g.helpers[0].Src.File, g.helpers[0].Src.Outer
				for _, h := range g.helpers {
					h.To = q
				}
			}
		}
	}
	// A helper that passes the tx to one left as it is would not compile.
	for changed := true; changed; {
		changed = false
		for _, h := range wd.Helpers {
			if _, failed := wd.Failed[h.Key()]; failed {
				continue
			}
			for _, k := range h.Passes {
				if why, failed := wd.Failed[k]; failed {
					wd.Failed[h.Key()] = fmt.Sprintf("it passes the transaction to %s: %s", ShortName(rules.FuncName(byKey[k].Func)), why)
					changed = true
					break
				}
			}
		}
	}
}

// choose is the group's interface for the methods it needs: the first of
// querierNames that is free in its package (declared with need) or already
// such an interface there; nil when none is.
func (g *querierGroup) choose(prog *load.Program, groups []*querierGroup, need []string) *Querier {
	for ; g.cand < len(querierNames); g.cand++ {
		name := querierNames[g.cand]
		if slices.ContainsFunc(groups, func(o *querierGroup) bool {
			return o != g && o.pkg == g.pkg && o.cand == g.cand && o.helpers[0].To != nil
		}) {
			continue // another driver's interface in the package took it
		}
		obj, everyBuild := lookupBuilds(prog, g.pkg.Path(), name)
		if obj == nil && !declaredOutside(prog, g.dir, name) {
			return &Querier{Pkg: g.pkg, Name: name, Methods: need, Tx: g.tx, Declare: true}
		}
		if methods, ok := reusable(prog, obj, g.tx, need); ok && everyBuild {
			return &Querier{Pkg: g.pkg, Name: name, Methods: methods}
		}
	}
	return nil
}

// lookupBuilds looks name up in the package as loaded (with --tests, the
// variant its _test.go files join): what declares it, and whether that is
// in every build of the package, i.e. not in a test file. A name only a
// test declares is neither free nor usable.
func lookupBuilds(prog *load.Program, path, name string) (obj types.Object, everyBuild bool) {
	for _, pkg := range prog.Packages {
		if pkg.PkgPath != path {
			continue
		}
		if obj = pkg.Types.Scope().Lookup(name); obj != nil {
			return obj, !strings.HasSuffix(syntax.RealPosition(prog.Fset, obj.Pos()).Filename, "_test.go")
		}
	}
	return nil, false
}

// reusable reports whether obj is an interface the helpers can take: tx
// implements it, the pooled handle has its methods, and it has those the
// helpers need. Its methods come back.
func reusable(prog *load.Program, obj types.Object, tx types.Type, need []string) ([]string, bool) {
	tn, ok := obj.(*types.TypeName)
	if !ok {
		return nil, false
	}
	iface, ok := tn.Type().Underlying().(*types.Interface)
	if !ok || !types.Implements(tx, iface) {
		return nil, false
	}
	var methods []string
	for k := range iface.NumMethods() {
		m := iface.Method(k).Name()
		if !customPooled(prog.Config) && !sharedMethod(tx, m) {
			return nil, false
		}
		methods = append(methods, m)
	}
	slices.Sort(methods)
	for _, m := range need {
		if !slices.Contains(methods, m) {
			return nil, false
		}
	}
	return methods, true
}

// declaredOutside reports whether a file of the package's directory
// outside the loaded build declares name at package level (a build with
// it would then see two).
func declaredOutside(prog *load.Program, dir, name string) bool {
	for _, uf := range prog.UnloadedFiles() {
		if uf.File == nil || filepath.Dir(uf.Name) != dir {
			continue
		}
		for _, d := range uf.File.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.Name == name {
					return true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.Name == name {
							return true
						}
					case *ast.ValueSpec:
						for _, id := range s.Names {
							if id.Name == name {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// Unwiden keeps a plan that relies on a helper that cannot be widened
// after all (no interface for it, or the widening does not type-check).
func (p Plan) Unwiden(failed map[WidenKey]string) (Plan, bool) {
	if p.Action != ActionPooled && p.Action != ActionNarrowed {
		return p, false
	}
	for _, w := range p.Widen {
		if why, ok := failed[w.Key()]; ok {
			u := Unwidened{Func: w.Func, Tx: w.Tx, Why: why}
			p = p.Keep("%s: its query stays in the transaction", u)
			p.Unwidened = append(p.Unwidened, u)
			return p, true
		}
	}
	return p, false
}

// Paths are the files the widening of h edits: its declaration's, and the
// file its interface is declared in.
func (h *Widened) Paths(prog *load.Program) []string {
	out := []string{syntax.RealPosition(prog.Fset, h.Src.File.Pos()).Filename}
	if q := h.To; q != nil && q.Declare {
		out = append(out, syntax.RealPosition(prog.Fset, q.File.Pos()).Filename)
	}
	return out
}
