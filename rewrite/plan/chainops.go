package plan

import (
	"go/ast"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
)

// OpKind says what a ChainOp does to its declaration.
type OpKind int

const (
	// OpRetarget points Call at the function named To (a variant or the
	// transactional copy).
	OpRetarget OpKind = iota
	// OpHandler moves a handler: Call is retargeted to To when To is set,
	// and the statements of Plan from Plan.Start on are wrapped in the
	// handler's own wrapper call (Plan.WrapperCall).
	OpHandler
	// OpPoolMiddleware makes the middleware hand its handlers the pooled
	// handle: through the layer (called as To when set), or by pooling its
	// own wrapper call.
	OpPoolMiddleware
	// OpPoolLayer gives the layer's callback the pooled handle and pools
	// its wrapper call.
	OpPoolLayer
	// OpCopy adds a copy of the declaration named Variant, unchanged.
	OpCopy
	// OpRemove deletes the declaration: nothing uses it any more.
	OpRemove
)

// ChainOp is one edit of a middleware migration, on a declaration in place
// or, when Variant is set, on a copy of it named Variant inserted after it.
type ChainOp struct {
	Kind OpKind
	Func load.FuncSource
	// Path is Func's file name as loaded.
	Path    string
	Variant string
	// Doc are comment lines appended to a variant's doc.
	Doc  []string
	Call *ast.CallExpr
	To   string
	Plan *Plan
	// Chain is the plan the op belongs to.
	Chain *ChainPlan
}

// chainOps lists the edits of a chain plan: each moving handler, the
// middleware and its layer.
func chainOps(prog *load.Program, cp *ChainPlan) []ChainOp {
	m := cp.Middleware
	var out []ChainOp
	add := func(op ChainOp) {
		op.Path = syntax.RealPosition(prog.Fset, op.Func.File.Pos()).Filename
		op.Chain = cp
		out = append(out, op)
	}
	for i := range cp.Plans {
		p := &cp.Plans[i]
		src := p.Wrapped.Site.Func
		switch {
		case prog.Generated[src.File]:
			// Pooled handlers there need no edit; see PlanChain.
		case p.Action == ActionKept && cp.TxCopy != "":
			add(ChainOp{Kind: OpRetarget, Func: src, Call: p.Wrapped.Site.Call, To: cp.TxCopy})
		case p.Action != ActionKept:
			add(ChainOp{Kind: OpHandler, Func: src, Call: p.Wrapped.Site.Call, To: cp.Variant, Plan: p})
		}
	}
	if cp.TxCopy != "" {
		for _, o := range m.Opaque {
			add(ChainOp{Kind: OpRetarget, Func: o.Func, Call: o.Call, To: cp.TxCopy})
		}
		add(ChainOp{Kind: OpCopy, Func: m.Src, Variant: cp.TxCopy,
			Doc: []string{"// " + cp.TxCopy + " is " + m.Func.Name() + " as it was, one transaction around the whole handler,", "// for the handlers that cannot move to the pooled handle yet."}})
	}
	if cp.Reuse {
		if cp.Remove {
			add(ChainOp{Kind: OpRemove, Func: m.Src})
			if l := m.Via; l != nil && !LayerUsedElsewhere(prog, l, m) {
				add(ChainOp{Kind: OpRemove, Func: l.Site.Func})
			}
		}
		return out
	}
	add(ChainOp{Kind: OpPoolMiddleware, Func: m.Src, Variant: cp.Variant, To: cp.LayerVariant,
		Doc: []string{"// " + cp.Variant + " is " + m.Func.Name() + " on a tenant-scoped pooled handle instead of a transaction,", "// for the handlers that open WithTenant around their own writes."}})
	if l := m.Via; l != nil {
		add(ChainOp{Kind: OpPoolLayer, Func: l.Site.Func, Variant: cp.LayerVariant,
			Doc: []string{"// " + cp.LayerVariant + " is " + l.Func.Name() + " handing its callback a tenant-scoped pooled handle instead of a transaction."}})
	}
	return out
}

// Touches reports whether the chain's migration edits the file at path.
func (cp *ChainPlan) Touches(path string) bool {
	for _, op := range cp.Ops {
		if op.Path == path {
			return true
		}
	}
	return false
}
