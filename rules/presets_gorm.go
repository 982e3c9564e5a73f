package rules

import "go/types"

const (
	gormPkg       = "gorm.io/gorm"
	gormClausePkg = "gorm.io/gorm/clause"
)

// GORM method names by effect. Chain methods only build the statement that
// a finisher runs, so they are pure and return a handle on the same
// transaction.
var (
	gormReads = []string{
		"Find", "FindInBatches", "First", "Take", "Last", "FirstOrInit",
		"Scan", "Count", "Pluck", "Rows", "Row", "ScanRows",
	}
	gormWrites = []string{
		"Create", "CreateInBatches", "Save", "Update", "Updates", "UpdateColumn",
		"UpdateColumns", "Delete", "FirstOrCreate", "AutoMigrate",
	}
	gormChain = []string{
		"Where", "Or", "Not", "Model", "Table", "Select", "Omit", "Order", "Limit",
		"Offset", "Joins", "InnerJoins", "Preload", "Group", "Having", "Distinct",
		"Unscoped", "Session", "WithContext", "Debug", "Scopes", "Attrs", "Assign",
		"Set", "InstanceSet", "MapColumns",
		// An association only names the relation; its methods run the statements.
		"Association",
	}
	// gormPure are helpers that read settings or format SQL and run nothing.
	gormPure = []string{"Get", "InstanceGet", "AddError", "ToSQL"}
	// gormSetup changes the *gorm.DB's configuration, callbacks or plugins,
	// for every later user of it: unknown.
	gormSetup     = []string{"Callback", "SetupJoinTable", "Use"}
	gormTxControl = []string{
		"Begin", "Commit", "Rollback", "SavePoint", "RollbackTo", "Transaction", "Connection",
	}
)

func gormPresets() []driverMethods {
	m := map[string]MethodRule{
		"Exec": sqlAt(0),
		// Raw only builds the statement; its text decides what the finisher does.
		"Raw": aliasOf(sqlAt(0)),
		// Clauses may add FOR UPDATE (clause.Locking) or anything else:
		// unknown here, refined by the caller with ClausesEffect.
		"Clauses": aliasOf(fixed(Unknown)),
		// The migrator's methods are classified (DDL writes, catalog reads).
		"Migrator": fixed(Pure),
		// The *sql.DB behind the handle is a pool of its own.
		"DB": fixed(Escapes),
	}
	for _, group := range []struct {
		names []string
		rule  MethodRule
	}{
		{gormReads, fixed(Read)},
		{gormWrites, fixed(Write)},
		{gormChain, aliasOf(fixed(Pure))},
		{gormTxControl, fixed(TxControl)},
		{gormPure, fixed(Pure)},
		{gormSetup, fixed(Unknown)},
	} {
		for _, name := range group.names {
			m[name] = group.rule
		}
	}
	return []driverMethods{
		{gormPkg + ".(*DB)", m},
		// Promoted from the embedded *Config and its Dialector.
		{gormPkg + ".(*Config)", with(map[string]MethodRule{}, fixed(Unknown), "AfterInitialize", "Apply")},
		{gormPkg + ".Dialector", with(pure("BindVarTo", "DataTypeOf", "DefaultValueOf", "Explain", "Name", "QuoteTo"),
			fixed(Unknown), "Initialize", "Migrator")},
	}
}

// ClausesEffect refines the preset of gorm's (*DB).Clauses from the types of
// its arguments: Locking when one is a clause.Locking (FOR UPDATE/SHARE),
// Unknown when one is not a gorm clause type (raw expressions), else Pure.
func ClausesEffect(args []types.Type) Effect {
	e := Pure
	for _, t := range args {
		n := namedOf(t)
		switch {
		case n == nil || n.Obj().Pkg() == nil || pkgPath(n.Obj().Pkg()) != gormClausePkg:
			e |= Unknown
		case n.Obj().Name() == "Locking":
			e |= Locking
		case n.Obj().Name() == "Expr" || n.Obj().Name() == "NamedExpr":
			e |= Unknown
		}
	}
	return e
}

// namedOf returns the named type of t or of what t points to.
func namedOf(t types.Type) *types.Named {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	n, _ := t.(*types.Named)
	return n
}
