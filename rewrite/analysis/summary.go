package analysis

import (
	"fmt"
	"go/ast"
	"go/types"
	"sort"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rules"
)

// summarize is the effect of calling fn with the tx in the given argument
// positions (-1 is the receiver), read from fn's body when it is in the
// loaded code, else taken from the fact the analysis of fn's package
// computed the same way (a program of one package, under go vet).
// Summaries are memoized; a recursive cycle is unknown.
//
// consts holds the constant SQL passed to string parameters (by index): a
// helper like count(ctx, q, countSQL) is classified by the text it gets.
//
// The tables are every table the body's statements touch, so that tables
// carry across helper calls.
func (c *Classifier) summarize(fn *types.Func, txArgs []int, consts map[int]string) (rules.Effect, string, rules.Tables) {
	fn = fn.Origin()
	sig := fn.Type().(*types.Signature)
	key := summaryKey{fn: fn, mask: argMask(sig, txArgs), consts: constKey(consts)}
	if s, ok := c.summaries[key]; ok {
		if !s.done {
			return rules.Unknown, "recursive call of " + rules.FuncName(fn), rules.AnyTable
		}
		return s.effect, s.why, s.tables
	}
	src, ok := c.prog.Source(fn)
	if !ok {
		// A fact is computed without the caller's constant SQL: the
		// helper's SQL parameters are not constants there.
		if f := c.imported.of(fn); f != nil {
			if s, ok := f.summary(key.mask); ok {
				return s.Effect, s.Why, s.Tables
			}
		}
		if key.mask == 0 {
			return rules.Pure, "", rules.Tables{}
		}
		return rules.Unknown, "the tx is passed to " + rules.FuncName(fn) + ", whose body is not in the loaded code", rules.AnyTable
	}
	s := &summary{}
	c.summaries[key] = s
	var seeds []types.Object
	if key.mask&1 != 0 {
		seeds = append(seeds, sig.Recv())
	}
	for i := 0; i < sig.Params().Len(); i++ {
		if key.mask&(1<<(i+1)) != 0 {
			seeds = append(seeds, sig.Params().At(i))
		}
	}
	saved := c.paramSQL
	c.paramSQL = map[types.Object]string{}
	for i, text := range consts {
		if i < sig.Params().Len() {
			c.paramSQL[sig.Params().At(i)] = text
		}
	}
	stmts := c.Body(src.Pkg.TypesInfo, src.Decl.Body, seeds)
	c.paramSQL = saved
	for _, se := range stmts {
		s.effect |= se.Effect
		s.tables = s.tables.Union(se.Tables)
		for _, ce := range se.Calls {
			if s.why == "" && ce.Effect != rules.Pure {
				s.why = "via " + rules.FuncName(fn) + ": " + ce.Why
			}
		}
	}
	s.done = true
	return s.effect, s.why, s.tables
}

// argMask encodes which parameters carry the tx, folding variadic extras
// onto the last parameter.
func argMask(sig *types.Signature, txArgs []int) uint64 {
	var mask uint64
	last := sig.Params().Len() - 1
	for _, i := range txArgs {
		if sig.Variadic() && i > last {
			i = last
		}
		if i < 63 {
			mask |= 1 << (i + 1)
		}
	}
	return mask
}

func constKey(consts map[int]string) string {
	keys := make([]int, 0, len(consts))
	for i := range consts {
		keys = append(keys, i)
	}
	sort.Ints(keys)
	var b strings.Builder
	for _, i := range keys {
		fmt.Fprintf(&b, "%d=%q;", i, consts[i])
	}
	return b.String()
}

// constArgs are the call's arguments that are constant SQL-like strings
// (held in a local variable too), or the SQL a parameter passed on carries.
func (c *Classifier) constArgs(info *types.Info, call *ast.CallExpr) map[int]string {
	var out map[int]string
	for i, a := range call.Args {
		if !isStringType(info.TypeOf(a)) {
			continue
		}
		text, ok := "", false
		if s, isConst := ReadSQL(info, c.prog, a); isConst && !s.Formatted {
			text, ok = s.Text, true
		} else if id := syntax.IdentOf(a); id != nil {
			text, ok = c.paramSQL[info.Uses[id]]
		}
		if ok {
			if out == nil {
				out = map[int]string{}
			}
			out[i] = text
		}
	}
	return out
}
