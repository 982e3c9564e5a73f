package rules

import (
	"go/types"
	"strings"
)

// genericRunners are the statement method names (without a Context or Ctx
// suffix) that querier interfaces copy from the drivers.
var genericRunners = map[string]bool{
	"Exec": true, "Query": true, "QueryRow": true, "Queryx": true, "QueryRowx": true,
	"Get": true, "Select": true, "NamedExec": true, "NamedQuery": true, "MustExec": true,
}

// genericTxControl are the method names that control the transaction.
var genericTxControl = map[string]bool{
	"Begin": true, "BeginTx": true, "Beginx": true, "BeginTxx": true,
	"Commit": true, "Rollback": true, "SavePoint": true, "Savepoint": true, "RollbackTo": true,
}

// GenericMethod classifies a method that has no preset, typically of a
// project's own querier interface (`q Querier` with
// Exec/Query/QueryRow(ctx, sql string, args ...any)), from its name and
// signature: a statement method with a string parameter runs the SQL text
// of that parameter; Begin*/Commit/Rollback/savepoints are TxControl.
// Names are matched exactly, with an optional Context/Ctx suffix, so that
// store methods such as GetCustomer(ctx, id string) are not taken for SQL.
func GenericMethod(fn *types.Func) (MethodRule, bool) {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return MethodRule{}, false
	}
	if genericTxControl[fn.Name()] {
		return fixed(TxControl), true
	}
	base := strings.TrimSuffix(strings.TrimSuffix(fn.Name(), "Context"), "Ctx")
	if !genericRunners[base] {
		return MethodRule{}, false
	}
	for i := range sig.Params().Len() {
		if b, ok := sig.Params().At(i).Type().Underlying().(*types.Basic); ok && b.Kind() == types.String {
			return sqlAt(i), true
		}
	}
	return MethodRule{}, false
}
