// Package localsql holds callback bodies for TestLocalSQLEffects: SQL text
// in local variables is read when the variable has one value only, and is
// unknown (a write) otherwise. The comment after each statement is the
// effect it must get.
package localsql

import "github.com/jmoiron/sqlx"

const base = "SELECT total FROM invoices"

func declared(tx *sqlx.Tx, id string) error {
	var total int
	q := "SELECT total FROM invoices WHERE id = $1" // pure
	return tx.Get(&total, q, id)                    // read
}

func concatenated(tx *sqlx.Tx, id string) error {
	var total int
	q := base + " WHERE id = $1"   // pure
	one := q + " LIMIT 1"          // pure
	return tx.Get(&total, one, id) // read
}

func varDecl(tx *sqlx.Tx) error {
	var q = "UPDATE invoices SET total = 0" // pure
	_, err := tx.Exec(q)                    // write
	return err
}

func reassigned(tx *sqlx.Tx, id string, locked bool) error {
	var total int
	q := base + " WHERE id = $1" // pure
	if locked {                  // pure
		q = q + " FOR UPDATE"
	}
	return tx.Get(&total, q, id) // unknown
}

func appended(tx *sqlx.Tx, id string) error {
	var total int
	q := base // pure
	q += " WHERE id = $1"
	return tx.Get(&total, q, id) // unknown
}

func inLoop(tx *sqlx.Tx, ids []string) error {
	for _, id := range ids { // unknown
		var total int
		q := base + " WHERE id = $1"
		if err := tx.Get(&total, q, id); err != nil {
			return err
		}
	}
	return nil
}

func addressTaken(tx *sqlx.Tx, id string) error {
	var total int
	q := base + " WHERE id = $1" // pure
	edit(&q)
	return tx.Get(&total, q, id) // unknown
}

func edit(q *string) { *q = "DELETE FROM invoices" }
