// Package fake is an in-memory transactional key-value store (tables kv and
// notes, the latter under keys prefixed notes.) behind pgx's
// interfaces. It injects a fault at a chosen step, records what was
// committed and, for every statement, the tenant it ran under and the
// transaction it ran in (Event: the fuzz test compares these of the
// original and of the rewrite statement by statement), and flags
// statements that run where they must not whatever the original did: a
// write or a locking read outside a transaction, a pooled statement while
// one is open, a statement run with the handler's context where the
// callback was given its own.
package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"example.com/fz/world"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// States are the initial contents a handler runs against. Every key the
// generator names is in both tables, so that a statement fails only where
// a fault is injected or a DELETE went before it: a second, data-dependent
// failure would make the error a reordered handler returns depend on which
// of two failures it meets first.
var States = []map[string]int{
	{"a": 1, "b": 2, "c": 3, "d": 4, "notes.a": 0, "notes.b": 3, "notes.c": 1, "notes.d": 2},
	{"a": 9, "b": 0, "c": 7, "d": 5, "notes.a": 4, "notes.b": 0, "notes.c": 6, "notes.d": 8},
}

const tenant = "t1"

var errAborted = errors.New("current transaction is aborted, commands ignored until end of transaction block")

// RLS says whether the database keeps tenants apart by row-level security
// (the runner of a module whose config says it does not sets it false).
// With it, a statement on the raw pool runs under no tenant; without it,
// one that filters on tenant_id runs under the tenant it filters on.
var RLS = true

// otherRows are another tenant's rows, which only a statement that
// neither runs under the tenant nor filters on it sees.
var otherRows = map[string]int{"a": 101, "b": 102, "c": 103, "d": 104, "notes.a": 105, "notes.b": 106, "notes.c": 107, "notes.d": 108}

// locksBeforeTx allows a FOR UPDATE read outside a transaction, where its
// lock is released at once: a --recheck rewrite runs a replayed locking
// read before the transaction too.
var locksBeforeTx = os.Getenv("FAKE_LOCKS_BEFORE_TX") != ""

// Store is the database: committed rows, the open transaction, faults.
type Store struct {
	committed  map[string]int
	open       *tx
	conns      int            // the transactions and batches begun
	steps      []string       // the steps run, each as what#occurrence
	seen       map[string]int // how often each step ran
	failAt     string         // the step that fails, "" for none
	scoped     bool           // every step must run with a world.Scoped context
	trace      []Event
	violations []string
}

// conn is where a statement runs: in a transaction (t), in a batch's
// implicit one, or alone on the raw pool (id 0); tenant is the tenant
// setting it runs under.
type conn struct {
	t      *tx
	id     int
	tenant string
	batch  bool
}

func (c conn) String() string {
	switch {
	case c.t != nil:
		return "in a transaction"
	case c.batch:
		return "in a pooled batch"
	}
	return "on the raw pool"
}

// Event is a statement as the store ran it: its step (as Step names it),
// the tenant it ran under ("" for none), the transaction it ran in (Tx,
// numbered in the order they began: a transaction or a pooled batch's
// implicit one; 0 alone on the raw pool) and where that was (Where). A
// generated statement may carry a marker comment, which Write and Feeds
// hold: "/* wN */" names a write, "/* feeds:wN */" a read whose value
// guards or feeds write wN.
type Event struct {
	Step   string
	Tenant string `json:",omitempty"`
	Tx     int    `json:",omitempty"`
	Where  string
	Write  string `json:",omitempty"`
	Feeds  string `json:",omitempty"`
}

// Step records a statement or slow call and fails the chosen one. A step
// is named by what it does and how often that was done before, not by its
// place in the run, so that a rewrite that reorders steps (the slow-call
// move) meets the same fault in the same statement.
func (s *Store) Step(ctx context.Context, what string) error {
	_, err := s.step(ctx, what)
	return err
}

// step is Step that also returns the step's name.
func (s *Store) step(ctx context.Context, what string) (string, error) {
	if s.scoped && !world.IsScoped(ctx) {
		s.violate("%s ran with the handler's context, not the one its callback was given", what)
	}
	s.seen[what]++
	step := fmt.Sprintf("%s#%d", what, s.seen[what])
	s.steps = append(s.steps, step)
	if step == s.failAt {
		return step, fmt.Errorf("fault at %s", step)
	}
	return step, nil
}

func (s *Store) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// untag splits a statement's marker comment off its text.
func untag(sql string) (text, write, feeds string) {
	text, tag, ok := strings.Cut(sql, " /* ")
	if !ok {
		return sql, "", ""
	}
	tag = strings.TrimSuffix(tag, " */")
	if w, ok := strings.CutPrefix(tag, "feeds:"); ok {
		return text, "", w
	}
	return text, tag, ""
}

// filtersTenant reports whether a statement filters on the tenant column
// (its first argument then is the tenant filtered on).
func filtersTenant(text string) bool { return strings.Contains(text, "tenant_id = $1") }

// record adds a statement to the trace: where it ran and under which
// tenant, which on the raw pool without row-level security is the one it
// filters on.
func (s *Store) record(c conn, step, text string, args []any) {
	_, write, feeds := untag(text)
	e := Event{Step: step, Tenant: c.tenant, Tx: c.id, Where: c.String(), Write: write, Feeds: feeds}
	if c.id == 0 && !RLS && filtersTenant(text) {
		e.Tenant = fmt.Sprint(args[0])
	}
	s.trace = append(s.trace, e)
}

// run executes one statement, in c.t or (c.t == nil) on its own.
func (s *Store) run(ctx context.Context, c conn, sql string, args []any) ([]int, error) {
	t := c.t
	step, fault := s.step(ctx, fmt.Sprintf("%s %v", sql, args))
	s.record(c, step, sql, args)
	sql, _, _ = untag(sql)
	// Another tenant's rows are what a statement with neither the tenant
	// set nor a filter on it reads.
	foreign := c.id == 0 && !filtersTenant(sql)
	if t != nil && t.aborted {
		return nil, errAborted
	}
	if fault != nil {
		if t != nil {
			t.aborted = true
		}
		return nil, fault
	}
	get := func(k string) (int, bool) {
		if foreign {
			v, ok := otherRows[k]
			return v, ok
		}
		if t != nil {
			if c, ok := t.writes[k]; ok {
				return c.v, !c.gone
			}
		}
		v, ok := s.committed[k]
		return v, ok
	}
	// row is the value of key k as a result: none if the row is missing.
	row := func(k string) []int {
		if v, ok := get(k); ok {
			return []int{v}
		}
		return nil
	}
	set := func(k string, c cell) {
		if t == nil {
			s.violate("write outside a transaction: %s", sql)
			c.apply(s.committed, k)
			return
		}
		t.writes[k] = c
	}
	switch {
	case strings.Contains(sql, "FOR UPDATE"):
		if t == nil && !locksBeforeTx {
			s.violate("locking read outside a transaction")
		}
		return row(args[0].(string)), nil
	case strings.HasPrefix(sql, "SELECT v FROM kv WHERE tenant_id = $1 AND k = $2"):
		return row(args[1].(string)), nil
	case strings.HasPrefix(sql, "SELECT v FROM kv WHERE"):
		return row(args[0].(string)), nil
	case strings.HasPrefix(sql, "SELECT v FROM notes WHERE"):
		return row(notePrefix + args[0].(string)), nil
	case strings.HasPrefix(sql, "SELECT v FROM kv ORDER BY"):
		keys := map[string]bool{}
		for k := range s.committed {
			keys[k] = true
		}
		if foreign {
			keys = map[string]bool{}
			for k := range otherRows {
				keys[k] = true
			}
		}
		if t != nil {
			for k := range t.writes {
				keys[k] = true
			}
		}
		var vals []int
		for _, k := range sortedKeys(keys) {
			if v, ok := get(k); ok && !strings.HasPrefix(k, notePrefix) {
				vals = append(vals, v)
			}
		}
		return vals, nil
	case strings.HasPrefix(sql, "SELECT 1 FROM sessions"):
		return []int{1}, nil
	case strings.HasPrefix(sql, "INSERT INTO kv"):
		set(args[0].(string), cell{v: args[1].(int)})
		return nil, nil
	case strings.HasPrefix(sql, "INSERT INTO notes"):
		set(notePrefix+args[0].(string), cell{v: args[1].(int)})
		return nil, nil
	case strings.HasPrefix(sql, "DELETE FROM kv"):
		k := args[0].(string)
		if _, ok := get(k); ok {
			set(k, cell{gone: true})
		}
		return nil, nil
	case strings.HasPrefix(sql, "UPDATE kv SET v = v + 1"), strings.HasPrefix(sql, "UPDATE notes SET v = v + 1"):
		k := args[0].(string)
		if strings.HasPrefix(sql, "UPDATE notes") {
			k = notePrefix + k
		}
		v, ok := get(k)
		if !ok {
			return nil, nil
		}
		set(k, cell{v: v + 1})
		return []int{v + 1}, nil
	}
	return nil, fmt.Errorf("fake: unknown statement %q", sql)
}

// notePrefix marks the keys of the notes table in the store's one map.
const notePrefix = "notes."

// cell is a transaction's pending change of a key: a value or a deletion.
type cell struct {
	v    int
	gone bool
}

func (c cell) apply(m map[string]int, k string) {
	if c.gone {
		delete(m, k)
	} else {
		m[k] = c.v
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isSetting(sql string) bool { return strings.Contains(sql, "set_config") }

// Pool is the pool of the store.
type Pool struct{ s *Store }

// Begin opens the store's one transaction.
func (p *Pool) Begin(ctx context.Context) (pgx.Tx, error) {
	if p.s.open != nil {
		p.s.violate("transaction begun while another is open")
	}
	p.s.conns++
	t := &tx{s: p.s, id: p.s.conns, writes: map[string]cell{}, prepared: map[string]string{}}
	p.s.open = t
	return t, nil
}

// SendBatch runs a batch as one implicit transaction.
func (p *Pool) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	p.pooled()
	p.s.conns++
	return &batch{s: p.s, ctx: ctx, id: p.s.conns, queries: b.QueuedQueries}
}

func (p *Pool) pooled() {
	if p.s.open != nil {
		p.s.violate("pooled statement while a transaction is open")
	}
}

// raw runs a statement on the pool alone, with no tenant set.
func (p *Pool) raw(ctx context.Context, sql string, args []any) ([]int, error) {
	p.pooled()
	return p.s.run(ctx, conn{}, sql, args)
}

func (p *Pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	_, err := p.raw(ctx, sql, args)
	return pgconn.CommandTag{}, err
}

func (p *Pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	vals, err := p.raw(ctx, sql, args)
	return &rows{vals: vals, err: err}, err
}

func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	vals, err := p.raw(ctx, sql, args)
	return row{&rows{vals: vals, err: err}}
}

type batch struct {
	s       *Store
	ctx     context.Context
	id      int
	queries []*pgx.QueuedQuery
	tenant  string
}

func (b *batch) next() ([]int, error) {
	if len(b.queries) == 0 {
		return nil, errors.New("fake: batch exhausted")
	}
	q := b.queries[0]
	b.queries = b.queries[1:]
	if isSetting(q.SQL) {
		b.tenant = fmt.Sprint(q.Arguments[1])
		return nil, nil
	}
	return b.s.run(b.ctx, conn{id: b.id, tenant: b.tenant, batch: true}, q.SQL, q.Arguments)
}

func (b *batch) Exec() (pgconn.CommandTag, error) {
	_, err := b.next()
	return pgconn.CommandTag{}, err
}

func (b *batch) Query() (pgx.Rows, error) {
	vals, err := b.next()
	return &rows{vals: vals, err: err}, err
}

func (b *batch) QueryRow() pgx.Row {
	vals, err := b.next()
	return row{&rows{vals: vals, err: err}}
}

func (b *batch) Close() error { return nil }

func (b *batch) Tx() pgx.Tx { return nil }

// tx is a transaction: writes are buffered until Commit. Statements it
// prepared run by name.
type tx struct {
	pgx.Tx
	s        *Store
	id       int
	writes   map[string]cell
	prepared map[string]string
	tenant   string
	aborted  bool
	done     bool
}

func (t *tx) statement(ctx context.Context, sql string, args []any) ([]int, error) {
	if t.done {
		t.s.violate("statement on a finished transaction")
		return nil, pgx.ErrTxClosed
	}
	if isSetting(sql) {
		t.tenant = fmt.Sprint(args[0])
		return nil, nil
	}
	if text, ok := t.prepared[sql]; ok {
		sql = text
	}
	return t.s.run(ctx, conn{t: t, id: t.id, tenant: t.tenant}, sql, args)
}

// Prepare names a statement for the transaction's later calls; it is a
// step (it can fail) but runs nothing.
func (t *tx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if t.done {
		t.s.violate("statement on a finished transaction")
		return nil, pgx.ErrTxClosed
	}
	step, fault := t.s.step(ctx, "PREPARE "+name)
	t.s.record(conn{t: t, id: t.id, tenant: t.tenant}, step, sql, nil)
	if t.aborted {
		return nil, errAborted
	}
	if fault != nil {
		t.aborted = true
		return nil, fault
	}
	t.prepared[name] = sql
	return &pgconn.StatementDescription{Name: name, SQL: sql}, nil
}

func (t *tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	_, err := t.statement(ctx, sql, args)
	return pgconn.CommandTag{}, err
}

func (t *tx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	vals, err := t.statement(ctx, sql, args)
	return &rows{vals: vals, err: err}, err
}

func (t *tx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	vals, err := t.statement(ctx, sql, args)
	return row{&rows{vals: vals, err: err}}
}

func (t *tx) finish() error {
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	t.s.open = nil
	return nil
}

func (t *tx) Commit(ctx context.Context) error {
	if err := t.finish(); err != nil {
		return err
	}
	if t.aborted {
		return pgx.ErrTxCommitRollback
	}
	for k, c := range t.writes {
		c.apply(t.s.committed, k)
	}
	return nil
}

func (t *tx) Rollback(ctx context.Context) error { return t.finish() }

// rows are a statement's int results; as a Row, the first of them.
type rows struct {
	pgx.Rows
	vals []int
	err  error
	cur  int
}

func (r *rows) Close()     {}
func (r *rows) Err() error { return r.err }

func (r *rows) Next() bool {
	if r.err != nil || len(r.vals) == 0 {
		return false
	}
	r.cur, r.vals = r.vals[0], r.vals[1:]
	return true
}

func (r *rows) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if p, ok := dest[0].(*int); ok {
		*p = r.cur
	}
	return nil
}

// row is a QueryRow result: it scans the first value.
type row struct{ r *rows }

func (r row) Scan(dest ...any) error {
	if r.r.err != nil {
		return r.r.err
	}
	if !r.r.Next() {
		return pgx.ErrNoRows
	}
	return r.r.Scan(dest...)
}

// Run runs a handler against state with a fault at step failAt ("": none)
// and renders what it returned, wrote and committed; it also returns the
// steps the run took, sorted (the faults to inject next, in an order that
// does not depend on the order they ran in), and its statements in the
// order they ran, as JSON.
func Run(h world.Handler, state int, failAt string) (line string, steps []string, trace []byte) {
	s := &Store{committed: map[string]int{}, seen: map[string]int{}, failAt: failAt, scoped: h.Scoped}
	for k, v := range States[state] {
		s.committed[k] = v
	}
	ctx := world.WithFaults(context.Background(), s)
	d := &world.DB{Pool: &Pool{s: s}}
	out := &world.Out{}
	result := call(ctx, h, d, out)
	if s.open != nil {
		s.violate("transaction left open")
	}
	keys := map[string]bool{}
	for k := range s.committed {
		keys[k] = true
	}
	var st []string
	for _, k := range sortedKeys(keys) {
		st = append(st, fmt.Sprintf("%s=%d", k, s.committed[k]))
	}
	fault := failAt
	if fault == "" {
		fault = "none"
	}
	line = fmt.Sprintf("%s state%d fault=%q: result=%s out=%v committed=%v violations=%q",
		h.Name, state, fault, result, out.Log, st, s.violations)
	sort.Strings(s.steps)
	trace, err := json.Marshal(s.trace)
	if err != nil {
		panic(err)
	}
	return line, s.steps, trace
}

func call(ctx context.Context, h world.Handler, d *world.DB, out *world.Out) (result string) {
	defer func() {
		if r := recover(); r != nil {
			result = fmt.Sprintf("panic(%v)", r)
		}
	}()
	if h.Void != nil {
		h.Void(ctx, d, tenant, out)
		return "void"
	}
	return fmt.Sprint(h.Err(ctx, d, tenant, out))
}
