// Package world is the fixed world that generated handlers live in: tenant
// wrappers (one whose callback gets its context), a session check, store
// functions with known effects (with a tenant filter or, relying on the
// policy, without), a slow call and a helper that takes the concrete
// transaction type.
package world

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what both a transaction and a tenant-scoped pooled handle offer.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Pool begins transactions and runs batches; its own statements run with
// no tenant set, as a raw pool's do.
type Pool interface {
	Querier
	Begin(ctx context.Context) (pgx.Tx, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// DB holds the pool; Last is where a handler may store its tx.
type DB struct {
	Pool Pool
	Last pgx.Tx
}

// WithTenant runs fn in a transaction scoped to tenant; an error rolls back.
func (d *DB) WithTenant(ctx context.Context, tenant string, fn func(tx pgx.Tx) error) error {
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "select set_config('app.current_tenant_id', $1, true)", tenant); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// WithTenantCtx is WithTenant whose callback gets the context too: the
// one it was given, as it came.
func (d *DB) WithTenantCtx(ctx context.Context, tenant string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "select set_config('app.current_tenant_id', $1, true)", tenant); err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

type scopeKey struct{}

// Scoped derives the context a handler hands WithTenantCtx, so that a
// statement run with the handler's own context instead shows.
func Scoped(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, true)
}

// IsScoped reports whether ctx is, or derives from, one Scoped made.
func IsScoped(ctx context.Context) bool {
	ok, _ := ctx.Value(scopeKey{}).(bool)
	return ok
}

// ErrX is a sentinel error handlers return.
var ErrX = errors.New("x")

// Session validates the tenant's session.
func Session(ctx context.Context, q Querier, tenant string) error {
	var one int
	return q.QueryRow(ctx, "SELECT 1 FROM sessions WHERE tenant_id = $1", tenant).Scan(&one)
}

// Read reads a key.
func Read(ctx context.Context, q Querier, key string) (int, error) {
	var v int
	err := q.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1", key).Scan(&v)
	return v, err
}

// ReadOwn reads a key of the tenant's, filtering on the tenant column
// (Read relies on the policy alone).
func ReadOwn(ctx context.Context, q Querier, tenant, key string) (int, error) {
	var v int
	err := q.QueryRow(ctx, "SELECT v FROM kv WHERE tenant_id = $1 AND k = $2", tenant, key).Scan(&v)
	return v, err
}

// Sum adds up every value.
func Sum(ctx context.Context, q Querier) (int, error) {
	rows, err := q.Query(ctx, "SELECT v FROM kv ORDER BY k")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	total := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
		total += v
	}
	return total, rows.Err()
}

// Lock reads a key and locks its row.
func Lock(ctx context.Context, q Querier, key string) (int, error) {
	var v int
	err := q.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1 FOR UPDATE", key).Scan(&v)
	return v, err
}

// Write sets a key.
func Write(ctx context.Context, q Querier, key string, v int) error {
	_, err := q.Exec(ctx, "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2", key, v)
	return err
}

// Bump increments a key and returns its new value.
func Bump(ctx context.Context, q Querier, key string) (int, error) {
	var v int
	err := q.QueryRow(ctx, "UPDATE kv SET v = v + 1 WHERE k = $1 RETURNING v", key).Scan(&v)
	return v, err
}

// Delete removes a key.
func Delete(ctx context.Context, q Querier, key string) error {
	_, err := q.Exec(ctx, "DELETE FROM kv WHERE k = $1", key)
	return err
}

// Note sets a key of the notes table, which no kv statement touches.
func Note(ctx context.Context, q Querier, key string, v int) error {
	_, err := q.Exec(ctx, "INSERT INTO notes (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = $2", key, v)
	return err
}

// ReadNote reads a key of the notes table.
func ReadNote(ctx context.Context, q Querier, key string) (int, error) {
	var v int
	err := q.QueryRow(ctx, "SELECT v FROM notes WHERE k = $1", key).Scan(&v)
	return v, err
}

// BumpNote increments a note and returns its new value.
func BumpNote(ctx context.Context, q Querier, key string) (int, error) {
	var v int
	err := q.QueryRow(ctx, "UPDATE notes SET v = v + 1 WHERE k = $1 RETURNING v", key).Scan(&v)
	return v, err
}

// HelperTx reads a key through the concrete transaction type.
func HelperTx(ctx context.Context, tx pgx.Tx, key string) (int, error) {
	var v int
	err := tx.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1", key).Scan(&v)
	return v, err
}

// Faults decides whether the next step of a run, named by what it does
// and run with ctx, fails.
type Faults interface {
	Step(ctx context.Context, what string) error
}

type faultsKey struct{}

// WithFaults makes Slow consult f.
func WithFaults(ctx context.Context, f Faults) context.Context {
	return context.WithValue(ctx, faultsKey{}, f)
}

// Slow stands for an external call of n units of work; the sleep is zero
// so that runs stay fast, and it marks the call as slow for txscope.
func Slow(ctx context.Context, n int) error {
	time.Sleep(0)
	if f, ok := ctx.Value(faultsKey{}).(Faults); ok {
		return f.Step(ctx, fmt.Sprintf("Slow(%d)", n))
	}
	return nil
}

// Summarize stands for an external call that returns a value computed
// from n (a model's answer); slow like Slow.
func Summarize(ctx context.Context, n int) (int, error) {
	time.Sleep(0)
	if f, ok := ctx.Value(faultsKey{}).(Faults); ok {
		if err := f.Step(ctx, fmt.Sprintf("Summarize(%d)", n)); err != nil {
			return 0, err
		}
	}
	return 3*n + 1, nil
}

// Touch uses a transaction from a goroutine.
func Touch(tx pgx.Tx) {}

// Out is the handler's response.
type Out struct{ Log []string }

// Emit writes a value to the response.
func (o *Out) Emit(label string, v int) { o.Log = append(o.Log, fmt.Sprintf("%s=%d", label, v)) }

// Fail writes an error to the response.
func (o *Out) Fail(err error) { o.Log = append(o.Log, "fail:"+err.Error()) }

// Result writes a result, nil or not, to the response.
func (o *Out) Result(err error) { o.Log = append(o.Log, fmt.Sprintf("result:%v", err)) }

// Handler is a generated handler: one of Err and Void is set. Scoped says
// that it hands WithTenantCtx a context from Scoped: every statement and
// slow call it makes runs with that context.
type Handler struct {
	Name   string
	Err    func(ctx context.Context, d *DB, tenant string, out *Out) error
	Void   func(ctx context.Context, d *DB, tenant string, out *Out)
	Scoped bool
}
