package rules

import "go/types"

// WrapperContract is what a library's transaction wrapper does with its
// callback, read once from the library's source and stated here, since its
// body is not in the code txscope loads. Narrowing relies on it.
type WrapperContract struct {
	// RollsBack: a non-nil error from the callback rolls the transaction
	// back, and the wrapper returns it.
	RollsBack bool
	// Commits: a nil error commits.
	Commits bool
	// Pool is the handle the transaction begins on, over {recv} and {argN}.
	Pool string
	// EndsOuter: when Pool is already in a transaction the wrapper begins
	// none; the callback runs in the outer one, and the commit or rollback
	// above ends that outer transaction.
	EndsOuter bool
	// Source says where the contract was read, for the report.
	Source string
}

// libraryWrappers are the contracts by FuncName.
var libraryWrappers = map[string]WrapperContract{
	// pop v6 connection.go: Transaction calls NewTransaction, which returns
	// the connection itself when its TX is set, then rolls cn.TX back on a
	// callback error (or panic) and commits it otherwise — the outer
	// transaction's TX, when nested. A failed commit or rollback is
	// returned in place of the callback's result. No error commits.
	popPkg + ".(*Connection).Transaction": {
		RollsBack: true, Commits: true, Pool: "{recv}", EndsOuter: true,
		Source: "gobuffalo/pop v6 (*Connection).Transaction",
	},
	// GORM v1.31 finisher_api.go: Transaction begins on the receiver, rolls
	// back when the callback fails or panics and commits on nil (a failed
	// commit is returned). Inside a transaction it runs the callback in it,
	// behind a savepoint it rolls back to on error, and ends nothing. The
	// callback's tx is a session (Begin: getInstance().Session(…)), so the
	// pooled handle is a session of the receiver (plan's gormSession).
	gormPkg + ".(*DB).Transaction": {
		RollsBack: true, Commits: true, Pool: "{recv}",
		Source: "gorm v1.31 (*DB).Transaction",
	},
	// pgx v5 tx.go: BeginFunc and BeginTxFunc begin on db (a savepoint when
	// db is a Tx), roll back when fn fails and commit on nil.
	pgxPkg + ".BeginFunc": {
		RollsBack: true, Commits: true, Pool: "{arg1}",
		Source: "pgx v5 BeginFunc",
	},
	pgxPkg + ".BeginTxFunc": {
		RollsBack: true, Commits: true, Pool: "{arg1}",
		Source: "pgx v5 BeginTxFunc",
	},
}

// LibraryWrapper returns the contract of a library's transaction wrapper.
func LibraryWrapper(fn *types.Func) (WrapperContract, bool) {
	c, ok := libraryWrappers[FuncName(fn)]
	return c, ok
}

// RollsBackCallback reports whether the library function fn runs a
// callback in a transaction that it rolls back when the callback returns
// an error, returning that error (or a failed rollback's), and commits
// on nil: a wrapper that runs its own callback in one inherits that.
func RollsBackCallback(fn *types.Func) bool {
	c, ok := LibraryWrapper(fn)
	return ok && c.RollsBack && c.Commits
}

// freshConnections are the functions whose result is a connection outside
// any transaction: pop's constructors.
var freshConnections = map[string]bool{
	popPkg + ".Connect":       true,
	popPkg + ".NewConnection": true,
}

// IsFreshConnection reports whether fn returns a connection that is in no
// transaction (pop.Connect, pop.NewConnection).
func IsFreshConnection(fn *types.Func) bool { return freshConnections[FuncName(fn)] }

// gormSessions are the methods whose result is a GORM session, a handle
// whose every call starts from a copy of its statement, as the tx
// Transaction hands its callback (gorm v1.31 gorm.go: WithContext and
// Debug end in Session; Session's result is one unless its config sets
// Initialized).
var gormSessions = map[string]bool{
	gormPkg + ".(*DB).WithContext": true,
	gormPkg + ".(*DB).Debug":       true,
	gormPkg + ".(*DB).Session":     true,
}

// IsGormSession reports whether fn is one of GORM's methods whose result is
// a session (for Session, unless its config sets Initialized).
func IsGormSession(fn *types.Func) bool { return gormSessions[FuncName(fn)] }
