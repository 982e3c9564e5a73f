// Package fake is an in-memory transactional key-value store (tables kv and
// notes, the latter under keys prefixed notes.) behind pgx's
// interfaces. It injects a fault at a chosen step, records what was
// committed and flags statements that run where they must not.
package fake

import (
	"context"
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

// locksBeforeTx allows a FOR UPDATE read outside a transaction, where its
// lock is released at once: a --recheck rewrite runs a replayed locking
// read before the transaction too.
var locksBeforeTx = os.Getenv("FAKE_LOCKS_BEFORE_TX") != ""

// Store is the database: committed rows, the open transaction, faults.
type Store struct {
	committed  map[string]int
	open       *tx
	steps      []string       // the steps run, each as what#occurrence
	seen       map[string]int // how often each step ran
	failAt     string         // the step that fails, "" for none
	violations []string
}

// Step records a statement or slow call and fails the chosen one. A step
// is named by what it does and how often that was done before, not by its
// place in the run, so that a rewrite that reorders steps (the slow-call
// move) meets the same fault in the same statement.
func (s *Store) Step(what string) error {
	s.seen[what]++
	step := fmt.Sprintf("%s#%d", what, s.seen[what])
	s.steps = append(s.steps, step)
	if step == s.failAt {
		return fmt.Errorf("fault at %s", step)
	}
	return nil
}

func (s *Store) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// run executes one statement, in t or (t == nil) on its own.
func (s *Store) run(t *tx, sql string, args []any) ([]int, error) {
	fault := s.Step(fmt.Sprintf("%s %v", sql, args))
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
	case strings.HasPrefix(sql, "SELECT v FROM kv WHERE"):
		return row(args[0].(string)), nil
	case strings.HasPrefix(sql, "SELECT v FROM notes WHERE"):
		return row(notePrefix + args[0].(string)), nil
	case strings.HasPrefix(sql, "SELECT v FROM kv ORDER BY"):
		keys := map[string]bool{}
		for k := range s.committed {
			keys[k] = true
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
	t := &tx{s: p.s, writes: map[string]cell{}}
	p.s.open = t
	return t, nil
}

// SendBatch runs a batch as one implicit transaction.
func (p *Pool) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if p.s.open != nil {
		p.s.violate("pooled statement while a transaction is open")
	}
	return &batch{s: p.s, queries: b.QueuedQueries}
}

type batch struct {
	s       *Store
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
	if b.tenant != tenant {
		b.s.violate("pooled statement with tenant %q", b.tenant)
	}
	return b.s.run(nil, q.SQL, q.Arguments)
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

// tx is a transaction: writes are buffered until Commit.
type tx struct {
	pgx.Tx
	s       *Store
	writes  map[string]cell
	tenant  string
	aborted bool
	done    bool
}

func (t *tx) statement(sql string, args []any) ([]int, error) {
	if t.done {
		t.s.violate("statement on a finished transaction")
		return nil, pgx.ErrTxClosed
	}
	if isSetting(sql) {
		t.tenant = fmt.Sprint(args[0])
		return nil, nil
	}
	if t.tenant != tenant {
		t.s.violate("statement in a transaction with tenant %q", t.tenant)
	}
	return t.s.run(t, sql, args)
}

func (t *tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	_, err := t.statement(sql, args)
	return pgconn.CommandTag{}, err
}

func (t *tx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	vals, err := t.statement(sql, args)
	return &rows{vals: vals, err: err}, err
}

func (t *tx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	vals, err := t.statement(sql, args)
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
// does not depend on the order they ran in).
func Run(h world.Handler, state int, failAt string) (string, []string) {
	s := &Store{committed: map[string]int{}, seen: map[string]int{}, failAt: failAt}
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
	line := fmt.Sprintf("%s state%d fault=%q: result=%s out=%v committed=%v violations=%q",
		h.Name, state, fault, result, out.Log, st, s.violations)
	sort.Strings(s.steps)
	return line, s.steps
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
