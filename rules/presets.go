package rules

import "go/types"

// MethodRule is the effect of a driver method called on a transaction
// handle or an alias of it. For package-level functions (sqlx.Get) the
// handle is one of the arguments.
type MethodRule struct {
	Effect  Effect // used when SQLArg < 0
	SQLArg  int    // index into the call's arguments of the SQL text (ctx counts), -1 if none; the call's effect is ClassifySQL of the constant
	Default Effect // effect when SQLArg >= 0 but the text is not a constant
	Alias   bool   // the result is a handle on the same transaction, so calls on it keep being classified
	// Hooks are the methods of the model that the library calls with the
	// transaction (pop's AfterFind, BeforeCreate…): their effects are the
	// call's too. The model is argument 0, and what a SetsModel call in
	// the receiver's chain names.
	Hooks []string
	// SetsModel marks a chain method that names the model of the statement
	// a later call runs (GORM's Model(&m)).
	SetsModel bool
	// NeedsModel marks a call whose hooks are the statement's model's and
	// whose argument 0 need not be a model (GORM's Update: a column): when
	// neither it nor the chain names one, the model was named where the
	// handle was made, out of sight, and the effect is unknown.
	NeedsModel bool
}

// CallEffect is the effect of a call under the rule; sql is the constant
// SQL text of argument SQLArg, and ok tells whether it is a constant.
func (r MethodRule) CallEffect(sql string, ok bool) Effect {
	switch {
	case r.SQLArg < 0:
		return r.Effect
	case !ok:
		return r.Default
	default:
		return ClassifySQL(sql).Effect
	}
}

// Preset returns the built-in rule for fn, keyed by FuncName: methods of
// pgx v5, pgxpool, database/sql, sqlx, GORM and gobuffalo/pop handles. Methods promoted
// through embedding (sqlx.Tx's Exec is database/sql's) are found under the
// type that declares them.
func Preset(fn *types.Func) (MethodRule, bool) {
	r, ok := presets[FuncName(fn)]
	return r, ok
}

// PresetNames lists the names of every preset, for tests and documentation.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for name := range presets {
		names = append(names, name)
	}
	return names
}

// fixed is a method whose effect does not depend on SQL text.
func fixed(e Effect) MethodRule { return MethodRule{Effect: e, SQLArg: -1} }

// sqlAt is a method running the SQL text of argument i.
func sqlAt(i int) MethodRule { return MethodRule{SQLArg: i, Default: Unknown} }

// modelMethod is a method that runs its statement for a model and calls
// the model's callbacks (MethodRule.Hooks).
func modelMethod(e Effect, hooks ...[]string) MethodRule {
	r := fixed(e)
	for _, h := range hooks {
		r.Hooks = append(r.Hooks, h...)
	}
	return r
}

// aliasOf marks the result of a method as a handle on the same transaction.
func aliasOf(r MethodRule) MethodRule {
	r.Alias = true
	return r
}

// driverMethods are the presets of one type, by method name.
type driverMethods struct {
	recv    string // "importpath.T", "importpath.(*T)" or "importpath" for functions
	methods map[string]MethodRule
}

var presets = buildPresets(
	pgxPresets(), sqlPresets(), sqlxPresets(), gormPresets(), popPresets(), derivedPresets(),
)

func buildPresets(groups ...[]driverMethods) map[string]MethodRule {
	m := map[string]MethodRule{}
	for _, group := range groups {
		for _, d := range group {
			for name, r := range d.methods {
				m[d.recv+"."+name] = r
			}
		}
	}
	return m
}
