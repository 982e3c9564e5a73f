package rewrite

import (
	"go/ast"
	"go/token"
	"go/types"
)

// How a wrapper call's result is used.
const (
	sinkReturn = iota // return W(…)
	sinkAssign        // err := W(…) / err = W(…); if err != nil {…}
	sinkIfInit        // if err := W(…); err != nil {…}
	sinkOther         // anything else: a closure keeps the semantics
)

// shape is the ast-level description of where a wrapper call sits and how
// the moved statements can be placed: inlined into the enclosing block, or
// kept in a closure when inlining would not be exact.
type shape struct {
	sink    int
	list    []ast.Stmt // the enclosing block's statements
	index   int        // of the sink statement in list
	ifStmt  *ast.IfStmt
	errVar  *ast.Ident
	results *types.Tuple // of the innermost enclosing function
	inline  bool
}

// shapeOf reads the sink of a site and decides whether the statements that
// leave the callback (all of them when pooled) can be inlined exactly.
func shapeOf(info *types.Info, site *Site, moved []ast.Stmt, pooled bool) shape {
	sh := shape{sink: sinkOther}
	sh.list, sh.index = enclosingStmt(site.Func.Decl.Body, site.Call)
	sh.results = enclosingResults(info, site.Func.Decl, site.Call)
	if sh.list == nil {
		return sh
	}
	s := sh.list[sh.index]
	switch s := s.(type) {
	case *ast.ReturnStmt:
		if len(s.Results) == 1 && ast.Unparen(s.Results[0]) == site.Call {
			sh.sink = sinkReturn
		}
	case *ast.AssignStmt:
		if id := errTarget(s, site.Call); id != nil && sh.index+1 < len(sh.list) {
			if next, ok := sh.list[sh.index+1].(*ast.IfStmt); ok && isErrCheck(info, next, id) {
				sh.sink, sh.ifStmt, sh.errVar = sinkAssign, next, id
			}
		}
	case *ast.IfStmt:
		if init, ok := s.Init.(*ast.AssignStmt); ok {
			if id := errTarget(init, site.Call); id != nil && init.Tok == token.DEFINE && isErrCheck(info, s, id) {
				sh.sink, sh.ifStmt, sh.errVar = sinkIfInit, s, id
			}
		}
	}
	sh.inline = sh.sink != sinkOther && sh.inlinable(info, site, moved, pooled)
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
	if !ok || bin.Op != token.NEQ || s.Else != nil || !isNil(info, bin.Y) {
		return false
	}
	id, ok := bin.X.(*ast.Ident)
	return ok && objectOf(info, id) == objectOf(info, errVar)
}

// enclosingResults is the result list of the innermost function around n.
func enclosingResults(info *types.Info, decl *ast.FuncDecl, n ast.Node) *types.Tuple {
	var sig *types.Signature
	if fn, ok := info.Defs[decl.Name].(*types.Func); ok {
		sig = fn.Type().(*types.Signature)
	}
	ast.Inspect(decl.Body, func(x ast.Node) bool {
		if lit, ok := x.(*ast.FuncLit); ok && containsNode(lit, n) {
			if s, ok := info.TypeOf(lit).(*types.Signature); ok {
				sig = s
			}
		}
		return x == nil || containsNode(x, n)
	})
	if sig == nil {
		return types.NewTuple()
	}
	return sig.Results()
}

// inlinable checks that inlining the moved statements into the enclosing
// block behaves exactly like the callback did: every return maps to the
// sink, no defer changes when it runs, and no name changes what it means.
func (sh shape) inlinable(info *types.Info, site *Site, moved []ast.Stmt, pooled bool) bool {
	tailEnds := sh.sink == sinkReturn || (sh.index+sinkSpan(sh.sink) == len(sh.list) && sh.results.Len() == 0 && sh.list[len(sh.list)-1] == sh.lastStmt())
	if hasDefer(moved) && !(pooled && tailEnds && sh.sink == sinkReturn) {
		return false
	}
	if sh.sink != sinkReturn {
		if sh.errVar != nil && usedAfter(info, sh.list[sh.index+sinkSpan(sh.sink):], objectOf(info, sh.errVar)) {
			return false
		}
		if !sh.returnsMapToSink(info, moved, pooled, tailEnds) {
			return false
		}
	}
	return !sh.nameClash(info, site, moved)
}

func (sh shape) lastStmt() ast.Stmt { return sh.list[sh.index+sinkSpan(sh.sink)-1] }

// sinkSpan is how many statements of the block the sink occupies.
func sinkSpan(sink int) int {
	if sink == sinkAssign {
		return 2
	}
	return 1
}

// returnsMapToSink checks the callback's returns when the result goes to an
// `if err != nil { … }` sink: a returned non-nil error becomes the sink's
// body; `return nil` is only exact at the very end of a pooled body.
func (sh shape) returnsMapToSink(info *types.Info, moved []ast.Stmt, pooled, tailEnds bool) bool {
	sinkExits := terminates(sh.ifStmt.Body.List)
	ok := true
	for i, s := range moved {
		tail := pooled && i == len(moved)-1
		walkReturns(s, func(r *ast.ReturnStmt) {
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

// walkReturns visits the returns of the callback itself, not of nested
// function literals.
func walkReturns(n ast.Node, visit func(*ast.ReturnStmt)) {
	ast.Inspect(n, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			visit(x)
		}
		return true
	})
}

// knownNonNil accepts an error that cannot be nil: a package-level
// sentinel or a variable just checked with `!= nil` (the common
// `if err != nil { return err }`), named err or a sentinel.
func knownNonNil(info *types.Info, e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return false
	}
	v, ok := objectOf(info, id).(*types.Var)
	if !ok {
		return false
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return true
	}
	return isError(v.Type())
}

func terminates(list []ast.Stmt) bool {
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
		if mentions(info, s, map[types.Object]bool{obj: true}) {
			return true
		}
	}
	return false
}

// nameClash reports whether a name the moved statements declare at their
// top level is already declared in the enclosing block, or used later in it
// for another object (the inlined declaration would capture it).
func (sh shape) nameClash(info *types.Info, site *Site, moved []ast.Stmt) bool {
	declared := map[string]bool{}
	for _, s := range moved {
		for _, obj := range topDecls(info, s) {
			declared[obj.Name()] = true
		}
	}
	sinkDecl := ""
	if a, ok := sh.list[sh.index].(*ast.AssignStmt); ok && sh.sink == sinkAssign && a.Tok == token.DEFINE {
		// The sink's own `err :=` disappears (pooled) or becomes `err =`.
		sinkDecl = sh.errVar.Name
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
	for _, s := range sh.list[sh.index+sinkSpan(sh.sink):] {
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

// topDecls are the objects a statement declares in its own block.
func topDecls(info *types.Info, s ast.Stmt) []types.Object {
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
		if x == nil || !containsNode(x, n) {
			return false
		}
		switch x.(type) {
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
			if s := info.Scopes[x]; s != nil {
				scope = s
			}
		case *ast.FuncLit:
			if x != root && containsNode(x, n) {
				if s := info.Scopes[x.(*ast.FuncLit).Type]; s != nil {
					scope = s
				}
			}
		}
		return true
	})
	return scope
}
