package fuzz

import (
	"fmt"
	"strings"
)

// Issue 13's shapes: a status read with Scan(&v) that guards or feeds the
// write after it, prepared statements run by name, a store helper that
// filters on the tenant column (world.Read, Sum and HelperTx rely on the
// policy alone), and a callback with its own context parameter. The
// guarding read and its write carry marker comments, so that the fake
// store can check at run time that the read ran in the write's
// transaction.

// shapeRate is the share of statements generate draws from issue 13's
// shapes in an input that has them.
const shapeRate = 0.35

// hasShapes picks the fuzz seeds that draw issue 13's shapes: one in three,
// none of those the stored corpus and FuzzRewrite's seeds name, so those
// still generate the programs they were found with.
func hasShapes(seed uint64) bool { return seed%3 == 2 }

// rawSeed picks, among them, the ones run in a raw module (rawConfig).
func rawSeed(seed uint64) bool { return seed%6 == 5 }

// The SQL the shapes run inline on the transaction.
const (
	readSQL    = "SELECT v FROM kv WHERE k = $1"
	readOwnSQL = "SELECT v FROM kv WHERE tenant_id = $1 AND k = $2"
	upsertSQL  = "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2"
)

// shapeStmt draws one of issue 13's statements.
func (g *gen) shapeStmt(s *scope) string {
	switch g.r.IntN(8) {
	case 0, 1, 2:
		return g.scanGuard(s)
	case 3, 4:
		return g.preparedWrite(s)
	case 5:
		return g.preparedRead(s)
	}
	return g.read(s, "ReadOwn")
}

// scanGuard reads a value with Scan(&v) and tests it, uses it in the write
// after it, or both; the read is marked as feeding that write.
func (g *gen) scanGuard(s *scope) string {
	v, w := g.fresh("v"), g.fresh("w")
	sql, args := readSQL, g.key()
	if g.chance(0.5) {
		sql, args = readOwnSQL, "tenant, "+g.key()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "var %s int\n", v)
	b.WriteString(g.checked(s, fmt.Sprintf("err := tx.QueryRow(ctx, %q, %s).Scan(&%s)", sql+" /* feeds:"+w+" */", args, v)))
	guard := g.chance(0.7)
	if guard {
		fmt.Fprintf(&b, "if %s %s %d {\nreturn %s\n}\n", v, pick(g, "!=", ">", "<"), g.r.IntN(6), pick(g, "world.ErrX", "world.ErrX", "nil"))
	}
	val := fmt.Sprint(g.r.IntN(10))
	if !guard || g.chance(0.5) {
		val = v + pick(g, "", " + 1", " * 2")
	}
	b.WriteString(g.checked(s, fmt.Sprintf("_, err := tx.Exec(ctx, %q, %s, %s)", upsertSQL+" /* "+w+" */", g.key(), val)))
	s.declare(v).used = true
	return b.String()
}

// preparedWrite prepares an INSERT on the transaction and runs it by the
// name given or by the one the statement's description returns.
func (g *gen) preparedWrite(s *scope) string {
	name := g.fresh("p")
	if g.chance(0.5) {
		return g.checked(s, fmt.Sprintf("_, err := tx.Prepare(ctx, %q, %q)", name, upsertSQL)) +
			g.checked(s, fmt.Sprintf("_, err := tx.Exec(ctx, %q, %s, %s)", name, g.key(), g.expr(s)))
	}
	sd := g.fresh("sd")
	out := fmt.Sprintf("%s, err := tx.Prepare(ctx, %q, %q)\n", sd, name, upsertSQL) + g.errCheck(s)
	s.hasErr = true
	return out + g.checked(s, fmt.Sprintf("_, err := tx.Exec(ctx, %s.Name, %s, %s)", sd, g.key(), g.expr(s)))
}

// preparedRead prepares a SELECT and scans its row into a fresh variable.
func (g *gen) preparedRead(s *scope) string {
	name, v := g.fresh("p"), g.fresh("v")
	out := g.checked(s, fmt.Sprintf("_, err := tx.Prepare(ctx, %q, %q)", name, readSQL)) +
		fmt.Sprintf("var %s int\n", v) +
		g.checked(s, fmt.Sprintf("err := tx.QueryRow(ctx, %q, %s).Scan(&%s)", name, g.key(), v))
	s.declare(v).used = true
	return out
}

// ctxCall is a WithTenantCtx call: the wrapper gets the handler's ctx, a
// world.Scoped one in a variable, or that call itself; the callback names
// its parameter ctx (shadowing the handler's) or c.
func (g *gen) ctxCall(outer *scope) (pre, call string) {
	arg := pick(g, "ctx", "sctx", "sctx", "world.Scoped(ctx)")
	if arg != "ctx" {
		g.scoped = true
	}
	if arg == "sctx" {
		pre = "sctx := world.Scoped(ctx)\n"
	}
	param := pick(g, "ctx", "c")
	body := g.callback(outer)
	if param != "ctx" {
		body = strings.ReplaceAll(body, "(ctx,", "("+param+",")
	}
	return pre, "d.WithTenantCtx(" + arg + ", tenant, func(" + param + " context.Context, tx pgx.Tx) error {\n" + body + "})"
}
