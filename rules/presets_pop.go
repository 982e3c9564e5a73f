package rules

const popPkg = "github.com/gobuffalo/pop/v6"

// pop's model callbacks, by the methods that call them on the model they
// get (read from pop v6's finders.go, executors.go and validations.go).
// Each takes the connection the call runs on, so a callback's body is part
// of the call's effect.
var (
	popFindHooks     = []string{"AfterFind", "AfterEagerFind"}
	popValidateHooks = []string{"BeforeValidate", "BeforeValidations", "Validate"}
	popCreateHooks   = []string{"BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave"}
	popUpdateHooks   = []string{"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}
	popSaveHooks     = []string{"BeforeSave", "BeforeCreate", "BeforeUpdate", "AfterCreate", "AfterUpdate", "AfterSave"}
	popDestroyHooks  = []string{"BeforeDestroy", "AfterDestroy"}
)

// popQueryMethods are what *pop.Connection and *pop.Query share: the
// statement builders return a query on the same connection (so on the same
// transaction) and run nothing; the finders and writers run it.
func popQueryMethods() map[string]MethodRule {
	m := map[string]MethodRule{
		"All": modelMethod(Read, popFindHooks), "First": modelMethod(Read, popFindHooks),
		"Last": modelMethod(Read, popFindHooks), "Find": modelMethod(Read, popFindHooks),
		// The statement is the text given here; Exec and the finders run it.
		"RawQuery": aliasOf(sqlAt(0)),
		// A scope is the caller's function of the query: it may do anything with it.
		"Scope": aliasOf(fixed(Unknown)),
	}
	for _, name := range []string{
		"Where", "Order", "Limit", "Paginate", "PaginateFromParams", "Select", "Eager", "EagerPreload",
		"BelongsTo", "BelongsToAs", "BelongsToThrough",
	} {
		m[name] = aliasOf(fixed(Pure))
	}
	return m
}

func popPresets() []driverMethods {
	conn := popQueryMethods()
	for name, r := range map[string]MethodRule{
		"Q": aliasOf(fixed(Pure)), "WithContext": aliasOf(fixed(Pure)),
		"Count": fixed(Read),
		// Reload finds the model again; Load finds its associations, whose
		// callbacks run as well.
		"Reload": modelMethod(Read, popFindHooks), "Load": modelMethod(Read, popFindHooks),
		"Create": modelMethod(Write, popCreateHooks), "ValidateAndCreate": modelMethod(Write, popValidateHooks, popCreateHooks, []string{"ValidateCreate"}),
		"Update": modelMethod(Write, popUpdateHooks), "UpdateColumns": modelMethod(Write, popUpdateHooks),
		"ValidateAndUpdate": modelMethod(Write, popValidateHooks, popUpdateHooks, []string{"ValidateUpdate"}),
		"Save":              modelMethod(Write, popSaveHooks), "ValidateAndSave": modelMethod(Write, popValidateHooks, popSaveHooks, []string{"ValidateSave"}),
		"Destroy":     modelMethod(Write, popDestroyHooks),
		"TruncateAll": fixed(Write),
		"Context":     fixed(Pure), "String": fixed(Pure), "URL": fixed(Pure),
		"MigrationURL": fixed(Pure), "MigrationTableName": fixed(Pure),
		// Transaction, NewTransaction… begin (or, nested, reuse and end) a
		// transaction; Rollback begins one it rolls back; Open and Close
		// manage the store.
		"Transaction": fixed(TxControl), "NewTransaction": fixed(TxControl), "NewTransactionContext": fixed(TxControl),
		"NewTransactionContextOptions": fixed(TxControl), "Rollback": fixed(TxControl),
		"Open": fixed(TxControl), "Close": fixed(TxControl),
	} {
		conn[name] = r
	}
	query := popQueryMethods()
	for name, r := range map[string]MethodRule{
		"Join": aliasOf(fixed(Pure)), "InnerJoin": aliasOf(fixed(Pure)), "LeftJoin": aliasOf(fixed(Pure)),
		"LeftOuterJoin": aliasOf(fixed(Pure)), "RightJoin": aliasOf(fixed(Pure)), "RightOuterJoin": aliasOf(fixed(Pure)),
		"GroupBy": aliasOf(fixed(Pure)), "Having": aliasOf(fixed(Pure)),
		"Exists": fixed(Read),
		// What Exec runs was given to RawQuery, which is classified by its
		// text where it is called; the query may come from anywhere.
		"Exec": fixed(Unknown), "ExecWithCount": fixed(Unknown),
		"Delete":      modelMethod(Write, popDestroyHooks),
		"UpdateQuery": fixed(Write), // runs no callbacks (pop's documentation)
		// Clone hands the query's connection to another query.
		"Clone": fixed(Unknown),
	} {
		query[name] = r
	}
	return []driverMethods{
		{popPkg + ".(*Connection)", conn},
		{popPkg + ".(*Query)", query},
		// Declared on the value; ToSQL only formats the statement.
		{popPkg + ".Query", map[string]MethodRule{"Count": fixed(Read), "CountByField": fixed(Read), "ToSQL": fixed(Pure)}},
		{popPkg, map[string]MethodRule{"Q": aliasOf(fixed(Pure))}},
	}
}
