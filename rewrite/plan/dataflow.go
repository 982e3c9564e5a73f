package plan

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// pullReads moves the start of the write block back over reads whose
// values flow into a statement of the block that touches the database
// (read-modify-write) or into a guard (before the block or in it, deciding
// whether it commits): those reads must see the same snapshot as the write,
// so they stay in its transaction. A value that only reaches pure code (the
// response) does not pull its read. A read's error counts where it is used
// other than to handle the failure (`if err != nil { return err }`): a
// failed read writes nothing, but `errors.Is(err, ErrNoRows)` or
// `err == nil` asks whether the row exists, which is a guard.
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
			if s.Effect.Has(rules.Read) && !errorChecksOnly(info, s.Stmt) {
				// The read's result decides in place whether what follows
				// runs: an existence check is a guard.
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
					if _, seen := origin[obj]; !seen {
						origin[obj] = from
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

// firstTainted is the earliest read that produced a value n uses. An
// error's use that only handles the failure (failureUses) does not count.
func firstTainted(info *types.Info, n ast.Node, origin map[types.Object]int) (int, bool) {
	best, found := 0, false
	benign := failureUses(info, n)
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && !benign[id] {
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
// panic, a goto, or a break or continue out of s makes it a guard. A break
// or continue of a loop inside s (a row filter) only ends an iteration.
func branches(s ast.Stmt) bool {
	found := false
	walkExits(s, func([]ast.Node, ast.Node) { found = true })
	return found
}

// walkExits calls exit for each way out of s (return, panic, goto, a break
// or continue whose target is outside s) with the nodes enclosing it in s,
// outermost first. Function literals are not entered.
func walkExits(s ast.Stmt, exit func(stack []ast.Node, n ast.Node)) {
	var stack []ast.Node
	ast.Inspect(s, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			exit(stack, n)
		case *ast.BranchStmt:
			if !targetWithin(stack, n) {
				exit(stack, n)
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "panic" {
				exit(stack, n)
			}
		}
		stack = append(stack, n)
		return true
	})
}

// targetWithin reports whether the statement a break or continue goes to
// is among stack (so inside the statement being walked).
func targetWithin(stack []ast.Node, br *ast.BranchStmt) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		switch n := stack[i].(type) {
		case *ast.LabeledStmt:
			if br.Label != nil && n.Label.Name == br.Label.Name {
				return true
			}
		case *ast.ForStmt, *ast.RangeStmt:
			if br.Label == nil && (br.Tok == token.BREAK || br.Tok == token.CONTINUE) {
				return true
			}
		case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			if br.Label == nil && br.Tok == token.BREAK {
				return true
			}
		}
	}
	return br.Tok == token.FALLTHROUGH
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

// errorChecksOnly reports whether each way out of s is a failed read's
// handling: it lies in the body of an `if err != nil` with no condition
// between (a tail return, with none at all, hands back what it computed).
// Anything else (errors.Is, err == nil, a comparison with a sentinel, a
// switch, a scanned value, a loop over the rows) reads the result.
func errorChecksOnly(info *types.Info, s ast.Stmt) bool {
	only := true
	walkExits(s, func(stack []ast.Node, exit ast.Node) {
		only = only && onFailure(info, stack, exit)
	})
	return only
}

// onFailure reports whether the nearest condition around n (stack holds
// the nodes enclosing it, outermost first) is `if err != nil`, with n in
// its body, or there is none.
func onFailure(info *types.Info, stack []ast.Node, n ast.Node) bool {
	child := n
	for i := len(stack) - 1; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.IfStmt:
			return child == p.Body && failureChecked(info, p) != nil
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			return false
		}
		child = stack[i]
	}
	return true
}

// failureChecked is the err of `if err != nil`, nil for any other if.
func failureChecked(info *types.Info, ifs *ast.IfStmt) ast.Expr {
	bin, ok := ast.Unparen(ifs.Cond).(*ast.BinaryExpr)
	if ok && bin.Op == token.NEQ && analysis.IsNil(info, bin.Y) && isError(info.TypeOf(bin.X)) {
		return bin.X
	}
	return nil
}

// failureUses are the uses in n of error variables that read nothing of
// what a read left in them but its failure: the err of an `if err != nil`
// and its uses in that body outside any condition there (`return err`,
// `return fmt.Errorf(…, err)`), and an error assigned anew (`err = …`,
// `v, err := …`).
func failureUses(info *types.Info, n ast.Node) map[*ast.Ident]bool {
	out := map[*ast.Ident]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			// `v, err := …` redeclaring err assigns it as `=` does.
			if n.Tok == token.ASSIGN || n.Tok == token.DEFINE {
				for _, lhs := range n.Lhs {
					if id := syntax.IdentOf(lhs); id != nil && isError(info.TypeOf(id)) {
						out[id] = true
					}
				}
			}
		case *ast.IfStmt:
			if err := syntax.IdentOf(failureChecked(info, n)); err != nil {
				out[err] = true
				bodyUses(info, n.Body, info.Uses[err], out)
			}
		}
		return true
	})
	return out
}

// bodyUses adds to out the uses of obj in body outside the conditions of
// the statements there.
func bodyUses(info *types.Info, body *ast.BlockStmt, obj types.Object, out map[*ast.Ident]bool) {
	var conds []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt:
			conds = append(conds, n.Cond)
		case *ast.ForStmt:
			conds = append(conds, n.Cond)
		case *ast.SwitchStmt:
			conds = append(conds, n.Tag, n.Body)
		case *ast.TypeSwitchStmt:
			conds = append(conds, n.Assign, n.Body)
		case *ast.Ident:
			if info.Uses[n] == obj && !slices.ContainsFunc(conds, func(c ast.Node) bool { return c != nil && syntax.ContainsNode(c, n) }) {
				out[n] = true
			}
		}
		return true
	})
}

var errorType = types.Universe.Lookup("error").Type()

func isError(t types.Type) bool { return types.Identical(t, errorType) }

// keepAliases settles the statements before the write block that bind a
// variable holding the tx (`q := store.New(tx)`, `exec := tx.Exec`,
// `repo := Repo{tx: tx}`) which the block uses: moved out, the variable
// would hold the pooled handle, and the block's queries through it would
// leave the transaction. With rebind, one that only binds that variable,
// once, with pure code, and whose variable the moved statements use too,
// moves out and runs again, as written, at the head of the write block
// (rebinds, indices into stmts); for any other the start moves back over
// it. The tx itself is bound in the block (the callback's parameter; a
// Buffalo action's accessor variable is the parameter of the transaction
// the rewrite opens).
func keepAliases(prog *load.Program, h *analysis.Wrapped, start int, rebind bool) (int, []int) {
	for {
		rebinds, stuck := aliasBindings(prog, h, nil, start, rebind)
		if stuck < 0 {
			return start, rebinds
		}
		start = stuck
	}
}

// aliasBindings sorts the statements of order[:start] (the callback's in
// the order they run after the rewrite, nil for as written) that bind a tx
// alias the write block order[start:] uses: the ones that can run again in
// the block (rebinds, indices into the callback's statements), and the
// position in order of the first that cannot (stuck, -1 when none).
func aliasBindings(prog *load.Program, h *analysis.Wrapped, order []int, start int, rebind bool) (rebinds []int, stuck int) {
	info := h.Site.Func.Pkg.TypesInfo
	local := SrcSpanOf(h.Site.Func.Decl.Body)
	stmts := Reorder(h.Stmts, order)
	index := func(k int) int {
		if order == nil {
			return k
		}
		return order[k]
	}
	aliases := analysis.TrackAliases(info, h.Site.Callback.Body, []types.Object{h.Site.Tx}).Objs
	delete(aliases, h.Site.Tx)
	// what the block uses: its statements, then the rebound ones, which
	// run in it too
	used := map[types.Object]bool{}
	use := func(s ast.Stmt) {
		ast.Inspect(s, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && aliases[info.Uses[id]] {
				used[info.Uses[id]] = true
			}
			return true
		})
	}
	for _, s := range stmts[start:] {
		use(s.Stmt)
	}
	settled := map[int]bool{}
	for changed := true; changed; {
		changed = false
		for k := start - 1; k >= 0; k-- {
			if settled[k] || !slices.ContainsFunc(Defs(info, stmts[k].Stmt, local), func(o types.Object) bool { return used[o] }) {
				continue
			}
			if !rebind || !rebindable(prog, info, stmts, k, start, aliases) {
				return nil, k
			}
			settled[k], changed = true, true
			rebinds = append(rebinds, index(k))
			use(stmts[k].Stmt)
		}
	}
	slices.Sort(rebinds)
	return rebinds, -1
}

// rebindable reports whether stmts[k] binds one tx alias and nothing else
// (v := expr, var v = expr), with pure code, the only value v ever has
// (load.Program.LocalValue), and whether another statement before start
// uses v: its copy moved out of the transaction must not be left unused.
func rebindable(prog *load.Program, info *types.Info, stmts []analysis.StmtEffect, k, start int, aliases map[types.Object]bool) bool {
	if stmts[k].Effect != rules.Pure {
		return false
	}
	var id *ast.Ident
	switch s := stmts[k].Stmt.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.DEFINE && len(s.Lhs) == 1 && len(s.Rhs) == 1 {
			id, _ = s.Lhs[0].(*ast.Ident)
		}
	case *ast.DeclStmt:
		if g, ok := s.Decl.(*ast.GenDecl); ok && len(g.Specs) == 1 {
			if vs, ok := g.Specs[0].(*ast.ValueSpec); ok && len(vs.Names) == 1 && len(vs.Values) == 1 {
				id = vs.Names[0]
			}
		}
	}
	v, _ := info.Defs[id].(*types.Var)
	if v == nil || !aliases[v] {
		return false
	}
	if _, once := prog.LocalValue(v); !once {
		return false
	}
	for j := 0; j < start; j++ {
		if j != k && syntax.Mentions(info, stmts[j].Stmt, map[types.Object]bool{v: true}) {
			return true
		}
	}
	return false
}
