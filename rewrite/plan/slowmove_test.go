package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rules"
)

// TestCommutes asks whether the first statement of each body, staying in
// the write block, and the last, moving before the transaction, may change
// places: neither writes a table the other touches, neither is a slow call
// whose input comes from the other, and every use sees the same values.
func TestCommutes(t *testing.T) {
	write := func(tables ...string) analysis.StmtEffect {
		return analysis.StmtEffect{Effect: rules.Write, Tables: rules.Tables{Read: tables, Write: tables}}
	}
	read := func(tables ...string) analysis.StmtEffect {
		return analysis.StmtEffect{Effect: rules.Read, Tables: rules.Tables{Read: tables}}
	}
	slow := analysis.StmtEffect{Effect: rules.Slow}
	tests := []struct {
		name    string
		give    string
		effects []analysis.StmtEffect // of the first and the last statement
		want    bool
	}{
		{"disjoint tables", "_ = get(nil)\n_, _ = read()", []analysis.StmtEffect{write("audit_log"), read("customers")}, true},
		{"read of the written table", "_ = get(nil)\n_, _ = read()", []analysis.StmtEffect{write("customers"), read("customers")}, false},
		{"read of any table", "_ = get(nil)\n_, _ = read()", []analysis.StmtEffect{write("audit_log"), {Effect: rules.Read, Tables: rules.Tables{AnyRead: true}}}, false},
		{"write of any table", "_ = get(nil)\n_, _ = read()", []analysis.StmtEffect{{Effect: rules.Write, Tables: rules.AnyTable}, read("customers")}, false},
		{"slow call independent of the write", "_ = get(nil)\n_ = fill(nil)", []analysis.StmtEffect{write("audit_log"), slow}, true},
		{"slow call on the write's result", "v, _ := read()\n_ = fill(&invoice{Total: v})", []analysis.StmtEffect{write("orders"), slow}, false},
		{"slow call overwriting what the write uses", "v := 1\n_ = get(v)\nv, _ = read()", []analysis.StmtEffect{write("orders"), slow}, false},
		{"locking write", "_ = get(nil)\n_ = fill(nil)", []analysis.StmtEffect{{Effect: rules.Write | rules.Locking, Tables: rules.AnyTable}, slow}, false},
		{"unknown effect", "_ = get(nil)\n_ = fill(nil)", []analysis.StmtEffect{{Effect: rules.Unknown, Tables: rules.AnyTable}, slow}, false},
		{"a read that stays", "_, _ = read()\n_ = fill(nil)", []analysis.StmtEffect{read("customers"), slow}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, fn, body := dataflowBody(t, tt.give)
			list := body.List[:len(body.List)-1] // the final return stays
			stmts := make([]analysis.StmtEffect, len(list))
			for k, s := range list {
				stmts[k].Stmt = s
			}
			first, last := 0, len(list)-1
			if len(list) == 3 {
				first = 1 // after the setup statement
			}
			fx, lx := tt.effects[0], tt.effects[1]
			fx.Stmt, lx.Stmt = stmts[first].Stmt, stmts[last].Stmt
			stmts[first], stmts[last] = fx, lx
			df := newDataflow(info, SrcSpanOf(fn.Body), SrcSpanOf(body), stmts)
			why := commutes(func(int) string { return "here" }, df, first, last)
			order := identity(len(stmts))
			order[first], order[last] = order[last], order[first]
			_, _, same := df.sameValues(order)
			assert.Equal(t, tt.want, why == "" && same, "why: %q, same values: %v", why, same)
		})
	}
}
