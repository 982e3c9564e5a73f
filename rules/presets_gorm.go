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
	// gormReads run a statement and call no model hook: Scan and the Row
	// methods run the row callbacks, which call none, and Count's and
	// Pluck's destinations are the count and the column's values.
	gormReads  = []string{"Count", "Pluck", "Rows", "Row", "ScanRows", "Scan"}
	gormWrites = []string{
		// UpdateColumn and UpdateColumns set SkipHooks.
		"UpdateColumn", "UpdateColumns", "AutoMigrate",
	}
	gormChain = []string{
		"Where", "Or", "Not", "Table", "Select", "Omit", "Order", "Limit",
		"Offset", "Joins", "InnerJoins", "Preload", "Group", "Having", "Distinct",
		"Unscoped", "Session", "WithContext", "Debug", "Attrs", "Assign",
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

// GORM's model hooks, by the callbacks that call them on the statement's
// values with a session on its connection, so in the transaction (gorm
// v1.31 callbacks/query.go, create.go, update.go, delete.go).
var (
	gormFindHooks   = []string{"AfterFind"}
	gormCreateHooks = []string{"BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave"}
	gormUpdateHooks = []string{"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}
	gormDeleteHooks = []string{"BeforeDelete", "AfterDelete"}
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
		// The finders call AfterFind on what they scan into (argument 0).
		"Find": modelMethod(Read, gormFindHooks), "First": modelMethod(Read, gormFindHooks),
		"Take": modelMethod(Read, gormFindHooks), "Last": modelMethod(Read, gormFindHooks),
		"FirstOrInit": modelMethod(Read, gormFindHooks),
		"Create":      modelMethod(Write, gormCreateHooks), "CreateInBatches": modelMethod(Write, gormCreateHooks),
		// Save creates a value without a primary key and updates one with.
		"Save": modelMethod(Write, gormCreateHooks, gormUpdateHooks),
		// FirstOrCreate finds, then creates what it did not find or
		// updates what it found with Assign's values.
		"FirstOrCreate": modelMethod(Write, gormFindHooks, gormCreateHooks, gormUpdateHooks),
		"Delete":        modelMethod(Write, gormDeleteHooks),
		// An update's hooks are the statement's model's (update.go,
		// SetupUpdateReflectValue), named by Model(…) or by the values.
		"Update":  needsModel(modelMethod(Write, gormUpdateHooks)),
		"Updates": needsModel(modelMethod(Write, gormUpdateHooks)),
		"Model":   setsModel(aliasOf(fixed(Pure))),
		// A scope, and each batch of FindInBatches, is the caller's
		// function of the handle: it may do anything with it.
		"Scopes":        aliasOf(fixed(Unknown)),
		"FindInBatches": fixed(Unknown),
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

// setsModel marks a chain method naming the statement's model.
func setsModel(r MethodRule) MethodRule {
	r.SetsModel = true
	return r
}

// needsModel marks a call whose hooks are the statement's model's.
func needsModel(r MethodRule) MethodRule {
	r.NeedsModel = true
	return r
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
