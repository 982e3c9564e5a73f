package plan

import (
	"fmt"
	"strings"

	"github.com/txscope/txscope/rules"
)

// honourContract keeps a handler whose wrapper's contract the rewrite
// cannot keep for what leaves the callback (start statements, in Order),
// and takes the mapping of errors it repeats on their returns. A wrapper
// that commits on some errors keeps that for the write block, which still
// runs inside it; but a slow-call move that runs statements before writes
// they followed would, on such an error, skip writes the original made
// and committed.
func (p *Plan) honourContract(start int) string {
	site := p.Wrapped.Site
	w := site.Wrapper
	if w.MapsError != "" {
		return "the wrapper " + w.MapsError + ": an error returned by what moves out of the callback would reach the caller as it is"
	}
	if m := w.MapsWith; m != nil {
		fn := ShortName(m.Pkg().Path() + "." + m.Name())
		switch {
		case len(p.Splits) > 0:
			return "the wrapper returns its callback's error through " + fn + ", which --split would not apply between the blocks"
		case !m.Exported() && m.Pkg() != site.Func.Pkg.Types:
			return "the wrapper returns its callback's error through " + fn + ", which the handler's package cannot call: an error returned by what moves out of the callback would reach the caller as it is"
		}
		p.MapError = m
	}
	if len(w.Commits) > 0 && reorders(p.Order[:min(start, len(p.Order))]) {
		ce := w.Commits[0]
		return fmt.Sprintf("the wrapper commits when the callback returns %s (%s): with the slow call moved out, a write that ran before it would be skipped, not committed, when what now runs first returns that error", ShortName(ce.Name), ce.Why)
	}
	return ""
}

// reorders reports whether order moves a statement before one that came
// before it.
func reorders(order []int) bool {
	for i, j := range order {
		if i != j {
			return true
		}
	}
	return false
}

// contractMoves are the report's lines on what the rewrite keeps of the
// wrapper's contract.
func (p *Plan) contractMoves() []string {
	w := p.Wrapped.Site.Wrapper
	var out []string
	if m := p.MapError; m != nil {
		out = append(out, "errors returned outside the transaction go through "+ShortName(m.Pkg().Path()+"."+m.Name())+", as the wrapper's do")
	}
	if len(w.Commits) > 0 && p.Action == ActionNarrowed {
		names := make([]string, len(w.Commits))
		for i, ce := range w.Commits {
			names[i] = ShortName(ce.Name) + " (" + ce.Why + ")"
		}
		out = append(out, "the write block runs inside "+ShortName(rules.FuncName(w.Func))+", which commits when it returns "+strings.Join(names, " or "))
	}
	return out
}
