package textdiff

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// contextLines is the unified diff context, as git and patch expect.
const contextLines = 3

// UnifiedDiff renders old → new as a unified diff with a/ and b/ paths
// (rel: relative to the program root), which `git apply` accepts.
func UnifiedDiff(rel string, old, new []byte, create bool) string {
	ops := lineOps(string(old), string(new))
	if len(ops) == 0 {
		return ""
	}
	var b strings.Builder
	if create {
		fmt.Fprintf(&b, "--- /dev/null\n+++ b/%s\n", rel)
	} else {
		fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", rel, rel)
	}
	for _, h := range hunks(ops) {
		h.write(&b)
	}
	return b.String()
}

// lineOp is one line of the diff: ' ', '-' or '+'.
type lineOp struct {
	kind byte
	text string // with its newline, if it had one
}

func lineOps(a, b string) []lineOp {
	var ops []lineOp
	changed := false
	for _, d := range lineDiff(a, b) {
		kind := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			kind, changed = '-', true
		case diffmatchpatch.DiffInsert:
			kind, changed = '+', true
		}
		for _, line := range strings.SplitAfter(d.Text, "\n") {
			if line != "" {
				ops = append(ops, lineOp{kind, line})
			}
		}
	}
	if !changed {
		return nil
	}
	return ops
}

// lineDiff is a minimal line diff of a and b (no timeout: the diff is the
// user's review, it must not degrade on a large file).
func lineDiff(a, b string) []diffmatchpatch.Diff {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	return dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
}

// matchLines pairs equal lines of a and b in order, as a line diff does:
// for each line of b, the index of its partner in a, or -1. No line may
// contain a newline.
func matchLines(a, b []string) []int {
	join := func(lines []string) string {
		if len(lines) == 0 {
			return ""
		}
		return strings.Join(lines, "\n") + "\n"
	}
	partner := make([]int, 0, len(b))
	i := 0
	for _, d := range lineDiff(join(a), join(b)) {
		n := strings.Count(d.Text, "\n")
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			for k := range n {
				partner = append(partner, i+k)
			}
			i += n
		case diffmatchpatch.DiffDelete:
			i += n
		case diffmatchpatch.DiffInsert:
			for range n {
				partner = append(partner, -1)
			}
		}
	}
	return partner
}

type hunk struct {
	oldStart, newStart int
	ops                []lineOp
}

// hunks groups changes with contextLines of context, merging changes
// separated by at most twice that.
func hunks(ops []lineOp) []hunk {
	oldAt := make([]int, len(ops))
	newAt := make([]int, len(ops))
	o, n := 1, 1
	for i, op := range ops {
		oldAt[i], newAt[i] = o, n
		if op.kind != '+' {
			o++
		}
		if op.kind != '-' {
			n++
		}
	}
	var out []hunk
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start, end := max(0, i-contextLines), i
		for j := i + 1; j < len(ops) && j-end-1 <= 2*contextLines; j++ {
			if ops[j].kind != ' ' {
				end = j
			}
		}
		stop := min(len(ops), end+contextLines+1)
		out = append(out, hunk{oldStart: oldAt[start], newStart: newAt[start], ops: ops[start:stop]})
		i = stop
	}
	return out
}

func (h hunk) write(b *strings.Builder) {
	oldN, newN := 0, 0
	for _, op := range h.ops {
		if op.kind != '+' {
			oldN++
		}
		if op.kind != '-' {
			newN++
		}
	}
	fmt.Fprintf(b, "@@ -%s +%s @@\n", span(h.oldStart, oldN), span(h.newStart, newN))
	for _, op := range h.ops {
		b.WriteByte(op.kind)
		b.WriteString(op.text)
		if !strings.HasSuffix(op.text, "\n") {
			b.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// span prints a hunk range; an empty range starts one line earlier.
func span(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
