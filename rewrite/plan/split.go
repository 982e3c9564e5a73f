package plan

import (
	"fmt"
	"go/ast"
	"go/types"

	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// Split is where --split ends a write block before slow calls: the
// statements Slow..Resume-1 run outside any transaction, after the block
// before them has committed, and a new block starts at Resume (none when
// Resume is the end of the callback).
type Split struct {
	Slow, Resume int
}

// planSplits cuts the write block at each slow call in it. Each cut must
// keep what the block guaranteed, except that the part before the slow
// call commits even if what follows fails (the report names the split): a
// refusal explains which guarantee a cut would break.
func planSplits(prog *load.Program, h *analysis.Wrapped, start int) ([]Split, string) {
	info := h.Site.Func.Pkg.TypesInfo
	tx := map[types.Object]bool{h.Site.Tx: true}
	var splits []Split
	block := start
	for i := start; i < len(h.Stmts); i++ {
		s := h.Stmts[i]
		if !s.Effect.Has(rules.Slow) {
			continue
		}
		at := prog.Position(s.Stmt.Pos())
		if s.Effect&^rules.Slow != rules.Pure || syntax.Mentions(info, s.Stmt, tx) {
			return nil, fmt.Sprintf("cannot split at %s: the slow call's statement also uses the transaction", at)
		}
		if why := splittable(prog, info, h.Stmts[block:i]); why != "" {
			return nil, fmt.Sprintf("cannot split at %s: %s", at, why)
		}
		resume := i + 1
		for resume < len(h.Stmts) && h.Stmts[resume].Effect&^rules.Slow == rules.Pure && !syntax.Mentions(info, h.Stmts[resume].Stmt, tx) {
			resume++
		}
		if resume < len(h.Stmts) && pullReads(info, h.Stmts, resume, SrcSpanOf(h.Site.Func.Decl.Body)) < resume {
			return nil, fmt.Sprintf("cannot split at %s: a read before it feeds a write after it", at)
		}
		splits = append(splits, Split{Slow: i, Resume: resume})
		block, i = resume, resume-1
	}
	return splits, ""
}

// splittable checks that a block can commit on its own: it writes, holds
// no lock or transaction-local setting that later statements rely on, has
// no defer (it would run earlier) and leaves only with a non-nil error (a
// `return nil` ended the whole callback; now it would only end the block).
func splittable(prog *load.Program, info *types.Info, block []analysis.StmtEffect) string {
	writes := false
	var stmts []ast.Stmt
	for _, s := range block {
		writes = writes || s.Effect.Writes()
		if s.Effect&(rules.Locking|rules.TxState) != 0 {
			return fmt.Sprintf("the block before it locks or sets transaction state at %s", prog.Position(s.Stmt.Pos()))
		}
		stmts = append(stmts, s.Stmt)
	}
	if !writes {
		return "the block before it does not write"
	}
	if hasDefer(stmts) {
		return "the block before it defers a call"
	}
	why := ""
	for _, s := range stmts {
		syntax.WalkReturns(s, func(r *ast.ReturnStmt) {
			if why == "" && (len(r.Results) != 1 || !knownNonNil(info, r.Results[0])) {
				why = fmt.Sprintf("the return at %s may end the callback without an error", prog.Position(r.Pos()))
			}
		})
	}
	return why
}

// splitMoves names each split for the report.
func splitMoves(prog *load.Program, h *analysis.Wrapped, splits []Split) []string {
	var out []string
	for _, sp := range splits {
		ce, _ := slowCall(h.Stmts[sp.Slow : sp.Slow+1])
		out = append(out, fmt.Sprintf("split at slow call %s at %s: the writes before it commit first (a failure after it no longer rolls them back)", ShortName(ce.Callee), prog.Position(ce.Node.Pos())))
	}
	return out
}
