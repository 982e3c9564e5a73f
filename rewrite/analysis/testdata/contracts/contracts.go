// Package contracts holds transaction wrappers for TestReadContract: each
// function's callback contract is the table entry of the same name.
package contracts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var ErrKeep = errors.New("keep the writes")

type KeepError struct{ Reason string }

func (e *KeepError) Error() string { return e.Reason }

// MapDBError turns driver errors into the service's.
func MapDBError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errors.New("not found")
	}
	return err
}

func retryable(err error) bool { return err != nil }

func finish(tx *sql.Tx, err error) error {
	if err != nil {
		return tx.Rollback()
	}
	return tx.Commit()
}

func Plain(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func InnerClosureMapped(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	run := func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	return MapDBError(run())
}

func InnerClosureWrapped(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	if err := func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}(); err != nil {
		return fmt.Errorf("in transaction: %w", err)
	}
	return nil
}

func InnerClosureMappedOnError(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	run := func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := run(); err != nil {
		return MapDBError(err)
	}
	return nil
}

func DeferredCommit(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			if rbErr := tx.Rollback(); rbErr != nil {
				err = errors.Join(err, rbErr)
			}
			return
		}
		err = tx.Commit()
	}()
	err = fn(tx)
	return err
}

func ErrTxDone(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
			log.Printf("rollback: %v", err)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func CommitAnywayIs(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	err = fn(tx)
	if err != nil && !errors.Is(err, ErrKeep) {
		_ = tx.Rollback()
		return err
	}
	if cerr := tx.Commit(); cerr != nil {
		return cerr
	}
	return err
}

func CommitAnywayAs(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = fn(tx)
	var keep *KeepError
	switch {
	case err == nil, errors.As(err, &keep):
		if cerr := tx.Commit(); cerr != nil {
			return cerr
		}
		return err
	default:
		return err
	}
}

func CommitAnywayAssert(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if _, ok := err.(*KeepError); !ok {
			return err
		}
	}
	return tx.Commit()
}

func CommitAnywaySwallowed(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil && err != ErrKeep {
		return err
	}
	return tx.Commit()
}

func CommitsAlways(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	cbErr := fn(tx)
	if err := tx.Commit(); err != nil {
		return err
	}
	return cbErr
}

func Ignores(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return nil
	}
	return tx.Commit()
}

func Opaque(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil && !retryable(err) {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func Helper(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	return finish(tx, fn(tx))
}

func Retry(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := 0; i < 3; i++ {
		if err = fn(tx); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

func RunTwice(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	run := func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := run(); err == nil {
		return nil
	}
	return run()
}

func BeginFunc(ctx context.Context, pool *pgxpool.Pool, tenant string, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant', $1, true)", tenant); err != nil {
			return err
		}
		return fn(tx)
	})
}

func ModuleRunner(ctx context.Context, db *sql.DB, tenant string, fn func(*sql.Tx) error) error {
	return Plain(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.tenant', $1, true)", tenant); err != nil {
			return err
		}
		return fn(tx)
	})
}

func ModuleRunnerMapped(ctx context.Context, db *sql.DB, tenant string, fn func(*sql.Tx) error) error {
	return InnerClosureMapped(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.tenant', $1, true)", tenant); err != nil {
			return err
		}
		return fn(tx)
	})
}

func CapturedResult(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	var cbErr error
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		cbErr = fn(tx)
		return cbErr
	})
	if cbErr != nil {
		return cbErr
	}
	return err
}

func CallbackErrTxDone(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if errors.Is(err, sql.ErrTxDone) {
			return nil
		}
		return err
	}
	return tx.Commit()
}

func DeferredErrTxDone(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
				err = errors.Join(err, rbErr)
			}
			return
		}
		if cErr := tx.Commit(); cErr != nil && !errors.Is(cErr, sql.ErrTxDone) {
			err = cErr
		}
	}()
	return fn(tx)
}

func TaggedSwitch(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	switch err := fn(tx); err {
	case nil, ErrKeep:
		return tx.Commit()
	}
	return err
}
