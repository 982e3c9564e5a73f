package plan

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// Replay is a read that moved before the transaction with the slow call
// and that --recheck runs again in the write block, as written (a FOR
// UPDATE read takes its lock again), into fresh variables: the write block
// then sees the database as the original transaction did, and fails with
// the conflict error when a value the code before it consumed has changed.
type Replay struct {
	// Stmts are the read and the checks of its error that follow it, as
	// indices into the callback's body.
	Stmts []int
	// Fresh names, in the copy, the variables the read assigns that later
	// statements use.
	Fresh map[types.Object]string
	// Compare are the variables the statements before the transaction
	// consumed: a new value differing from the old one is a conflict.
	// Deep are those == cannot compare (slices, maps, pointers):
	// reflect.DeepEqual compares what they hold.
	Compare []types.Object
	Deep    map[types.Object]bool
	// Refresh are the variables only the write block uses: they take the
	// new value.
	Refresh []types.Object
	// At is the position in Plan.Order of the write block's statement the
	// replay runs before: the first that followed the read in the source.
	At int
}

// planReplays lists the replays of a slow-call move whose move alone would
// weaken a guarantee: every statement before the transaction that touches
// the database runs again in the write block. why is set when one cannot.
func planReplays(h *analysis.Wrapped, df *dataflow, sides []side, start int, at func(int) string) ([]Replay, string) {
	info, stmts := df.info, df.stmts
	if res := h.Site.Callback.Type.Results; res == nil || len(res.List) != 1 || len(res.List[0].Names) > 1 || !isError(info.TypeOf(res.List[0].Type)) {
		return nil, "--recheck needs a callback that returns only an error"
	}
	order := identity(len(stmts))
	var replays []Replay
	replayed := map[int]bool{}
	for r := start; r < len(stmts); r++ {
		s := stmts[r]
		if sides[r] != out || s.Effect&^rules.Slow == rules.Pure || replayed[r] {
			continue
		}
		if s.Effect.Has(rules.Slow) {
			return nil, fmt.Sprintf("the read at %s is the slow call's statement, which a replay would call again", at(r))
		}
		if s.SessionCheck() {
			continue // hoisted as ever: a session check needs no transaction
		}
		rp := Replay{Stmts: []int{r}, Fresh: map[types.Object]string{}, Deep: map[types.Object]bool{}}
		// The checks of the read's error replay with it.
		for k := r + 1; k < len(stmts) && sides[k] == out && stmts[k].Effect == rules.Pure && df.errorGuard(k) && slices.Contains(df.needs(k), r); k++ {
			rp.Stmts = append(rp.Stmts, k)
			replayed[k] = true
		}
		vars := slices.SortedFunc(func(yield func(types.Object) bool) {
			for v := range df.defs[r] {
				if !yield(v) {
					return
				}
			}
		}, func(a, b types.Object) int { return int(a.Pos() - b.Pos()) })
		for _, v := range vars {
			consumed, used := false, false
			for k := r + 1; k < len(stmts); k++ {
				if !df.uses[k][v] || !slices.Contains(df.reaching(order, k, v), r) || slices.Contains(rp.Stmts, k) {
					continue
				}
				used = true
				consumed = consumed || sides[k] == out
			}
			switch {
			case isError(v.Type()):
				if used {
					return nil, fmt.Sprintf("the error of the read at %s is used after it", at(r))
				}
				continue
			case !used:
				continue
			case consumed && !deepComparable(v.Type(), map[types.Type]bool{}):
				return nil, fmt.Sprintf("%s, read at %s, holds functions or channels, whose old and new values cannot be compared", v.Name(), at(r))
			case consumed:
				rp.Compare = append(rp.Compare, v)
				rp.Deep[v] = !comparable(v.Type())
			default:
				rp.Refresh = append(rp.Refresh, v)
			}
			taken := []string{}
			for _, name := range rp.Fresh {
				taken = append(taken, name)
			}
			for _, o := range replays {
				for _, name := range o.Fresh {
					taken = append(taken, name)
				}
			}
			rp.Fresh[v] = FreshName(info, h.Site, v.Name()+"Now", taken...)
		}
		if !checksError(df, rp.Stmts) {
			return nil, fmt.Sprintf("the error of the read at %s is not checked right after it", at(r))
		}
		replays = append(replays, rp)
	}
	return replays, ""
}

// checksError reports whether a replay checks the error its read
// returns: in the read's own if, or in the checks after it.
func checksError(df *dataflow, replay []int) bool {
	if ifs, ok := df.stmts[replay[0]].Stmt.(*ast.IfStmt); ok && ifs.Init != nil {
		return true
	}
	for v := range df.defs[replay[0]] {
		if isError(v.Type()) {
			return len(replay) > 1
		}
	}
	return true
}

// deepComparable reports whether reflect.DeepEqual tells two values of t
// apart by what they hold: not when they hold functions (equal only when
// nil) or channels (compared by identity).
func deepComparable(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	switch u := t.Underlying().(type) {
	case *types.Signature, *types.Chan:
		return false
	case *types.Basic:
		return u.Kind() != types.UnsafePointer
	case *types.Pointer:
		return deepComparable(u.Elem(), seen)
	case *types.Slice:
		return deepComparable(u.Elem(), seen)
	case *types.Array:
		return deepComparable(u.Elem(), seen)
	case *types.Map:
		return deepComparable(u.Key(), seen) && deepComparable(u.Elem(), seen)
	case *types.Struct:
		for f := range u.Fields() {
			if !deepComparable(f.Type(), seen) {
				return false
			}
		}
	}
	return true // interfaces: by the value they hold
}

// lockOnly reports whether an effect takes a lock (and may read) but
// writes nothing: a FOR UPDATE read, an advisory transaction lock.
func lockOnly(e rules.Effect) bool {
	return e.Has(rules.Locking) && e&^(rules.Read|rules.Locking) == rules.Pure
}

// comparable reports whether == on two values of t compares what was read:
// no pointers, interfaces, maps, slices, channels or functions inside,
// whose == compares identity or panics.
func comparable(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Kind() != types.UnsafePointer
	case *types.Array:
		return comparable(u.Elem())
	case *types.Struct:
		for f := range u.Fields() {
			if !comparable(f.Type()) {
				return false
			}
		}
		return true
	}
	return false
}

// conflictName is the conflict error as the report names it.
func conflictName(prog *load.Program) string {
	if c := prog.Config.Conflict; c != "" {
		return ShortName(c)
	}
	return "tenantpool.ErrConflict"
}

// replayLine is the report's account of the replays.
func replayLine(stmts []analysis.StmtEffect, replays []Replay, weakens, conflict string) string {
	var reads, vars []string
	for _, rp := range replays {
		reads = appendNew(reads, stmtName(stmts[rp.Stmts[0]]))
		for _, v := range rp.Compare {
			vars = appendNew(vars, v.Name())
		}
	}
	changed := "what it read changed"
	if len(vars) > 0 {
		changed = strings.Join(vars, ", ") + " changed"
	}
	return fmt.Sprintf("the write block first re-reads %s and returns %s if %s (--recheck: %s)", strings.Join(reads, ", "), conflict, changed, weakens)
}
