package rules

import (
	"go/token"
	"go/types"
)

// derivedPackages are the driver packages whose values, obtained from a
// transaction, stay tied to it: rows, prepared statements, batch results,
// large objects, command tags, GORM chains, pop queries.
var derivedPackages = map[string]bool{
	pgxPkg: true, pgxPkg + "/pgconn": true, pgxpoolPkg: true,
	sqlPkg: true, sqlxPkg: true, gormPkg: true, popPkg: true,
}

// IsDriverValue reports whether t is a value a driver hands out (a named
// type of a driver package, or a pointer to one, with exported methods):
// when it was obtained from a transaction, every method called on it is
// classified by a preset or is unknown. Values of other packages (pgtype
// scan targets, time, context) are not.
func IsDriverValue(t types.Type) bool {
	n := namedOf(t)
	if n == nil || n.Obj().Pkg() == nil || !derivedPackages[pkgPath(n.Obj().Pkg())] || !token.IsExported(n.Obj().Name()) {
		return false
	}
	ms := types.NewMethodSet(t)
	if !isPointer(t) && !types.IsInterface(t) {
		ms = types.NewMethodSet(types.NewPointer(t)) // a variable's methods include the pointer's
	}
	for i := range ms.Len() {
		if ms.At(i).Obj().Exported() {
			return true
		}
	}
	return false
}

// TxMethod is the rule for a method called on a transaction, an alias of
// it or a value obtained from it: the preset, else the generic rule of a
// querier method. Without one the call is unknown (unless its body is in
// the loaded code), which counts as a write.
func TxMethod(fn *types.Func) (MethodRule, bool) {
	if r, ok := Preset(fn); ok {
		return r, true
	}
	return GenericMethod(fn)
}
