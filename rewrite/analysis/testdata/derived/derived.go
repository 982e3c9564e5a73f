// Package derived holds callback bodies for TestDerivedEffects: each
// function's body is classified with its tx parameter as the seed, and the
// comment after each statement is the effect it must get.
package derived

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
	"gorm.io/gorm"
)

var ctx = context.Background()

func pgxRows(tx pgx.Tx) error {
	rows, err := tx.Query(ctx, "SELECT id FROM customers") // read
	if err != nil {                                        // pure
		return err
	}
	defer rows.Close() // pure
	for rows.Next() {  // pure
		var id int
		_ = rows.Scan(&id)
	}
	defer func() { rows.Close() }() // pure
	c := rows.Conn()                // escapes
	_ = c
	return rows.Err() // pure
}

func pgxChained(tx pgx.Tx, id int) error {
	var status string
	_ = tx.QueryRow(ctx, "SELECT status FROM runs WHERE id = $1", id).Scan(&status) // read
	tag, _ := tx.Exec(ctx, "UPDATE runs SET status = 'x'")                          // write
	_ = tag.RowsAffected()                                                          // pure
	return nil
}

func pgxBatch(tx pgx.Tx, b *pgx.Batch) error {
	br := tx.SendBatch(ctx, b) // unknown
	_, err := br.Exec()        // unknown
	_ = br.Close()             // pure
	return err
}

func pgxLargeObjects(tx pgx.Tx) error {
	los := tx.LargeObjects()                            // unknown
	obj, _ := los.Open(ctx, 1, pgx.LargeObjectModeRead) // unknown
	_, _ = obj.Read(nil)                                // read
	_, _ = obj.Write(nil)                               // write
	return obj.Close()                                  // pure
}

func sqlStmt(tx *sql.Tx, s *sql.Stmt) error {
	stmt := tx.StmtContext(ctx, s)                 // pure
	_, err := stmt.ExecContext(ctx)                // unknown
	res, _ := tx.ExecContext(ctx, "DELETE FROM t") // write
	_, _ = res.RowsAffected()                      // pure
	return err
}

func sqlRows(tx *sql.Tx) error {
	rows, _ := tx.QueryContext(ctx, "SELECT 1") // read
	for rows.Next() {                           // pure
	}
	_, _ = rows.Columns() // pure
	return rows.Close()   // pure
}

func sqlxNamed(tx *sqlx.Tx) error {
	ns, _ := tx.PrepareNamed("INSERT INTO t VALUES (:a)") // write
	_, err := ns.Exec(map[string]any{"a": 1})             // unknown
	var n int
	_ = ns.Get(&n, nil)              // unknown
	st, _ := tx.Preparex("SELECT 1") // read
	_ = st.Get(&n)                   // unknown
	return err
}

func gormDerived(tx *gorm.DB) error {
	var n int64
	tx.Model(&struct{}{}).Association("Orders").Count() // read
	a := tx.Model(&struct{}{}).Association("Orders")    // pure
	_ = a.Append(&struct{}{})                           // write
	_ = tx.Migrator().HasTable("t")                     // read
	_ = tx.Migrator().DropTable("t")                    // write
	db, _ := tx.DB()                                    // escapes
	_ = db
	_ = tx.Table("t").Count(&n) // read
	return nil
}

// A value typed by a type parameter, got from the tx, may be the tx itself:
// what is done with it is done with the tx.
type unwrapper[T any] interface{ Unwrap(tx pgx.Tx) T }

type canceller[T any] interface{ Cancel(tx T, id int) error }

type keeper[T any] struct{ last T }

func typeParamHandle[T any](tx pgx.Tx, u unwrapper[T], c canceller[T], k *keeper[T]) error {
	inner := u.Unwrap(tx)     // unknown
	k.last = inner            // escapes
	return c.Cancel(inner, 1) // unknown
}
