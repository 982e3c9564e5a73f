package plan

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rules"
)

// pullReads moves the start of the write block back over reads whose
// values flow into a statement of the block that touches the database
// (read-modify-write) or into a guard (before the block or in it, deciding
// whether it commits): those reads must see the same snapshot as the write,
// so they stay in its transaction. A value that only reaches pure code (the
// response) does not pull its read. Error values do not count: a failed
// read writes nothing.
//
// local is the enclosing function's body: a pointer, map or slice declared
// there (before the wrapper call too) can be filled by a read; the
// function's parameters (the request, the writer) are not.
func pullReads(info *types.Info, stmts []analysis.StmtEffect, start int, local srcSpan) int {
	for {
		origin := map[types.Object]int{}
		for i := 0; i < start; i++ {
			s := stmts[i]
			if s.SessionCheck() {
				continue // the session's values may feed the writes: it moves out all the same
			}
			if s.Effect.Has(rules.Read) && branches(s.Stmt) && !errorChecksOnly(info, s.Stmt) {
				// The read's result decides a branch in place: an
				// existence check (errors.Is(err, ErrNoRows)) is a guard.
				start = i
				break
			}
			from := -1
			if s.Effect.Has(rules.Read) {
				from = i
			} else if j, ok := firstTainted(info, s.Stmt, origin); ok {
				from = j
			}
			if from < 0 {
				continue
			}
			if s.Effect.Has(rules.Read) || !branches(s.Stmt) {
				for _, obj := range Defs(info, s.Stmt, local) {
					if !isError(obj.Type()) {
						if _, seen := origin[obj]; !seen {
							origin[obj] = from
						}
					}
				}
			}
			if branches(s.Stmt) && !s.Effect.Has(rules.Read) {
				if j, ok := firstTainted(info, s.Stmt, origin); ok && j < start {
					start = j
				}
			}
		}
		next := start
		for _, s := range stmts[start:] {
			j, ok := firstTainted(info, s.Stmt, origin)
			if !ok {
				continue
			}
			if s.Effect&^rules.Slow != rules.Pure || guards(s.Stmt) {
				next = min(next, j)
				continue
			}
			// Pure code (the response, a captured result) only carries the
			// value on: what it assigns is tainted by the same read.
			for _, obj := range Defs(info, s.Stmt, local) {
				if _, seen := origin[obj]; !seen {
					origin[obj] = j
				}
			}
		}
		if next == start {
			return start
		}
		start = next
	}
}

// firstTainted is the earliest read that produced a value n uses.
func firstTainted(info *types.Info, n ast.Node, origin map[types.Object]int) (int, bool) {
	best, found := 0, false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if j, ok := origin[info.Uses[id]]; ok && (!found || j < best) {
				best, found = j, true
			}
		}
		return true
	})
	return best, found
}

// Defs lists the variables a statement declares or may change: assigned
// (also through a field, an element or a pointer), incremented, ranged
// into, passed by address (Scan(&v), json.Unmarshal(b, &v)), passed as a
// pointer, map or slice that the callee can write through, used as the
// receiver of a pointer method, or assigned inside a closure the statement
// holds (it may run there). A pointer, map or slice argument counts only
// for a variable declared in local: the handler's request and writer come
// from outside and are not what a read fills.
func Defs(info *types.Info, s ast.Stmt, local srcSpan) []types.Object {
	var out []types.Object
	add := func(e ast.Expr) {
		if id := syntax.RootIdent(e); id != nil {
			if obj := syntax.ObjectOf(info, id); obj != nil {
				if _, isVar := obj.(*types.Var); isVar {
					out = append(out, obj)
				}
			}
		}
	}
	ast.Inspect(s, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				add(lhs)
			}
		case *ast.IncDecStmt:
			add(n.X)
		case *ast.RangeStmt:
			if n.Key != nil {
				add(n.Key)
			}
			if n.Value != nil {
				add(n.Value)
			}
		case *ast.ValueSpec:
			for _, id := range n.Names {
				if obj := info.Defs[id]; obj != nil {
					out = append(out, obj)
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				add(n.X)
			}
		case *ast.CallExpr:
			for _, arg := range n.Args {
				if id, ok := ast.Unparen(arg).(*ast.Ident); ok && writableThrough(info.TypeOf(arg)) && local.declares(info.Uses[id]) {
					add(arg)
				}
			}
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && pointerMethod(info, sel) {
				add(sel.X)
			}
		}
		return true
	})
	return out
}

// srcSpan is a range of source, such as a callback's body.
type srcSpan struct{ lo, hi token.Pos }

func SrcSpanOf(n ast.Node) srcSpan { return srcSpan{n.Pos(), n.End()} }

func (s srcSpan) declares(obj types.Object) bool {
	return obj != nil && s.lo <= obj.Pos() && obj.Pos() < s.hi
}

// writableThrough reports whether a callee can change what a value of type
// t refers to.
func writableThrough(t types.Type) bool {
	if t == nil {
		return false
	}
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Map, *types.Slice:
		return true
	}
	return false
}

// pointerMethod reports whether sel calls a method with a pointer receiver
// on an addressable value, which the method may change.
func pointerMethod(info *types.Info, sel *ast.SelectorExpr) bool {
	selection, ok := info.Selections[sel]
	if !ok || selection.Kind() != types.MethodVal {
		return false
	}
	recv := selection.Obj().(*types.Func).Signature().Recv()
	if recv == nil {
		return false
	}
	_, ptrRecv := recv.Type().(*types.Pointer)
	_, ptrValue := selection.Recv().Underlying().(*types.Pointer)
	return ptrRecv && !ptrValue
}

// branches reports whether s can leave the straight line: a return, a
// branch or a panic inside it makes it a guard.
func branches(s ast.Stmt) bool {
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ReturnStmt, *ast.BranchStmt:
			found = true
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "panic" {
				found = true
			}
		case *ast.FuncLit:
			return false
		}
		return !found
	})
	return found
}

// guards reports whether s decides, inside the block, whether the block
// commits: a conditional return, branch or panic. The callback's own
// top-level return only hands back what it computed (the response).
func guards(s ast.Stmt) bool {
	if _, ok := s.(*ast.ReturnStmt); ok {
		return false
	}
	return branches(s)
}

// errorChecksOnly reports whether every condition in s compares an error
// with nil, as a failed read is handled: anything else (errors.Is, a
// comparison with a sentinel, a switch, a scanned value) reads the result.
func errorChecksOnly(info *types.Info, s ast.Stmt) bool {
	only := true
	ast.Inspect(s, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			only = false
		case *ast.IfStmt:
			bin, ok := ast.Unparen(n.Cond).(*ast.BinaryExpr)
			only = only && ok && (bin.Op == token.NEQ || bin.Op == token.EQL) && analysis.IsNil(info, bin.Y) && isError(info.TypeOf(bin.X))
		}
		return only
	})
	return only
}

var errorType = types.Universe.Lookup("error").Type()

func isError(t types.Type) bool { return types.Identical(t, errorType) }
