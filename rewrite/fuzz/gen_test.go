package fuzz

import (
	"fmt"
	"go/format"
	"math/rand/v2"
	"strings"
)

// program is one generated handler package: its source, the registry that
// lets the runner call its handlers, and the handlers' names.
type program struct {
	pkg      string
	src      []byte
	registry []byte
	handlers []string
}

// generate makes a package of well-typed handlers from seed: each wraps a
// callback in world's WithTenant and sends the result to one of the sinks
// txscope knows (or another use of it). Seeds that hasShapes picks also
// draw issue 13's shapes.
func generate(seed uint64, pkg string) (program, error) {
	shapes := 0.0
	if hasShapes(seed) {
		shapes = shapeRate
	}
	return generateWith(seed, pkg, slowShapeRate, shapes)
}

// slowShapeRate is the share of callbacks generate draws in the slow-call
// shape (slowShape).
const slowShapeRate = 0.3

// generateWith is generate with the share of slow-shape callbacks and of
// issue 13's shapes given. Whether a callback has the slow shape is drawn
// from a stream of its own, so that a seed none of whose callbacks draws it
// generates the program it generated before the shape existed; issue 13's
// shapes are drawn only when their share is not zero, so that without them
// a seed generates what it did before they existed.
func generateWith(seed uint64, pkg string, slowRate, shapes float64) (program, error) {
	g := &gen{
		r:        rand.New(rand.NewPCG(seed, seed>>32^0x9e3779b97f4a7c15)),
		shape:    rand.New(rand.NewPCG(seed^0x5bd1e995, seed>>16^0x27d4eb2f165667c5)),
		slowRate: slowRate,
		shapes:   shapes,
	}
	p := program{pkg: pkg}
	var src, reg strings.Builder
	fmt.Fprintf(&src, "// Package %s holds generated handlers (seed %d).\npackage %s\n\n", pkg, seed, pkg)
	src.WriteString("import (\n\t\"context\"\n\n\t\"example.com/fz/world\"\n\t\"github.com/jackc/pgx/v5\"\n)\n")
	fmt.Fprintf(&reg, "package %s\n\nimport \"example.com/fz/world\"\n\n// Handlers lists the generated handlers.\nvar Handlers = []world.Handler{\n", pkg)
	for i := range 1 + g.r.IntN(3) {
		name := fmt.Sprintf("H%d", i)
		void := g.chance(0.35)
		src.WriteString("\n" + g.handler(name, void))
		field := "Err"
		if void {
			field = "Void"
		}
		scoped := ""
		if g.scoped {
			scoped = ", Scoped: true"
		}
		fmt.Fprintf(&reg, "\t{Name: %q, %s: %s%s},\n", pkg+"."+name, field, name, scoped)
		p.handlers = append(p.handlers, name)
	}
	reg.WriteString("}\n")
	var err error
	if p.src, err = format.Source([]byte(src.String())); err != nil {
		return p, fmt.Errorf("generated source does not format: %w\n%s", err, src.String())
	}
	if p.registry, err = format.Source([]byte(reg.String())); err != nil {
		return p, fmt.Errorf("generated registry does not format: %w", err)
	}
	return p, nil
}

// gen draws statements; n numbers fresh variables so that no name shadows
// another one of the generator's.
type gen struct {
	r        *rand.Rand
	n        int
	shape    *rand.Rand // draws which callbacks have the slow shape
	slowRate float64
	shapes   float64 // the share of statements drawn from issue 13's shapes
	scoped   bool    // the handler hands its callback a world.Scoped context
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) fresh(prefix string) string {
	g.n++
	return fmt.Sprintf("%s%d", prefix, g.n)
}

// pick returns one of its arguments.
func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// handler renders one handler function: an optional variable read inside
// the callback, an optional one written inside and read after, and a sink.
func (g *gen) handler(name string, void bool) string {
	g.n = 0
	g.scoped = false
	var b strings.Builder
	results := " error"
	if void {
		results = ""
	}
	fmt.Fprintf(&b, "func %s(ctx context.Context, d *world.DB, tenant string, out *world.Out)%s {\n", name, results)
	outer := newScope(nil, false)
	outer.escapes = g.chance(0.1)
	if g.chance(0.4) {
		b.WriteString("base := " + fmt.Sprint(g.r.IntN(6)) + "\nout.Emit(\"base\", base)\n")
		outer.declare("base").used = true
	}
	total := !void && g.chance(0.4) || void && g.chance(0.5)
	if total {
		b.WriteString("var total int\n")
		outer.captured = "total"
	}
	b.WriteString(g.sink(outer, void, total))
	b.WriteString("}\n")
	return b.String()
}

// sink places the wrapper call in one of the shapes handlers use.
func (g *gen) sink(outer *scope, void, total bool) string {
	pre, call := g.wrapperCall(outer)
	return pre + g.sinkOf(call, void, total)
}

// wrapperCall is the wrapper call and what declares its arguments before
// it: WithTenant's, or with issue 13's shapes sometimes WithTenantCtx's.
func (g *gen) wrapperCall(outer *scope) (pre, call string) {
	if g.shapes > 0 && g.chance(0.6) {
		return g.ctxCall(outer)
	}
	return "", "d.WithTenant(ctx, tenant, func(tx pgx.Tx) error {\n" + g.callback(outer) + "})"
}

// sinkOf sends the wrapper call's result to a sink.
func (g *gen) sinkOf(call string, void, total bool) string {
	after := ""
	if total {
		after = "out.Emit(\"total\", total)\n"
	}
	fail := pick(g, "out.Fail(err)\n", "")
	var end, exit string
	if void {
		end, exit = "", "return\n"
		fail = "out.Fail(err)\n"
	} else {
		end = "return nil\n"
		exit = pick(g, "return err\n", "return world.ErrX\n")
	}
	if g.chance(0.25) {
		exit = "" // the sink's body falls through
		if !void {
			end = pick(g, "return nil\n", "return world.ErrX\n")
		}
	}
	if fail == "" && exit == "" {
		fail = "out.Fail(err)\n"
	}
	switch g.r.IntN(6) {
	case 0:
		if !void && !total {
			return "return " + call + "\n"
		}
		fallthrough
	case 1, 2:
		return "err := " + call + "\nif err != nil {\n" + fail + exit + "}\n" + after + end
	case 3:
		return "if err := " + call + "; err != nil {\n" + fail + exit + "}\n" + after + end
	case 4:
		return "var err error\nerr = " + call + "\nif err != nil {\n" + fail + exit + "}\n" + after + end
	}
	return "out.Result(" + call + ")\n" + after + end
}

// callback renders the body of the wrapper's callback: maybe a session
// check first, then statements, then a final return.
func (g *gen) callback(outer *scope) string {
	s := newScope(outer, false)
	s.callback = true
	if g.shape.Float64() < g.slowRate {
		return g.slowShape(s)
	}
	var b strings.Builder
	if g.chance(0.6) {
		b.WriteString("if err := world.Session(ctx, tx, tenant); err != nil {\nreturn err\n}\n")
	}
	for range 1 + g.r.IntN(7) {
		b.WriteString(g.stmt(s, 0))
	}
	final := g.finalReturn(s)
	b.WriteString(s.fillers())
	b.WriteString(final)
	return b.String()
}

func (g *gen) finalReturn(s *scope) string {
	switch g.r.IntN(6) {
	case 0:
		return "return world.Write(ctx, tx, " + g.key() + ", " + g.expr(s) + ")\n"
	case 1:
		return "return world.Slow(ctx, " + g.expr(s) + ")\n"
	}
	return "return nil\n"
}

func (g *gen) key() string { return pick(g, `"a"`, `"b"`, `"c"`, `"d"`) }

// expr is an int expression over the variables in scope.
func (g *gen) expr(s *scope) string {
	if g.chance(0.2) {
		return fmt.Sprint(g.r.IntN(10))
	}
	v, ok := s.pickVar(g)
	if !ok {
		return fmt.Sprint(g.r.IntN(10))
	}
	switch g.r.IntN(4) {
	case 0:
		return v + " + " + fmt.Sprint(1+g.r.IntN(3))
	case 1:
		return v + " * 2"
	}
	return v
}

// cond is a boolean condition over the variables in scope.
func (g *gen) cond(s *scope) string {
	v, ok := s.pickVar(g)
	if !ok {
		return pick(g, "tenant == \"t1\"", "tenant != \"t1\"")
	}
	switch g.r.IntN(3) {
	case 0:
		return v + "%2 == 0"
	case 1:
		return v + " == " + fmt.Sprint(g.r.IntN(6))
	}
	return v + " > " + fmt.Sprint(g.r.IntN(8))
}
