package rules

import "maps"

const (
	pgxPkg     = "github.com/jackc/pgx/v5"
	pgxpoolPkg = "github.com/jackc/pgx/v5/pgxpool"
)

// pgxRunners are the statement methods that pgx.Tx, *pgx.Conn and the
// pgxpool types share.
func pgxRunners() map[string]MethodRule {
	return map[string]MethodRule{
		"Exec":      sqlAt(1),
		"Query":     sqlAt(1),
		"QueryRow":  sqlAt(1),
		"SendBatch": fixed(Unknown), // the batch is built elsewhere
		"CopyFrom":  fixed(Write),
		"Begin":     fixed(TxControl),
		"BeginTx":   fixed(TxControl),
	}
}

// pgxTxMethods extend the runners with the methods of a transaction.
func pgxTxMethods() map[string]MethodRule {
	m := pgxRunners()
	maps.Copy(m, map[string]MethodRule{
		"Commit":   fixed(TxControl),
		"Rollback": fixed(TxControl),
		// A prepared statement lives on the connection; later calls use it by name.
		"Prepare":      fixed(TxState),
		"LargeObjects": fixed(Unknown),
		// The raw connection can do anything to the transaction.
		"Conn": fixed(Escapes),
	})
	delete(m, "BeginTx")
	return m
}

func pgxPresets() []driverMethods {
	conn := pgxRunners()
	maps.Copy(conn, map[string]MethodRule{
		"Prepare":       fixed(TxState),
		"Deallocate":    fixed(TxState),
		"DeallocateAll": fixed(TxState),
		// Closing the connection ends whatever runs on it.
		"Close":    fixed(TxControl),
		"Config":   fixed(Pure),
		"IsClosed": fixed(Pure),
		"TypeMap":  fixed(Pure),
		// Loading types reads the catalog; a ping is a round trip.
		"LoadType":  fixed(Read),
		"LoadTypes": fixed(Read),
		"Ping":      fixed(Read),
		// The wire connection can do anything.
		"PgConn": fixed(Escapes),
		// Waiting for a notification holds the connection for as long as it takes.
		"WaitForNotification": fixed(Slow | Unknown),
	})
	poolConn := pgxRunners()
	poolConn["Conn"] = fixed(Escapes)
	poolConn["Hijack"] = fixed(Escapes)
	return []driverMethods{
		{pgxPkg + ".Tx", pgxTxMethods()},
		{pgxPkg + ".(*Conn)", conn},
		{pgxPkg, map[string]MethodRule{"BeginFunc": fixed(TxControl), "BeginTxFunc": fixed(TxControl)}},
		{pgxpoolPkg + ".(*Pool)", pgxRunners()},
		{pgxpoolPkg + ".(*Conn)", poolConn},
		{pgxpoolPkg + ".(*Tx)", pgxTxMethods()},
	}
}
