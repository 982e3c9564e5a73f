package edit

import (
	"fmt"
	"go/format"
	"go/types"
	"strings"

	"github.com/dave/dst"
	"github.com/txscope/txscope/rewrite/plan"
)

// fileWidening is what a file gets of the widenings: the helpers declared
// in it, and the interfaces txscope declares in it.
type fileWidening struct {
	helpers  []*plan.Widened
	queriers []*plan.Querier
}

// widen changes the type of the helper's tx parameter to its interface.
func (fr *fileRewrite) widen(h *plan.Widened) {
	fd := fr.dec.Dst.Nodes[h.Src.Decl].(*dst.FuncDecl)
	n := 0
	for _, f := range fd.Type.Params.List {
		n += max(len(f.Names), 1)
		if h.Param < n {
			f.Type = fr.querierExpr(h.To)
			return
		}
	}
}

// querierExpr is the interface as the file refers to it.
func (fr *fileRewrite) querierExpr(q *plan.Querier) dst.Expr {
	if qual := fr.qualifier(q.Pkg); qual != "" {
		return &dst.SelectorExpr{X: dst.NewIdent(qual), Sel: dst.NewIdent(q.Name)}
	}
	return dst.NewIdent(q.Name)
}

// querierDecl is the declaration of an interface txscope declares: the
// methods the helpers use, with the signatures of the driver's tx.
func (fr *fileRewrite) querierDecl(q *plan.Querier) ([]byte, error) {
	var b strings.Builder
	tx := types.TypeString(q.Tx, func(p *types.Package) string { return p.Name() })
	fmt.Fprintf(&b, "// %s is the part of %s this package's helpers use; the\n// tenant-scoped pooled handle has it too, so they take either.\n", q.Name, tx)
	fmt.Fprintf(&b, "type %s interface {\n", q.Name)
	for _, name := range q.Methods {
		obj, _, _ := types.LookupFieldOrMethod(q.Tx, true, nil, name)
		m, ok := obj.(*types.Func)
		if !ok {
			return nil, fmt.Errorf("%s has no method %s", tx, name)
		}
		fmt.Fprintf(&b, "\t%s%s\n", name, strings.TrimPrefix(types.TypeString(m.Signature(), fr.qualifier), "func"))
	}
	b.WriteString("}\n")
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("the declaration of %s: %w", q.Name, err)
	}
	return []byte(strings.TrimSuffix(string(out), "\n")), nil
}
