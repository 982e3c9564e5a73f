package edit

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/dstutil"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/plan"
)

// replayComment heads the replays of a --recheck write block.
const replayComment = "// Read again in the transaction what was read before it: a change since is a conflict."

// replays are the write block's copies of the plan's replayed reads, one
// list per replay. They are made from the statements as written, before
// the moved ones are renamed onto the pooled handle; carriers (behind a
// middleware: the handle in its context) become tx in the copies.
func (fr *fileRewrite) replays(site *analysis.Site, p plan.Plan, carriers map[dst.Node]bool, tx string) ([][]dst.Stmt, error) {
	conflict := fr.conflictExpr(p.Conflict)
	out := make([][]dst.Stmt, len(p.Replays))
	for k, rp := range p.Replays {
		// Objects by declaration: with --tests the file's type information
		// may be another variant's.
		fresh := map[token.Pos]string{}
		for v, name := range rp.Fresh {
			fresh[v.Pos()] = name
		}
		var stmts []dst.Stmt
		read := site.Callback.Body.List[rp.Stmts[0]]
		for _, v := range append(slices.Clone(rp.Compare), rp.Refresh...) {
			if !fr.declares(read, v) {
				// Assigned through a pointer or a field: the copy starts
				// from the old value, as the original's variable did.
				s, err := parseStmt(rp.Fresh[v] + " := " + v.Name())
				if err != nil {
					return nil, err
				}
				stmts = append(stmts, s)
			}
		}
		for _, i := range rp.Stmts {
			stmts = append(stmts, fr.cloneRenamed(site.Callback.Body.List[i], fresh, carriers, tx))
		}
		if len(rp.Compare) > 0 {
			var changed []string
			for _, v := range rp.Compare {
				if rp.Deep[v] {
					fr.imports["reflect"] = true
					fr.names["reflect"] = "reflect"
					changed = append(changed, "!reflect.DeepEqual("+rp.Fresh[v]+", "+v.Name()+")")
					continue
				}
				changed = append(changed, rp.Fresh[v]+" != "+v.Name())
			}
			s, err := parseStmt("if " + strings.Join(changed, " || ") + " {\nreturn " + conflict + "\n}")
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, s)
		}
		for _, v := range rp.Refresh {
			s, err := parseStmt(v.Name() + " = " + rp.Fresh[v])
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, s)
		}
		for _, s := range stmts {
			s.Decorations().Before = dst.NewLine
		}
		if k == 0 {
			stmts[0].Decorations().Start.Replace(replayComment)
		}
		out[k] = stmts
	}
	return out, nil
}

// conflictExpr is the conflict error as the file refers to it.
func (fr *fileRewrite) conflictExpr(obj types.Object) string {
	if obj == nil {
		fr.imports[fr.prog.RuntimePath()] = true
		return fr.names[fr.prog.RuntimePath()] + ".ErrConflict"
	}
	if q := fr.qualifier(obj.Pkg()); q != "" {
		return q + "." + obj.Name()
	}
	return obj.Name()
}

// declares reports whether statement s declares v (v := …).
func (fr *fileRewrite) declares(s ast.Stmt, v types.Object) bool {
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && fr.info.Defs[id] != nil && fr.info.Defs[id].Pos() == v.Pos() {
			found = true
		}
		return !found
	})
	return found
}

// cloneRenamed is a copy of s's dst statement, with the variables declared
// at the positions in fresh renamed, the carriers replaced by tx and its
// comments left behind.
func (fr *fileRewrite) cloneRenamed(s ast.Stmt, fresh map[token.Pos]string, carriers map[dst.Node]bool, tx string) dst.Stmt {
	rename := map[dst.Node]string{}
	ast.Inspect(s, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			obj := fr.info.Uses[id]
			if obj == nil {
				obj = fr.info.Defs[id]
			}
			if _, isVar := obj.(*types.Var); isVar && fresh[obj.Pos()] != "" {
				rename[fr.dec.Dst.Nodes[id]] = fresh[obj.Pos()]
			}
		}
		return true
	})
	orig := fr.dec.Dst.Nodes[s].(dst.Stmt)
	clone := dst.Clone(orig).(dst.Stmt)
	// dst.Clone copies node for node: the two trees walk in step.
	var origNodes []dst.Node
	dst.Inspect(orig, func(n dst.Node) bool {
		if n != nil {
			origNodes = append(origNodes, n)
		}
		return true
	})
	k := 0
	cloned := map[dst.Node]bool{} // the copies of the carriers
	dst.Inspect(clone, func(n dst.Node) bool {
		if n == nil {
			return true
		}
		if id, ok := n.(*dst.Ident); ok {
			if name, ok := rename[origNodes[k]]; ok {
				id.Name = name
			}
		}
		if carriers[origNodes[k]] {
			cloned[n] = true
		}
		k++
		return true
	})
	clone = dstutil.Apply(clone, func(c *dstutil.Cursor) bool {
		if cloned[c.Node()] {
			c.Replace(dst.NewIdent(tx))
			return false
		}
		return true
	}, nil).(dst.Stmt)
	clone.Decorations().Start.Clear()
	clone.Decorations().End.Clear()
	return clone
}

// insertReplays puts the replays into the write block (the callback's
// statements from p.Start on, in p.Order), each before the statement it
// runs before.
func insertReplays(block []dst.Stmt, p plan.Plan, replays [][]dst.Stmt) []dst.Stmt {
	for k := len(replays) - 1; k >= 0; k-- {
		block = slices.Insert(block, p.Replays[k].At-p.Start, replays[k]...)
	}
	return block
}

// rebinds are the write block's copies of the statements that bind a tx
// alias (plan.Plan.Rebinds), as written, before the moved originals are
// renamed onto the pooled handle: in the block the alias holds the tx.
func (fr *fileRewrite) rebinds(site *analysis.Site, p plan.Plan) []dst.Stmt {
	var out []dst.Stmt
	for _, i := range p.Rebinds {
		s := fr.cloneRenamed(site.Callback.Body.List[i], nil, nil, "")
		s.Decorations().Before = dst.NewLine
		out = append(out, s)
	}
	return out
}
