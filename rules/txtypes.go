package rules

import "go/types"

// typeName is a named type, or a pointer to it when ptr is set.
type typeName struct {
	pkg, name string
	ptr       bool
}

// txTypes are the transaction handles of the supported drivers. *gorm.DB
// and *pop.Connection are both a transaction and a pool: only where they
// come from tells.
var txTypes = []typeName{
	{pgxPkg, "Tx", false},
	{pgxpoolPkg, "Tx", true},
	{sqlPkg, "Tx", true},
	{sqlxPkg, "Tx", true},
	{gormPkg, "DB", true},
	{popPkg, "Connection", true},
}

// poolTypes are the handles that take a connection of their own: pools, and
// connections outside any transaction.
var poolTypes = []typeName{
	{pgxpoolPkg, "Pool", true},
	{pgxpoolPkg, "Conn", true},
	{pgxPkg, "Conn", true},
	{sqlPkg, "DB", true},
	{sqlPkg, "Conn", true},
	{sqlxPkg, "DB", true},
	{sqlxPkg, "Conn", true},
}

// selfPooled are the transaction handles whose pool is a handle of the
// same type: a *pop.Connection or a *gorm.DB outside a transaction runs
// each statement on its pool.
var selfPooled = []typeName{{popPkg, "Connection", true}, {gormPkg, "DB", true}}

// IsSelfPooled reports whether the pooled handle for a transaction of type
// t has type t: every helper and method the tx serves, it serves too.
func IsSelfPooled(t types.Type) bool { return isOneOf(t, selfPooled) }

// IsTxType reports whether t is a transaction handle: pgx.Tx, *pgxpool.Tx,
// *sql.Tx, *sqlx.Tx, *gorm.DB or *pop.Connection.
func IsTxType(t types.Type) bool { return isOneOf(t, txTypes) }

// IsPoolType reports whether t is a handle that acquires a connection of its
// own: *pgxpool.Pool, *pgxpool.Conn, *pgx.Conn, *sql.DB, *sql.Conn,
// *sqlx.DB, *sqlx.Conn.
func IsPoolType(t types.Type) bool { return isOneOf(t, poolTypes) }

// isOneOf matches t by package path and type name, never by printed string.
func isOneOf(t types.Type, names []typeName) bool {
	if t == nil {
		return false
	}
	t = types.Unalias(t)
	ptr := false
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = types.Unalias(p.Elem()), true
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	path, name := pkgPath(n.Obj().Pkg()), n.Obj().Name()
	for _, tn := range names {
		if tn.pkg == path && tn.name == name && tn.ptr == ptr {
			return true
		}
	}
	return false
}

// withTxNames are the method names that rebind a store to a transaction.
var withTxNames = map[string]bool{"WithTx": true, "WithTX": true, "WithTransaction": true}

// IsWithTx reports whether fn rebinds its receiver to a transaction and
// returns a handle of the receiver's own type: sqlc's
// `func (q *Queries) WithTx(tx pgx.Tx) *Queries` and repositories written
// like it. Its result is an alias of the transaction.
func IsWithTx(fn *types.Func) bool {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil || !withTxNames[fn.Name()] {
		return false
	}
	if sig.Params().Len() != 1 || !IsTxType(sig.Params().At(0).Type()) {
		return false
	}
	return sig.Results().Len() == 1 && types.Identical(sig.Results().At(0).Type(), sig.Recv().Type())
}

// IsHandleConstructor reports whether fn has the shape of sqlc's
// `func New(db DBTX) *Queries`: a package-level function taking one
// interface parameter and returning a pointer to a struct of its own
// package. Called with a transaction, its result is an alias of it.
func IsHandleConstructor(fn *types.Func) bool {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() != nil || sig.Params().Len() != 1 || sig.Results().Len() != 1 {
		return false
	}
	if !types.IsInterface(sig.Params().At(0).Type()) {
		return false
	}
	n := namedOf(sig.Results().At(0).Type())
	if n == nil || !isPointer(sig.Results().At(0).Type()) || n.Obj().Pkg() != fn.Pkg() {
		return false
	}
	_, isStruct := n.Underlying().(*types.Struct)
	return isStruct
}

func isPointer(t types.Type) bool {
	_, ok := types.Unalias(t).(*types.Pointer)
	return ok
}
