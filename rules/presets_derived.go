package rules

// The values a transaction hands out (rows, results, command tags,
// prepared statements, batch results, large objects, GORM associations and
// migrators) are tied to it: every method called on one is classified here,
// or is unknown. Consuming rows a read already fetched is pure (the read is
// the call that produced them); running statements whose text is not in
// the call is unknown.

// pure lists method names whose calls are pure.
func pure(names ...string) map[string]MethodRule {
	m := map[string]MethodRule{}
	for _, n := range names {
		m[n] = fixed(Pure)
	}
	return m
}

// with adds rules of one effect to m.
func with(m map[string]MethodRule, r MethodRule, names ...string) map[string]MethodRule {
	for _, n := range names {
		m[n] = r
	}
	return m
}

func derivedPresets() []driverMethods {
	pgconnPkg := pgxPkg + "/pgconn"
	// Statements sent by name or queued elsewhere: what runs is not in the call.
	sqlStmtRuns := []string{"Exec", "ExecContext", "Query", "QueryContext", "QueryRow", "QueryRowContext"}
	sqlxStmtRuns := []string{
		"Get", "GetContext", "Select", "SelectContext", "MustExec", "MustExecContext",
		"Queryx", "QueryxContext", "QueryRowx", "QueryRowxContext",
	}
	sqlRows := []string{"Close", "ColumnTypes", "Columns", "Err", "Next", "NextResultSet", "Scan"}
	return []driverMethods{
		// pgx
		{pgxPkg + ".Rows", with(pure("Close", "CommandTag", "Err", "FieldDescriptions", "Next", "RawValues", "Scan", "Values", "TypeMap"),
			fixed(Escapes), "Conn")},
		{pgxPkg + ".Row", pure("Scan")},
		{pgxPkg + ".BatchResults", with(with(pure("Close"),
			fixed(Unknown), "Exec", "Query", "QueryRow"), // the batch was queued elsewhere
			fixed(TxControl), "Tx")}, // a transaction the batch began
		{pgxPkg + ".(*LargeObjects)", with(with(map[string]MethodRule{},
			fixed(Write), "Create", "Unlink"),
			fixed(Unknown), "Open")}, // the mode decides; the object's methods are classified too
		{pgxPkg + ".(*LargeObject)", with(with(pure("Close", "Tell"),
			fixed(Read), "Read", "Seek"),
			fixed(Write), "Write", "Truncate")},
		{pgxPkg + ".(*ConnConfig)", pure("ConnString", "Copy")},
		{pgconnPkg + ".CommandTag", pure("Delete", "Insert", "RowsAffected", "Select", "String", "Update")},
		// database/sql
		{sqlPkg + ".Result", pure("LastInsertId", "RowsAffected")},
		{sqlPkg + ".(*Rows)", pure(sqlRows...)},
		{sqlPkg + ".(*Row)", pure("Err", "Scan")},
		// sqlx
		{sqlxPkg + ".(*Rows)", pure("MapScan", "SliceScan", "StructScan")},
		{sqlxPkg + ".(*Row)", pure("ColumnTypes", "Columns", "Err", "MapScan", "Scan", "SliceScan", "StructScan")},
		{sqlxPkg + ".(*Stmt)", with(map[string]MethodRule{"Unsafe": aliasOf(fixed(Pure))}, fixed(Unknown), sqlxStmtRuns...)},
		// A named statement declares its own runners; *sqlx.Stmt's are database/sql's.
		{sqlxPkg + ".(*NamedStmt)", with(map[string]MethodRule{"Unsafe": aliasOf(fixed(Pure)), "Close": fixed(Pure)},
			fixed(Unknown), append(sqlxStmtRuns, sqlStmtRuns...)...)},
		// GORM
		{gormPkg + ".(*Association)", with(with(map[string]MethodRule{"Unscoped": aliasOf(fixed(Pure))},
			fixed(Read), "Find", "Count"),
			fixed(Write), "Append", "Replace", "Delete", "Clear")},
		{gormPkg + ".Migrator", with(with(pure("FullDataTypeOf"),
			fixed(Read), "ColumnTypes", "CurrentDatabase", "GetIndexes", "GetTables", "GetTypeAliases",
			"HasColumn", "HasConstraint", "HasIndex", "HasTable", "TableType"),
			fixed(Write), "AddColumn", "AlterColumn", "AutoMigrate", "CreateConstraint", "CreateIndex", "CreateTable",
			"CreateView", "DropColumn", "DropConstraint", "DropIndex", "DropTable", "DropView", "MigrateColumn",
			"MigrateColumnUnique", "RenameColumn", "RenameIndex", "RenameTable")},
		{gormPkg + ".TableType", pure("Comment", "Name", "Schema", "Type")},
	}
}
