package plan

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// slowMove is the move of a read → slow call → write chain out of the
// write block (DESIGN.md rule 4's exception): the slow call and what it
// needs (the reads it consumes, the pure code computing its input, the
// guards of their errors) run before the transaction; the writes before it
// sink into the write block after it, in their order.
type slowMove struct {
	order   []int // the callback's statements in their new order
	start   int   // the first statement of the write block, in order
	replays []Replay
	line    string
	left    []Unwidened // the helper that kept the move from being made
}

// side is where a statement of the block goes.
type side int8

const (
	undecided side = iota
	out            // before the transaction, with the slow call
	in             // in the write block
)

// isolationKeepsReads says why the site's reads must stay with its writes
// because of the level its transaction runs at (DESIGN rule 4: above read
// committed, a read outside the transaction is not in its snapshot); ""
// at read committed.
func isolationKeepsReads(prog *load.Program, site *analysis.Site) string {
	level, why := site.Isolation(prog)
	if level == rules.ReadCommitted {
		return ""
	}
	what := "an unknown isolation level"
	if level != rules.IsolationUnknown {
		what = level.String()
	}
	return fmt.Sprintf("the transaction runs at %s (%s), where its reads must stay with its writes", what, why)
}

// planSlowMove tries the move for a block stmts[start:] that holds a slow
// call. applies is false when the block is not a chain whose slow call is
// followed by a write (a slow call after the last write is rule 5's
// case); why is set when the move applies but would weaken a guarantee.
// The move requires READ COMMITTED: there an unlocked read in the
// transaction guarantees nothing more than the same read before it, except
// seeing the transaction's own earlier writes, which is checked table by
// table. Where the move alone would weaken a guarantee, recheck makes it
// with the reads replayed in the write block (Replay).
func planSlowMove(prog *load.Program, h *analysis.Wrapped, start int, recheck bool) (mv slowMove, applies bool, why string) {
	stmts := h.Stmts
	n := len(stmts)
	last := -1
	for i := start; i < n; i++ {
		if stmts[i].Effect.Has(rules.Slow) {
			last = i
		}
	}
	writeAfter := false
	for i := last + 1; i < n; i++ {
		writeAfter = writeAfter || stmts[i].Effect.Writes()
	}
	if last < 0 || !writeAfter {
		return mv, false, ""
	}
	weakens := isolationKeepsReads(prog, h.Site) // why the move alone would weaken a guarantee
	info := h.Site.Func.Pkg.TypesInfo
	pos := func(i int) string { return prog.Position(stmts[i].Stmt.Pos()) }
	for i := 0; i <= last && weakens == ""; i++ {
		if s := stmts[i]; s.Effect.Has(rules.Locking) {
			weakens = fmt.Sprintf("%s at %s takes a lock before it, which would no longer cover the slow call and the write", stmtName(s), pos(i))
		}
	}
	if weakens != "" && !recheck {
		return mv, true, weakens + " (--recheck would re-read it in the transaction)"
	}
	df := newDataflow(info, SrcSpanOf(h.Site.Func.Decl.Body), SrcSpanOf(h.Site.Callback.Body), stmts)
	sides := make([]side, n)
	for i := start; i <= last; i++ {
		s := stmts[i]
		switch {
		case s.Effect.Has(rules.Slow) && s.Effect.Writes():
			return mv, true, fmt.Sprintf("the statement of the slow call at %s also writes", pos(i))
		case s.Effect.Has(rules.Slow):
			sides[i] = out
		case weakens != "" && lockOnly(s.Effect):
			// A lock with --recheck: it moves with what needs its values
			// (and is replayed) or into the write block.
		case s.Effect.Writes():
			sides[i] = in
		}
	}
	// A check before the slow call that may leave the callback must still
	// run before it: it leaves with it, and what it reads with it.
	for k := start; k < last; k++ {
		if stmts[k].Effect == rules.Pure && sides[k] == undecided && branches(stmts[k].Stmt) && !df.errorGuard(k) {
			sides[k] = out
		}
	}
	// What the moved statements need moves with them.
	for changed := true; changed; {
		changed = false
		for j := start; j <= last; j++ {
			if sides[j] != out {
				continue
			}
			for _, i := range df.needs(j) {
				if i < start {
					continue
				}
				switch sides[i] {
				case in:
					return mv, true, fmt.Sprintf("its input comes from %s at %s, which must stay in the transaction", stmtName(stmts[i]), pos(i))
				case undecided:
					sides[i], changed = out, true
				}
			}
		}
	}
	// The rest: reads that do not feed the slow call stay with the writes;
	// quiet code (error checks, assignments) goes with what it depends on.
	for k := start; k <= last; k++ {
		if sides[k] != undecided {
			continue
		}
		sides[k] = in
		if stmts[k].Effect == rules.Pure && df.quiet(k) && !df.dependsOn(k, sides, in, start) {
			sides[k] = out
		}
	}
	// The error checks right after the slow call leave with it, and so does
	// code that only handles what the slow call returned (resp.Body.Close()).
	for k := last + 1; k < n-1; k++ {
		if stmts[k].Effect != rules.Pure || !(df.quiet(k) || df.onlyUses(k, sides, out, start)) || !df.dependsOn(k, sides, out, start) || df.dependsOn(k, sides, in, start) {
			break
		}
		sides[k] = out
	}
	var replays []Replay
	replayed := map[int]bool{}
	if weakens != "" {
		if replays, why = planReplays(h, df, sides, start, pos); why != "" {
			return mv, true, why
		}
		for _, rp := range replays {
			for _, i := range rp.Stmts {
				replayed[i] = true
			}
		}
	}
	order := make([]int, 0, n)
	for i := 0; i < start; i++ {
		order = append(order, i)
	}
	for i := start; i < n; i++ {
		if sides[i] == out {
			order = append(order, i)
		}
	}
	newStart := len(order)
	for i := start; i < n; i++ {
		if sides[i] != out {
			order = append(order, i)
		}
	}
	if order[n-1] != n-1 {
		return mv, true, "the callback's last statement would have to move"
	}
	// Every statement that changes places with a moved one must commute
	// with it.
	var sunk []int
	for i := start; i < n; i++ {
		if sides[i] != in {
			continue
		}
		for j := i + 1; j < n; j++ {
			if sides[j] != out {
				continue
			}
			why := commutes(pos, df, i, j)
			if why != "" && weakens != "" && lockOnly(stmts[i].Effect) && (replayed[j] || stmts[j].Effect&^rules.Slow == rules.Pure) {
				// A lock taken after the slow call instead of before it
				// still covers the reads replayed after it and the writes.
				why = ""
			}
			if why != "" {
				// Replayed, a read of the block's own writes would see them
				// and never agree with its value from before the write.
				return mv, true, why
			}
		}
		if i < last && stmts[i].Effect.Writes() {
			sunk = append(sunk, i)
		}
	}
	// Pure code left at the head of the write block (a deferred Close of
	// what the slow call returned) is what the next run would move: move
	// it now, so that a second run changes nothing.
	for newStart < n-1 && stmts[order[newStart]].Effect == rules.Pure && !bareDecl(stmts[order[newStart]].Stmt) {
		newStart++
	}
	// So are the reads at its head that feed no write, as in any callback
	// (found by the fuzzer: a read after the slow call left in the block).
	aliases := analysis.TrackAliases(info, h.Site.Callback.Body, []types.Object{h.Site.Tx})
	if len(replays) == 0 {
		block := Reorder(stmts, order)[newStart:]
		head := keepDecls(block, pullReads(info, block, firstWrite(block), SrcSpanOf(h.Site.Func.Decl.Body)))
		for k := 0; k < head && k < len(block)-1 && needsTx(prog, info, block[k].Stmt, aliases.Objs).call == nil; k++ {
			newStart++
		}
	}
	if v, at, ok := df.sameValues(order); !ok {
		where := "the end of the callback"
		if at >= 0 {
			where = pos(at)
		}
		return mv, true, fmt.Sprintf("moving it would change the value of %s at %s", v, where)
	}
	// A moved exit that returns nil committed the sunk writes before it;
	// before the transaction it commits nothing.
	if len(sunk) > 0 {
		for _, i := range order[start:newStart] {
			if ret := nilReturn(info, stmts[i].Stmt); ret != nil {
				return mv, true, fmt.Sprintf("the return at %s may return nil, which commits %s, run before it; moved before the transaction it would commit nothing", prog.Position(ret.Pos()), stmtName(stmts[sunk[0]]))
			}
		}
	}
	for _, i := range order[start:newStart] {
		if need := needsTx(prog, info, stmts[i].Stmt, aliases.Objs); need.call != nil {
			if need.left != nil {
				mv.left = append(mv.left, *need.left)
			}
			return mv, true, fmt.Sprintf("%s at %s needs the concrete transaction type%s", types.ExprString(need.call.Fun), prog.Position(need.call.Pos()), need.why())
		}
	}
	for k := range replays {
		last := replays[k].Stmts[len(replays[k].Stmts)-1]
		replays[k].At = newStart + slices.IndexFunc(order[newStart:], func(i int) bool { return i > last })
	}
	line := moveLine(stmts, order[start:newStart], sunk, len(replays) > 0)
	if len(replays) > 0 {
		line += "; " + replayLine(stmts, replays, weakens, conflictName(prog))
	}
	return slowMove{order: order, start: newStart, replays: replays, line: line}, true, ""
}

// nilReturn finds a return of the callback in s (not of a function literal
// inside it) that may return nil: anything but an error variable the
// enclosing if has just found non-nil, a sentinel, or a constructed error.
func nilReturn(info *types.Info, s ast.Stmt) *ast.ReturnStmt {
	var found *ast.ReturnStmt
	var guards []ast.Expr // conditions of the ifs whose body holds the walk
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.IfStmt:
			if n.Init != nil {
				ast.Inspect(n.Init, visit)
			}
			guards = append(guards, n.Cond)
			ast.Inspect(n.Body, visit)
			guards = guards[:len(guards)-1]
			if n.Else != nil {
				ast.Inspect(n.Else, visit)
			}
			return false
		case *ast.ReturnStmt:
			if found == nil && len(n.Results) > 0 && !provenNonNil(info, ErrorResult(n), guards) {
				found = n
			}
		}
		return found == nil
	}
	ast.Inspect(s, visit)
	return found
}

// provenNonNil reports whether e, returned under the conditions guards, is
// a non-nil error.
func provenNonNil(info *types.Info, e ast.Expr, guards []ast.Expr) bool {
	if id, ok := ast.Unparen(e).(*ast.Ident); ok {
		for _, cond := range guards {
			if holdsWhenNonNil(info, cond, syntax.ObjectOf(info, id)) {
				return true
			}
		}
	}
	return nonNilError(info, e, nil)
}

// exits reports whether s may return from the callback (a return not in a
// function literal inside it).
func exits(s ast.Stmt) bool {
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			found = true
		}
		return !found
	})
	return found
}

// commutes explains why statement i (which stays in the write block) and
// statement j (after it, which moves before the transaction) cannot change
// places; "" when they can.
func commutes(at func(int) string, df *dataflow, i, j int) string {
	si, sj := df.stmts[i], df.stmts[j]
	if exits(si.Stmt) && exits(sj.Stmt) && (nilReturn(df.info, si.Stmt) != nil || nilReturn(df.info, sj.Stmt) != nil) {
		// The first return taken decides the result, and one of them may
		// succeed: found by the fuzzer (an early `return nil` moved ahead of
		// a read whose error it then hid). Two error exits may swap: either
		// way the transaction rolls back.
		return fmt.Sprintf("%s at %s and %s at %s may both return, one of them nil, and moving it first would change which return is taken", stmtName(sj), at(j), stmtName(si), at(i))
	}
	switch {
	case si.Effect.Writes():
		if si.Effect&^(rules.Read|rules.Write) != rules.Pure {
			return fmt.Sprintf("%s at %s (%s) cannot move into the write block after it", stmtName(si), at(i), si.Effect)
		}
		if si.Tables.AnyWrite && !sj.Tables.Empty() {
			return fmt.Sprintf("%s at %s may write any table (%s), and %s at %s would no longer see that write", stmtName(si), at(i), anyWhy(si), stmtName(sj), at(j))
		}
		if t := si.Tables.Conflict(sj.Tables); t != "" {
			return fmt.Sprintf("%s at %s would no longer see the write of %s by %s at %s before it (%s)", stmtName(sj), at(j), tableName(t), stmtName(si), at(i), sj.Tables)
		}
		if g, ok := df.guardedBy(i); ok {
			return fmt.Sprintf("the result of %s at %s decides at %s whether the transaction goes on", stmtName(si), at(i), at(g))
		}
	case si.Effect.Has(rules.Read):
		// A read that stays: reads commute with reads and slow calls.
	case branches(si.Stmt) && !df.errorGuard(i):
		return fmt.Sprintf("the check at %s would run after the slow call instead of before it", at(i))
	case !df.quiet(i):
		return fmt.Sprintf("the statement at %s would run after the slow call instead of before it", at(i))
	}
	return ""
}

// anyWhy says why a statement counts as writing any table.
func anyWhy(s analysis.StmtEffect) string {
	for _, ce := range s.Calls {
		if ce.Tables.AnyWrite && ce.Why != "" {
			return "its SQL names no table it is sure of: " + ce.Why
		}
	}
	return "its SQL names no table it is sure of"
}

func tableName(t string) string {
	if t == "*" {
		return "any table"
	}
	return t
}

// moveLine is the report's line for the move, one a reviewer can check.
func moveLine(stmts []analysis.StmtEffect, moved, sunk []int, replayed bool) string {
	var reads, slow, writes []string
	for _, i := range moved {
		for _, ce := range stmts[i].Calls {
			switch {
			case ce.Effect.Has(rules.Slow):
				slow = appendNew(slow, ShortName(ce.Callee))
			case ce.Effect.Has(rules.Read) && !ce.Pooled:
				reads = appendNew(reads, ShortName(ce.Callee))
			}
		}
	}
	for _, i := range sunk {
		writes = appendNew(writes, stmtName(stmts[i]))
	}
	var b strings.Builder
	if len(reads) > 0 {
		fmt.Fprintf(&b, "%s %s and ", plural("read", len(reads)), strings.Join(reads, ", "))
	}
	fmt.Fprintf(&b, "%s %s now run before the transaction", plural("slow call", len(slow)), strings.Join(slow, ", "))
	if len(reads) > 0 && !replayed {
		b.WriteString(" (unlocked read at READ COMMITTED: same guarantee)")
	}
	if len(writes) > 0 {
		verb := "moves"
		if len(writes) > 1 {
			verb = "move"
		}
		fmt.Fprintf(&b, "; %s %s into the write block", strings.Join(writes, ", "), verb)
	}
	return b.String()
}

func plural(word string, n int) string {
	if n > 1 {
		return word + "s"
	}
	return word
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// stmtName names a statement by the call that gives it its effect.
func stmtName(s analysis.StmtEffect) string {
	for _, ce := range s.Calls {
		if ce.Effect != rules.Pure && ce.Callee != "" {
			return ShortName(ce.Callee)
		}
	}
	return "the statement"
}

// dataflow answers, for the callback's top-level statements, which
// statement's values another uses (reaching definitions in source order).
type dataflow struct {
	info  *types.Info
	stmts []analysis.StmtEffect
	defs  []map[types.Object]bool // may change
	must  []map[types.Object]bool // certainly assigns
	uses  []map[types.Object]bool
	// outer are variables declared outside the callback: their last value
	// is seen after it.
	outer map[types.Object]bool
}

// newDataflow reads the statements of a callback body (body) inside a
// function (local).
func newDataflow(info *types.Info, local, body srcSpan, stmts []analysis.StmtEffect) *dataflow {
	df := &dataflow{info: info, stmts: stmts, outer: map[types.Object]bool{}}
	for _, s := range stmts {
		defs := map[types.Object]bool{}
		for _, obj := range Defs(info, s.Stmt, local) {
			defs[obj] = true
			if !body.declares(obj) {
				df.outer[obj] = true
			}
		}
		df.defs = append(df.defs, defs)
		df.must = append(df.must, mustDefs(info, s.Stmt))
		df.uses = append(df.uses, usesOf(info, s.Stmt))
	}
	return df
}

// mustDefs are the variables a statement assigns on every path: the
// left-hand identifiers of a top-level assignment or var declaration.
func mustDefs(info *types.Info, s ast.Stmt) map[types.Object]bool {
	out := map[types.Object]bool{}
	switch s := s.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.ASSIGN || s.Tok == token.DEFINE {
			for _, lhs := range s.Lhs {
				if id, ok := lhs.(*ast.Ident); ok {
					if obj := syntax.ObjectOf(info, id); obj != nil {
						out[obj] = true
					}
				}
			}
		}
	case *ast.DeclStmt:
		if g, ok := s.Decl.(*ast.GenDecl); ok {
			for _, spec := range g.Specs {
				if vs, ok := spec.(*ast.ValueSpec); ok {
					for _, id := range vs.Names {
						if obj := info.Defs[id]; obj != nil {
							out[obj] = true
						}
					}
				}
			}
		}
	}
	return out
}

// usesOf are the variables a statement reads (closures included); the
// plain targets of = and := are not reads.
func usesOf(info *types.Info, s ast.Stmt) map[types.Object]bool {
	targets := map[*ast.Ident]bool{}
	ast.Inspect(s, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok && (a.Tok == token.ASSIGN || a.Tok == token.DEFINE) {
			for _, lhs := range a.Lhs {
				if id, ok := lhs.(*ast.Ident); ok {
					targets[id] = true
				}
			}
		}
		return true
	})
	out := map[types.Object]bool{}
	ast.Inspect(s, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && !targets[id] {
			if v, ok := info.Uses[id].(*types.Var); ok && !v.IsField() {
				out[v] = true
			}
		}
		return true
	})
	return out
}

// reaching are the statements of order before position p whose value of v
// p may see: back to the last that certainly assigns it; -1 stands for the
// value v had before the callback's first statement.
func (df *dataflow) reaching(order []int, p int, v types.Object) []int {
	var out []int
	for q := p - 1; q >= 0; q-- {
		i := order[q]
		if df.defs[i][v] || df.must[i][v] {
			out = append(out, i)
			if df.must[i][v] {
				return out
			}
		}
	}
	return append(out, -1)
}

// needs lists the statements whose values statement j uses, in source order.
func (df *dataflow) needs(j int) []int {
	order := identity(len(df.stmts))
	var out []int
	for v := range df.uses[j] {
		for _, i := range df.reaching(order, j, v) {
			if i >= 0 && !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out
}

// dependsOn reports whether statement k uses a value of a statement from
// start on that is on side s.
func (df *dataflow) dependsOn(k int, sides []side, s side, start int) bool {
	for _, i := range df.needs(k) {
		if i >= start && sides[i] == s {
			return true
		}
	}
	return false
}

// onlyUses reports whether every value statement k uses comes from a
// statement from start on that is on side s, and k defers, sends and
// starts nothing.
func (df *dataflow) onlyUses(k int, sides []side, s side, start int) bool {
	switch df.stmts[k].Stmt.(type) {
	case *ast.DeferStmt, *ast.GoStmt, *ast.SendStmt:
		return false
	}
	order := identity(len(df.stmts))
	for v := range df.uses[k] {
		for _, i := range df.reaching(order, k, v) {
			if i < start || sides[i] != s {
				return false
			}
		}
	}
	return len(df.uses[k]) > 0
}

// sameValues reports whether every use sees the same values in order as
// in source order, and every variable of the enclosing function ends with
// the same value; if not, which variable and where.
func (df *dataflow) sameValues(order []int) (string, int, bool) {
	src := identity(len(df.stmts))
	posOf := make([]int, len(order))
	for p, i := range order {
		posOf[i] = p
	}
	same := func(a, b []int) bool {
		a, b = slices.Clone(a), slices.Clone(b)
		slices.Sort(a)
		slices.Sort(b)
		return slices.Equal(a, b)
	}
	for j := range df.stmts {
		for v := range df.uses[j] {
			if !same(df.reaching(src, j, v), df.reaching(order, posOf[j], v)) {
				return v.Name(), j, false
			}
		}
	}
	for v := range df.outer {
		if !same(df.reaching(src, len(src), v), df.reaching(order, len(order), v)) {
			return v.Name(), -1, false
		}
	}
	return "", 0, true
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// guardedBy finds a check, after the write i, of a value it produced other
// than its error: the write's result decides whether the block goes on.
func (df *dataflow) guardedBy(i int) (int, bool) {
	order := identity(len(df.stmts))
	for k := i + 1; k < len(df.stmts); k++ {
		if !branches(df.stmts[k].Stmt) {
			continue
		}
		for v := range df.uses[k] {
			if isError(v.Type()) {
				continue
			}
			if slices.Contains(df.reaching(order, k, v), i) {
				return k, true
			}
		}
	}
	return -1, false
}

// errorGuard matches a check that tests only errors: `if err != nil`.
func (df *dataflow) errorGuard(k int) bool {
	ifs, ok := df.stmts[k].Stmt.(*ast.IfStmt)
	if !ok || ifs.Else != nil {
		return false
	}
	only := true
	ast.Inspect(ifs.Cond, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if v, ok := df.info.Uses[id].(*types.Var); ok && !isError(v.Type()) {
				only = false
			}
		}
		return only
	})
	return only
}

// quietPkgs are packages whose functions have no effect a reordering could
// show (they compute values).
var quietPkgs = map[string]bool{"fmt": true, "errors": true, "strings": true, "strconv": true, "slices": true, "maps": true, "math": true, "unicode": true, "bytes": true}

// quiet reports whether statement k has no effect but its values: no call
// except conversions, value builtins and functions of quietPkgs (fmt's
// printing ones excepted), no send, go or defer.
func (df *dataflow) quiet(k int) bool {
	q := true
	ast.Inspect(df.stmts[k].Stmt, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SendStmt, *ast.GoStmt, *ast.DeferStmt:
			q = false
		case *ast.CallExpr:
			if tv, ok := df.info.Types[n.Fun]; ok && tv.IsType() {
				return true
			}
			switch fn := typeutil.Callee(df.info, n).(type) {
			case *types.Builtin:
				switch fn.Name() {
				case "panic", "print", "println", "close", "recover", "clear":
					q = false
				}
			case *types.Func:
				if fn.Pkg() == nil || !quietPkgs[fn.Pkg().Path()] || fn.Pkg().Path() == "fmt" && !strings.HasPrefix(fn.Name(), "Sprint") && fn.Name() != "Errorf" {
					q = false
				}
				if sig := fn.Type().(*types.Signature); sig.Recv() != nil {
					q = false
				}
			default:
				q = false
			}
		}
		return q
	})
	return q
}
