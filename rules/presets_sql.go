package rules

import "maps"

const (
	sqlPkg  = "database/sql"
	sqlxPkg = "github.com/jmoiron/sqlx"
)

// sqlRunners are the database/sql statement methods: the SQL text is
// argument 0, or 1 after the context. A prepared statement is a handle on
// the same transaction, and preparing counts as running its text.
func sqlRunners(withoutContext bool) map[string]MethodRule {
	m := map[string]MethodRule{
		"ExecContext":     sqlAt(1),
		"QueryContext":    sqlAt(1),
		"QueryRowContext": sqlAt(1),
		"PrepareContext":  aliasOf(sqlAt(1)),
		"BeginTx":         fixed(TxControl),
	}
	if withoutContext {
		maps.Copy(m, map[string]MethodRule{
			"Exec":     sqlAt(0),
			"Query":    sqlAt(0),
			"QueryRow": sqlAt(0),
			"Prepare":  aliasOf(sqlAt(0)),
			"Begin":    fixed(TxControl),
		})
	}
	return m
}

func sqlPresets() []driverMethods {
	tx := sqlRunners(true)
	delete(tx, "Begin")
	delete(tx, "BeginTx")
	maps.Copy(tx, map[string]MethodRule{
		"Commit":      fixed(TxControl),
		"Rollback":    fixed(TxControl),
		"Stmt":        aliasOf(fixed(Pure)),
		"StmtContext": aliasOf(fixed(Pure)),
	})
	db := sqlRunners(true)
	db["Conn"] = fixed(Unknown)
	conn := sqlRunners(false)
	conn["Raw"] = fixed(Escapes)
	conn["Close"] = fixed(TxControl) // returns the connection to the pool
	conn["PingContext"] = fixed(Read)
	// A statement's text was classified where it was prepared; what runs
	// here is not known from the call.
	stmt := map[string]MethodRule{
		"Exec": fixed(Unknown), "ExecContext": fixed(Unknown),
		"Query": fixed(Unknown), "QueryContext": fixed(Unknown),
		"QueryRow": fixed(Unknown), "QueryRowContext": fixed(Unknown),
		"Close": fixed(Pure),
	}
	return []driverMethods{
		{sqlPkg + ".(*Tx)", tx},
		{sqlPkg + ".(*DB)", db},
		{sqlPkg + ".(*Conn)", conn},
		{sqlPkg + ".(*Stmt)", stmt},
	}
}

// sqlxRunners are the sqlx extensions shared by *sqlx.Tx, *sqlx.DB and
// *sqlx.Conn (the Context variants; sqlx.Conn has no others).
func sqlxRunners(withoutContext bool) map[string]MethodRule {
	m := map[string]MethodRule{
		"GetContext":       sqlAt(2),
		"SelectContext":    sqlAt(2),
		"QueryxContext":    sqlAt(1),
		"QueryRowxContext": sqlAt(1),
		"PreparexContext":  aliasOf(sqlAt(1)),
		"Rebind":           fixed(Pure),
	}
	if withoutContext {
		maps.Copy(m, map[string]MethodRule{
			"Get": sqlAt(1), "Select": sqlAt(1),
			"Queryx": sqlAt(0), "QueryRowx": sqlAt(0),
			"NamedExec": sqlAt(0), "NamedQuery": sqlAt(0),
			"NamedExecContext": sqlAt(1), "NamedQueryContext": sqlAt(1),
			"MustExec": sqlAt(0), "MustExecContext": sqlAt(1),
			"Preparex":     aliasOf(sqlAt(0)),
			"PrepareNamed": aliasOf(sqlAt(0)), "PrepareNamedContext": aliasOf(sqlAt(1)),
			"BindNamed": fixed(Pure), "DriverName": fixed(Pure),
			"Unsafe": aliasOf(fixed(Pure)),
		})
	}
	return m
}

func sqlxPresets() []driverMethods {
	tx := sqlxRunners(true)
	delete(tx, "NamedQueryContext") // *sqlx.Tx has none
	maps.Copy(tx, map[string]MethodRule{
		"Stmtx": aliasOf(fixed(Pure)), "StmtxContext": aliasOf(fixed(Pure)),
		"NamedStmt": aliasOf(fixed(Pure)), "NamedStmtContext": aliasOf(fixed(Pure)),
	})
	db := sqlxRunners(true)
	maps.Copy(db, map[string]MethodRule{
		"Beginx": fixed(TxControl), "BeginTxx": fixed(TxControl),
		"MustBegin": fixed(TxControl), "MustBeginTx": fixed(TxControl),
		"Connx": fixed(Unknown),
	})
	conn := sqlxRunners(false)
	conn["BeginTxx"] = fixed(TxControl)
	// Package-level helpers take the handle as an argument before the text.
	funcs := map[string]MethodRule{
		"Get": sqlAt(2), "GetContext": sqlAt(3),
		"Select": sqlAt(2), "SelectContext": sqlAt(3),
		"NamedExec": sqlAt(1), "NamedExecContext": sqlAt(2),
		"NamedQuery": sqlAt(1), "NamedQueryContext": sqlAt(2),
		"MustExec": sqlAt(1), "MustExecContext": sqlAt(2),
		"Preparex": aliasOf(sqlAt(1)), "PreparexContext": aliasOf(sqlAt(2)),
		"In": fixed(Pure), "Named": fixed(Pure), "Rebind": fixed(Pure), "BindNamed": fixed(Pure),
	}
	return []driverMethods{
		{sqlxPkg + ".(*Tx)", tx},
		{sqlxPkg + ".(*DB)", db},
		{sqlxPkg + ".(*Conn)", conn},
		{sqlxPkg, funcs},
	}
}
