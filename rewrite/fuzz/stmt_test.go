package fuzz

import (
	"fmt"
	"strings"
)

// scope tracks the int variables a block can use and which of its own are
// still unused (Go rejects those), and what the block allows: continue in
// loops, break in loops and switches, and whether err is declared in it.
type scope struct {
	parent    *scope
	vars      []*variable
	hasErr    bool
	loop      bool
	breakable bool
	callback  bool   // the callback's own body
	captured  string // a variable declared before the wrapper, set inside
	escapes   bool   // the handler may let the tx escape
}

type variable struct {
	name string
	used bool
}

func newScope(parent *scope, loop bool) *scope {
	s := &scope{parent: parent, loop: loop, breakable: loop}
	if parent != nil {
		s.loop = s.loop || parent.loop
		s.breakable = s.breakable || parent.breakable
		s.escapes = parent.escapes
	}
	return s
}

func (s *scope) declare(name string) *variable {
	v := &variable{name: name}
	s.vars = append(s.vars, v)
	return v
}

// pickVar chooses a visible variable and marks it used.
func (s *scope) pickVar(g *gen) (string, bool) {
	var all []*variable
	for sc := s; sc != nil; sc = sc.parent {
		all = append(all, sc.vars...)
	}
	if len(all) == 0 {
		return "", false
	}
	v := all[g.r.IntN(len(all))]
	v.used = true
	return v.name, true
}

// errVisible reports whether err is declared in a block of the callback.
func (s *scope) errVisible() bool {
	for sc := s; sc != nil && sc.parent != nil; sc = sc.parent {
		if sc.hasErr {
			return true
		}
		if sc.callback {
			break
		}
	}
	return false
}

func (s *scope) capturedVar() string {
	for sc := s; sc != nil; sc = sc.parent {
		if sc.captured != "" {
			return sc.captured
		}
	}
	return ""
}

// fillers uses the block's unused variables so the package compiles.
func (s *scope) fillers() string {
	var b strings.Builder
	for _, v := range s.vars {
		if !v.used {
			fmt.Fprintf(&b, "_ = %s\n", v.name)
			v.used = true
		}
	}
	return b.String()
}

// stmt draws one statement of a callback block at nesting depth.
func (g *gen) stmt(s *scope, depth int) string {
	if g.shapes > 0 && g.chance(g.shapes) {
		return g.shapeStmt(s)
	}
	for {
		switch k := g.r.IntN(100); {
		case k < 14:
			return g.read(s, pick(g, "Read", "Read", "Sum", "HelperTx"))
		case k < 20:
			return g.read(s, "Lock")
		case k < 37:
			return g.write(s)
		case k < 41:
			return g.slow(s)
		case k < 50:
			v := g.fresh("v")
			e := g.expr(s)
			s.declare(v)
			return v + " := " + e + "\n"
		case k < 55:
			return "out.Emit(" + fmt.Sprintf("%q", g.fresh("e")) + ", " + g.expr(s) + ")\n"
		case k < 60:
			if c := s.capturedVar(); c != "" {
				return c + pick(g, " = ", " += ") + g.expr(s) + "\n"
			}
		case k < 64:
			return "if " + g.cond(s) + " {\nreturn " + pick(g, "nil", "world.ErrX") + "\n}\n"
		case k < 68:
			if s.breakable {
				jump := "break"
				if s.loop && g.chance(0.5) {
					jump = "continue"
				}
				return "if " + g.cond(s) + " {\n" + jump + "\n}\n"
			}
		case k < 72:
			return "defer out.Emit(" + fmt.Sprintf("%q", g.fresh("d")) + ", " + g.expr(s) + ")\n"
		case k < 74:
			if s.escapes {
				return pick(g, "go world.Touch(tx)\n", "d.Last = tx\n")
			}
		case k < 84:
			if depth < 2 {
				return g.ifStmt(s, depth)
			}
		case k < 92:
			if depth < 2 {
				return g.forStmt(s, depth)
			}
		default:
			if depth < 2 {
				return g.switchStmt(s, depth)
			}
		}
	}
}

// checked is `if init; err != nil { … }` with errCheck's exit.
func (g *gen) checked(s *scope, init string) string {
	return "if " + init + "; err != nil {\n" + strings.TrimPrefix(g.errCheck(s), "if err != nil {\n")
}

// errCheck is `if err != nil { … }` with an early exit.
func (g *gen) errCheck(s *scope) string {
	exit := pick(g, "return err", "return err", "return err", "return nil", "return world.ErrX")
	if s.loop && g.chance(0.1) {
		exit = pick(g, "break", "continue")
	}
	return "if err != nil {\n" + exit + "\n}\n"
}

// read binds a read's value to a fresh variable.
func (g *gen) read(s *scope, fn string) string {
	v := g.fresh("v")
	args := "ctx, tx, " + g.key()
	switch fn {
	case "Sum":
		args = "ctx, tx"
	case "ReadOwn":
		args = "ctx, tx, tenant, " + g.key()
	}
	if g.chance(0.08) {
		s.declare(v)
		return v + ", _ := world." + fn + "(" + args + ")\n"
	}
	out := v + ", err := world." + fn + "(" + args + ")\n" + g.errCheck(s)
	s.declare(v)
	s.hasErr = true
	return out
}

// write draws one of the ways a write's error is handled.
func (g *gen) write(s *scope) string {
	kind := g.r.IntN(10)
	if kind == 5 || kind == 6 {
		v := g.fresh("v")
		out := v + ", err := world.Bump(ctx, tx, " + g.key() + ")\n" + g.errCheck(s)
		s.declare(v)
		s.hasErr = true
		return out
	}
	call := "world.Write(ctx, tx, " + g.key() + ", " + g.expr(s) + ")"
	switch kind {
	case 0, 1, 2:
		return g.checked(s, "err := "+call)
	case 3, 4:
		tok := " := "
		if s.hasErr || s.errVisible() && g.chance(0.5) {
			tok = " = "
		}
		s.hasErr = true
		return "err" + tok + call + "\n" + g.errCheck(s)
	case 7:
		return "_ = " + call + "\n"
	}
	return g.checked(s, "err := "+call)
}

func (g *gen) slow(s *scope) string {
	call := "world.Slow(ctx, " + g.expr(s) + ")"
	if g.chance(0.15) {
		return "_ = " + call + "\n"
	}
	return g.checked(s, "err := "+call)
}

// block renders a nested block's statements and its fillers.
func (g *gen) block(s *scope, depth int) string {
	var b strings.Builder
	for range 1 + g.r.IntN(3) {
		b.WriteString(g.stmt(s, depth))
	}
	b.WriteString(s.fillers())
	return b.String()
}

func (g *gen) ifStmt(s *scope, depth int) string {
	out := "if " + g.cond(s) + " {\n" + g.block(newScope(s, false), depth+1) + "}"
	if g.chance(0.4) {
		out += " else {\n" + g.block(newScope(s, false), depth+1) + "}"
	}
	return out + "\n"
}

func (g *gen) forStmt(s *scope, depth int) string {
	i := g.fresh("i")
	body := newScope(s, true)
	body.declare(i).used = true
	return fmt.Sprintf("for %s := 0; %s < %d; %s++ {\n", i, i, 1+g.r.IntN(3), i) + g.block(body, depth+1) + "}\n"
}

func (g *gen) switchStmt(s *scope, depth int) string {
	var b strings.Builder
	b.WriteString("switch {\n")
	for range 1 + g.r.IntN(2) {
		c := newScope(s, false)
		c.breakable = true
		b.WriteString("case " + g.cond(s) + ":\n" + g.block(c, depth+1))
	}
	if g.chance(0.6) {
		c := newScope(s, false)
		c.breakable = true
		b.WriteString("default:\n" + g.block(c, depth+1))
	}
	return b.String() + "}\n"
}
