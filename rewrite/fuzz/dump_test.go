package fuzz

import (
	"fmt"
	"strings"
	"testing"

	"github.com/txscope/txscope/rewrite"
)

func TestDump(t *testing.T) {
	m, _ := newModule("/tmp/fzmod")
	var progs []program
	for i := range seedCount {
		p, _ := generate(uint64(1060+i), fmt.Sprintf("h%02d", i))
		progs = append(progs, p)
	}
	m.setPrograms(progs)
	res, err := m.txscope(rewrite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Plans {
		if strings.Contains(p.Reason, "not used: err") {
			fmt.Println(p.Reason)
			fmt.Println(res.Analysis.Prog.Fset.Position(p.Handler.Site.Func.Decl.Pos()))
		}
	}
}
