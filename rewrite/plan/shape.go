package plan

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
)

// FreshName picks a name free at the site and inside the callback, and not
// among also.
func FreshName(info *types.Info, site *analysis.Site, base string, also ...string) string {
	taken := map[string]bool{}
	for _, name := range also {
		taken[name] = true
	}
	ast.Inspect(site.Callback, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			taken[id.Name] = true
		}
		return true
	})
	candidates := []string{base, base + "2", base + "3"}
	if base == "q" {
		candidates = []string{"q", "pq", "tq", "pooled"}
	}
	for _, name := range candidates {
		if !taken[name] && FreeAt(info, site, name) {
			return name
		}
	}
	return base + "_"
}

// FreeAt reports whether name is neither visible at the site's call nor
// declared in the block around it, so that declaring it before the call
// neither fails nor shadows anything the code after the call uses.
func FreeAt(info *types.Info, site *analysis.Site, name string) bool {
	scope := innermostScope(info, site.Func.Decl.Body, site.Call)
	if scope == nil {
		scope = info.Scopes[site.Func.Decl.Type]
	}
	if scope == nil {
		return true
	}
	if _, obj := scope.LookupParent(name, site.Call.Pos()); obj != nil {
		return false
	}
	return scope.Lookup(name) == nil
}

func DeclaresName(info *types.Info, stmts []ast.Stmt, name string) bool {
	for _, s := range stmts {
		for _, obj := range TopDecls(info, s) {
			if obj.Name() == name {
				return true
			}
		}
	}
	return false
}

// How a wrapper call's result is used.
const (
	SinkReturn = iota // return W(…)
	SinkAssign        // err := W(…) / err = W(…); if err != nil {…}
	sinkIfInit        // if err := W(…); err != nil {…}
	sinkOther         // anything else: a closure keeps the semantics
)

// Shape is the ast-level description of where a wrapper call sits and how
// the moved statements can be placed: inlined into the enclosing block, or
// kept in a closure when inlining would not be exact.
type Shape struct {
	Sink    int
	List    []ast.Stmt // the enclosing block's statements
	Index   int        // of the sink statement in list
	IfStmt  *ast.IfStmt
	ErrVar  *ast.Ident
	results *types.Tuple // of the innermost enclosing function
	Inline  bool
}

// ShapeOf reads the sink of a site and decides whether the statements that
// leave the callback (all of them when pooled) can be inlined exactly.
func ShapeOf(info *types.Info, site *analysis.Site, moved []ast.Stmt, pooled bool) Shape {
	sh := Shape{Sink: sinkOther}
	sh.List, sh.Index = syntax.EnclosingStmt(site.Func.Decl.Body, site.Call)
	sh.results = enclosingResults(info, site.Func.Decl, site.Call)
	if sh.List == nil {
		return sh
	}
	s := sh.List[sh.Index]
	switch s := s.(type) {
	case *ast.ReturnStmt:
		if len(s.Results) == 1 && ast.Unparen(s.Results[0]) == site.Call {
			sh.Sink = SinkReturn
		}
	case *ast.AssignStmt:
		if id := errTarget(s, site.Call); id != nil && sh.Index+1 < len(sh.List) {
			if next, ok := sh.List[sh.Index+1].(*ast.IfStmt); ok && isErrCheck(info, next, id) {
				sh.Sink, sh.IfStmt, sh.ErrVar = SinkAssign, next, id
			}
		}
	case *ast.IfStmt:
		if init, ok := s.Init.(*ast.AssignStmt); ok {
			if id := errTarget(init, site.Call); id != nil && init.Tok == token.DEFINE && isErrCheck(info, s, id) {
				sh.Sink, sh.IfStmt, sh.ErrVar = sinkIfInit, s, id
			}
		}
	}
	sh.Inline = sh.Sink != sinkOther && sh.inlinable(info, site, moved, pooled)
	return sh
}

// errTarget is err in `err := call` / `err = call`.
func errTarget(a *ast.AssignStmt, call *ast.CallExpr) *ast.Ident {
	if len(a.Lhs) != 1 || len(a.Rhs) != 1 || ast.Unparen(a.Rhs[0]) != call {
		return nil
	}
	id, _ := a.Lhs[0].(*ast.Ident)
	if id == nil || id.Name == "_" {
		return nil
	}
	return id
}

// isErrCheck matches `if err != nil { … }` without an else.
func isErrCheck(info *types.Info, s *ast.IfStmt, errVar *ast.Ident) bool {
	bin, ok := s.Cond.(*ast.BinaryExpr)
	if !ok || bin.Op != token.NEQ || s.Else != nil || !analysis.IsNil(info, bin.Y) {
		return false
	}
	id, ok := bin.X.(*ast.Ident)
	return ok && syntax.ObjectOf(info, id) == syntax.ObjectOf(info, errVar)
}

// enclosingResults is the result list of the innermost function around n.
func enclosingResults(info *types.Info, decl *ast.FuncDecl, n ast.Node) *types.Tuple {
	var sig *types.Signature
	if fn, ok := info.Defs[decl.Name].(*types.Func); ok {
		sig = fn.Type().(*types.Signature)
	}
	ast.Inspect(decl.Body, func(x ast.Node) bool {
		if lit, ok := x.(*ast.FuncLit); ok && syntax.ContainsNode(lit, n) {
			if s, ok := info.TypeOf(lit).(*types.Signature); ok {
				sig = s
			}
		}
		return x == nil || syntax.ContainsNode(x, n)
	})
	if sig == nil {
		return types.NewTuple()
	}
	return sig.Results()
}

// inlinable checks that inlining the moved statements into the enclosing
// block behaves exactly like the callback did: every return maps to the
// sink, no defer changes when it runs, and no name changes what it means.
func (sh Shape) inlinable(info *types.Info, site *analysis.Site, moved []ast.Stmt, pooled bool) bool {
	tailEnds := sh.Sink == SinkReturn || (sh.Index+SinkSpan(sh.Sink) == len(sh.List) && sh.results.Len() == 0 && sh.List[len(sh.List)-1] == sh.lastStmt())
	if hasDefer(moved) && !(pooled && tailEnds && sh.Sink == SinkReturn) {
		return false
	}
	if sh.Sink != SinkReturn {
		if sh.ErrVar != nil && usedAfter(info, sh.List[sh.Index+SinkSpan(sh.Sink):], syntax.ObjectOf(info, sh.ErrVar)) {
			return false
		}
		if !sh.returnsMapToSink(info, moved, pooled, tailEnds) {
			return false
		}
	}
	return !sh.nameClash(info, site, moved)
}

func (sh Shape) lastStmt() ast.Stmt { return sh.List[sh.Index+SinkSpan(sh.Sink)-1] }

// SinkSpan is how many statements of the block the sink occupies.
func SinkSpan(sink int) int {
	if sink == SinkAssign {
		return 2
	}
	return 1
}

// returnsMapToSink checks the callback's returns when the result goes to an
// `if err != nil { … }` sink: a returned non-nil error becomes the sink's
// body; `return nil` is only exact at the very end of a pooled body.
func (sh Shape) returnsMapToSink(info *types.Info, moved []ast.Stmt, pooled, tailEnds bool) bool {
	sinkExits := Terminates(sh.IfStmt.Body.List)
	ok := true
	for i, s := range moved {
		tail := pooled && i == len(moved)-1
		syntax.WalkReturns(s, func(r *ast.ReturnStmt) {
			if tail && ast.Node(r) == s {
				return // the callback's own last return: becomes the sink check
			}
			if len(r.Results) != 1 || !knownNonNil(info, r.Results[0]) {
				ok = false
			}
			if !sinkExits && !tailEnds {
				ok = false
			}
		})
	}
	return ok
}

// knownNonNil accepts an error that cannot be nil: a package-level
// sentinel or a variable just checked with `!= nil` (the common
// `if err != nil { return err }`), named err or a sentinel.
func knownNonNil(info *types.Info, e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return false
	}
	v, ok := syntax.ObjectOf(info, id).(*types.Var)
	if !ok {
		return false
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return true
	}
	return isError(v.Type())
}

func Terminates(list []ast.Stmt) bool {
	if len(list) == 0 {
		return false
	}
	switch s := list[len(list)-1].(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.ExprStmt:
		if call, ok := s.X.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "panic" {
				return true
			}
		}
	}
	return false
}

func hasDefer(stmts []ast.Stmt) bool {
	found := false
	for _, s := range stmts {
		ast.Inspect(s, func(n ast.Node) bool {
			switch n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.DeferStmt:
				found = true
			}
			return !found
		})
	}
	return found
}

func usedAfter(info *types.Info, rest []ast.Stmt, obj types.Object) bool {
	for _, s := range rest {
		if syntax.Mentions(info, s, map[types.Object]bool{obj: true}) {
			return true
		}
	}
	return false
}

// nameClash reports whether a name the moved statements declare at their
// top level is already declared in the enclosing block, or used later in it
// for another object (the inlined declaration would capture it).
func (sh Shape) nameClash(info *types.Info, site *analysis.Site, moved []ast.Stmt) bool {
	declared := map[string]bool{}
	for _, s := range moved {
		for _, obj := range TopDecls(info, s) {
			declared[obj.Name()] = true
		}
	}
	sinkDecl := ""
	if a, ok := sh.List[sh.Index].(*ast.AssignStmt); ok && sh.Sink == SinkAssign && a.Tok == token.DEFINE {
		// The sink's own `err :=` disappears (pooled) or becomes `err =`.
		sinkDecl = sh.ErrVar.Name
	}
	scope := info.Scopes[site.Func.Decl.Type]
	if blockScope := innermostScope(info, site.Func.Decl.Body, site.Call); blockScope != nil {
		scope = blockScope
	}
	for name := range declared {
		if name != sinkDecl && scope != nil && scope.Lookup(name) != nil {
			return true
		}
	}
	for _, s := range sh.List[sh.Index+SinkSpan(sh.Sink):] {
		clash := false
		ast.Inspect(s, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && declared[id.Name] && info.Uses[id] != nil {
				clash = true
			}
			return !clash
		})
		if clash {
			return true
		}
	}
	return false
}

// TopDecls are the objects a statement declares in its own block.
func TopDecls(info *types.Info, s ast.Stmt) []types.Object {
	var out []types.Object
	switch s := s.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.DEFINE {
			for _, lhs := range s.Lhs {
				if id, ok := lhs.(*ast.Ident); ok && info.Defs[id] != nil {
					out = append(out, info.Defs[id])
				}
			}
		}
	case *ast.DeclStmt:
		if g, ok := s.Decl.(*ast.GenDecl); ok {
			for _, spec := range g.Specs {
				switch spec := spec.(type) {
				case *ast.ValueSpec:
					for _, id := range spec.Names {
						if obj := info.Defs[id]; obj != nil {
							out = append(out, obj)
						}
					}
				case *ast.TypeSpec:
					if obj := info.Defs[spec.Name]; obj != nil {
						out = append(out, obj)
					}
				}
			}
		}
	}
	return out
}

// innermostScope is the scope of the innermost block around n.
func innermostScope(info *types.Info, root ast.Node, n ast.Node) *types.Scope {
	var scope *types.Scope
	ast.Inspect(root, func(x ast.Node) bool {
		if x == nil || !syntax.ContainsNode(x, n) {
			return false
		}
		switch x.(type) {
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
			if s := info.Scopes[x]; s != nil {
				scope = s
			}
		case *ast.FuncLit:
			if x != root && syntax.ContainsNode(x, n) {
				if s := info.Scopes[x.(*ast.FuncLit).Type]; s != nil {
					scope = s
				}
			}
		}
		return true
	})
	return scope
}
