package rewrite

import (
	"go/types"

	"github.com/txscope/txscope/rules"
)

// summarize is the effect of calling fn with the tx in the given argument
// positions (-1 is the receiver), read from fn's body when it is in the
// loaded code. Summaries are memoized; a recursive cycle is unknown.
func (c *Classifier) summarize(fn *types.Func, txArgs []int) (rules.Effect, string) {
	fn = fn.Origin()
	sig := fn.Type().(*types.Signature)
	key := summaryKey{fn: fn, mask: argMask(sig, txArgs)}
	if s, ok := c.summaries[key]; ok {
		if !s.done {
			return rules.Unknown, "recursive call of " + rules.FuncName(fn)
		}
		return s.effect, s.why
	}
	src, ok := c.prog.Source(fn)
	if !ok {
		if key.mask == 0 {
			return rules.Pure, ""
		}
		return rules.Unknown, "the tx is passed to " + rules.FuncName(fn) + ", whose body is not in the loaded code"
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
	for _, se := range c.Body(src.Pkg.TypesInfo, src.Decl.Body, seeds) {
		s.effect |= se.Effect
		for _, ce := range se.Calls {
			if s.why == "" && ce.Effect != rules.Pure {
				s.why = "via " + rules.FuncName(fn) + ": " + ce.Why
			}
		}
	}
	s.done = true
	return s.effect, s.why
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
