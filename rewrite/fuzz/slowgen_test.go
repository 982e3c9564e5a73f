package fuzz

import (
	"fmt"
	"strings"
)

// slowShape renders a callback body in the incident's shape (issue 14):
// an optional session check, writes before the slow call, a read, the
// slow call on what was read, and the write of its result. The writes
// before commute with what moves (the notes table, which the kv read does
// not touch) or do not (a write or a DELETE of kv, which the read reads;
// a note bump whose result a guard tests; a note written before a read of
// notes), so that the planner's move (Plan.Order) and its refusals are both
// drawn. A few statements of the general generator may be mixed in.
func (g *gen) slowShape(s *scope) string {
	var b strings.Builder
	if g.chance(0.6) {
		b.WriteString("if err := world.Session(ctx, tx, tenant); err != nil {\nreturn err\n}\n")
	}
	for range g.r.IntN(3) {
		b.WriteString(g.earlyWrite(s))
	}
	if g.chance(0.1) {
		b.WriteString(g.stmt(s, 1))
	}
	// The read the slow call consumes.
	v := g.fresh("v")
	fn := pick(g, "Read", "Read", "Read", "ReadNote", "Sum", "Lock", "HelperTx")
	args := "ctx, tx, " + g.key()
	if fn == "Sum" {
		args = "ctx, tx"
	}
	exit := pick(g, "return err", "return err", "return err", "return err", "return err", "return nil", "return world.ErrX")
	fmt.Fprintf(&b, "%s, err := world.%s(%s)\nif err != nil {\n%s\n}\n", v, fn, args, exit)
	s.declare(v).used = true
	s.hasErr = true
	if g.chance(0.25) {
		w := g.fresh("v")
		fmt.Fprintf(&b, "%s := %s + %d\n", w, v, 1+g.r.IntN(3))
		s.declare(w).used = true
		v = w
	}
	// The slow call on it.
	if g.chance(0.5) {
		r := g.fresh("v")
		fmt.Fprintf(&b, "%s, err := world.Summarize(ctx, %s)\n%s", r, v, g.errCheck(s))
		s.declare(r)
	} else {
		b.WriteString(g.checked(s, "err := world.Slow(ctx, "+v+")"))
	}
	if g.chance(0.1) {
		b.WriteString(g.stmt(s, 1))
	}
	// The write of the result, maybe more.
	for range 1 + g.r.IntN(2) {
		if g.chance(0.3) {
			b.WriteString("out.Emit(" + fmt.Sprintf("%q", g.fresh("e")) + ", " + g.expr(s) + ")\n")
		}
		call := pick(g, "Write", "Write", "Note")
		fmt.Fprintf(&b, "if err := world.%s(ctx, tx, %s, %s); err != nil {\nreturn err\n}\n", call, g.key(), g.expr(s))
	}
	final := "return nil\n"
	if g.chance(0.3) {
		final = "return world." + pick(g, "Write", "Note") + "(ctx, tx, " + g.key() + ", " + g.expr(s) + ")\n"
	}
	b.WriteString(s.fillers())
	b.WriteString(final)
	return b.String()
}

// earlyWrite is a write before the read: one that commutes with a kv read
// (a note) or one that does not (kv written or deleted, a note bump whose
// result is tested).
func (g *gen) earlyWrite(s *scope) string {
	if g.shapes > 0 && g.chance(0.3) {
		return g.scanGuard(s)
	}
	switch g.r.IntN(6) {
	case 0, 1:
		return "if err := world.Note(ctx, tx, " + g.key() + ", " + g.expr(s) + "); err != nil {\nreturn err\n}\n"
	case 2:
		return "if err := world.Write(ctx, tx, " + g.key() + ", " + g.expr(s) + "); err != nil {\nreturn err\n}\n"
	case 3:
		return "if err := world.Delete(ctx, tx, " + g.key() + "); err != nil {\nreturn err\n}\n"
	}
	v := g.fresh("v")
	out := v + ", err := world.BumpNote(ctx, tx, " + g.key() + ")\nif err != nil {\nreturn err\n}\n"
	s.hasErr = true
	s.declare(v)
	if g.chance(0.5) {
		out += "if " + v + " > 2 {\nreturn world.ErrX\n}\n"
		s.vars[len(s.vars)-1].used = true
	}
	return out
}
