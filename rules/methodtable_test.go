package rules

import (
	"fmt"
	"go/types"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// txMethodTable is the expected effect of every exported method of the
// transaction handles and of every driver value a method of one hands out
// (followed transitively, except past methods that hand the tx off), by
// type and effect: "sqlN" runs the SQL text of argument N (unknown when it
// is not a constant), "none" has no rule (unknown, unless its body is in
// the loaded code). The method sets come from the real packages: a method
// or a returned type a library adds fails TestTxMethodTable until it is
// listed here with its effect.
var txMethodTable = map[string]map[string]string{
	"github.com/jackc/pgx/v5.Tx": {
		"sql1": "Exec Query QueryRow", "write": "CopyFrom", "unknown": "LargeObjects SendBatch",
		"txstate": "Prepare", "txcontrol": "Begin Commit Rollback", "escapes": "Conn",
	},
	"*github.com/jackc/pgx/v5/pgxpool.Tx": {
		"sql1": "Exec Query QueryRow", "write": "CopyFrom", "unknown": "LargeObjects SendBatch",
		"txstate": "Prepare", "txcontrol": "Begin Commit Rollback", "escapes": "Conn",
	},
	"*github.com/jackc/pgx/v5.Conn": {
		"pure": "Config IsClosed TypeMap", "read": "LoadType LoadTypes Ping", "sql1": "Exec Query QueryRow",
		"write": "CopyFrom", "unknown": "SendBatch", "slow+unknown": "WaitForNotification",
		"txstate": "Deallocate DeallocateAll Prepare", "txcontrol": "Begin BeginTx Close", "escapes": "PgConn",
	},
	"*github.com/jackc/pgx/v5.ConnConfig": {"pure": "ConnString Copy"},
	"github.com/jackc/pgx/v5.Rows": {
		"pure": "Close CommandTag Err FieldDescriptions Next RawValues Scan TypeMap Values", "escapes": "Conn",
	},
	"github.com/jackc/pgx/v5.Row":               {"pure": "Scan"},
	"github.com/jackc/pgx/v5.BatchResults":      {"pure": "Close", "unknown": "Exec Query QueryRow", "txcontrol": "Tx"},
	"github.com/jackc/pgx/v5.LargeObjects":      {"write": "Create Unlink", "unknown": "Open"},
	"*github.com/jackc/pgx/v5.LargeObject":      {"pure": "Close Tell", "read": "Read Seek", "write": "Truncate Write"},
	"github.com/jackc/pgx/v5/pgconn.CommandTag": {"pure": "Delete Insert RowsAffected Select String Update"},
	"*database/sql.Tx": {
		"sql0": "Exec Prepare Query QueryRow", "sql1": "ExecContext PrepareContext QueryContext QueryRowContext",
		"pure": "Stmt StmtContext", "txcontrol": "Commit Rollback",
	},
	"*database/sql.Conn": {
		"sql1": "ExecContext PrepareContext QueryContext QueryRowContext", "read": "PingContext",
		"txcontrol": "BeginTx Close", "escapes": "Raw",
	},
	"database/sql.Result": {"pure": "LastInsertId RowsAffected"},
	"*database/sql.Stmt":  {"pure": "Close", "unknown": "Exec ExecContext Query QueryContext QueryRow QueryRowContext"},
	"*database/sql.Rows":  {"pure": "Close ColumnTypes Columns Err Next NextResultSet Scan"},
	"*database/sql.Row":   {"pure": "Err Scan"},
	"*github.com/jmoiron/sqlx.Tx": {
		"sql0": "Exec MustExec NamedExec NamedQuery Prepare PrepareNamed Preparex Query QueryRow QueryRowx Queryx",
		"sql1": "ExecContext Get MustExecContext NamedExecContext PrepareContext PrepareNamedContext PreparexContext " +
			"QueryContext QueryRowContext QueryRowxContext QueryxContext Select",
		"sql2":      "GetContext SelectContext",
		"pure":      "BindNamed DriverName NamedStmt NamedStmtContext Rebind Stmt StmtContext Stmtx StmtxContext Unsafe",
		"txcontrol": "Commit Rollback",
	},
	"*github.com/jmoiron/sqlx.Rows": {"pure": "Close ColumnTypes Columns Err MapScan Next NextResultSet Scan SliceScan StructScan"},
	"*github.com/jmoiron/sqlx.Row":  {"pure": "ColumnTypes Columns Err MapScan Scan SliceScan StructScan"},
	"*github.com/jmoiron/sqlx.Stmt": {
		"pure": "Close Unsafe",
		"unknown": "Exec ExecContext Get GetContext MustExec MustExecContext Query QueryContext QueryRow QueryRowContext " +
			"QueryRowx QueryRowxContext Queryx QueryxContext Select SelectContext",
	},
	"*github.com/jmoiron/sqlx.NamedStmt": {
		"pure": "Close Unsafe",
		"unknown": "Exec ExecContext Get GetContext MustExec MustExecContext Query QueryContext QueryRow QueryRowContext " +
			"QueryRowx QueryRowxContext Queryx QueryxContext Select SelectContext",
	},
	"*gorm.io/gorm.DB": {
		"pure": "AddError Assign Association Attrs BindVarTo DataTypeOf Debug DefaultValueOf Distinct Explain Get Group " +
			"Having InnerJoins InstanceGet InstanceSet Joins Limit MapColumns Migrator Model Name Not Offset Omit Or " +
			"Order Preload QuoteTo Select Session Set Table ToSQL Unscoped Where WithContext",
		"read":        "Count Pluck Row Rows Scan ScanRows",
		"read+hooks":  "Find First FirstOrInit Last Take",
		"write":       "AutoMigrate UpdateColumn UpdateColumns",
		"write+hooks": "Create CreateInBatches Delete FirstOrCreate Save Update Updates",
		"sql0":        "Exec Raw",
		"unknown":     "AfterInitialize Apply Callback Clauses FindInBatches Initialize Scopes SetupJoinTable Use",
		"txcontrol":   "Begin Commit Connection Rollback RollbackTo SavePoint Transaction",
		"escapes":     "DB",
	},
	"*gorm.io/gorm.Association": {"pure": "Unscoped", "read": "Count Find", "write": "Append Clear Delete Replace"},
	"gorm.io/gorm.Migrator": {
		"pure": "FullDataTypeOf",
		"read": "ColumnTypes CurrentDatabase GetIndexes GetTables GetTypeAliases HasColumn HasConstraint HasIndex HasTable TableType",
		"write": "AddColumn AlterColumn AutoMigrate CreateConstraint CreateIndex CreateTable CreateView DropColumn " +
			"DropConstraint DropIndex DropTable DropView MigrateColumn MigrateColumnUnique RenameColumn RenameIndex RenameTable",
	},
	"gorm.io/gorm.TableType": {"pure": "Comment Name Schema Type"},
}

// TestTxMethodTable enumerates, with go/types on the real driver packages,
// the methods of every transaction handle (txTypes), of *pgx.Conn and
// *sql.Conn, and of every driver value their methods return, and checks
// the effect TxMethod gives each against txMethodTable. Nothing obtained
// from the tx is pure unless a rule says so.
func TestTxMethodTable(t *testing.T) {
	paths := []string{pgxPkg, pgxpoolPkg, sqlPkg, sqlxPkg, gormPkg}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes}, paths...)
	require.NoError(t, err)
	byPath := map[string]*types.Package{}
	for _, p := range pkgs {
		require.Empty(t, p.Errors, p.PkgPath)
		byPath[p.PkgPath] = p.Types
	}
	lookup := func(tn typeName) types.Type {
		obj := byPath[tn.pkg].Scope().Lookup(tn.name)
		require.NotNil(t, obj, tn.pkg+"."+tn.name)
		if tn.ptr {
			return types.NewPointer(obj.Type())
		}
		return obj.Type()
	}
	var roots []types.Type
	for _, tn := range append(slices.Clone(txTypes), typeName{pgxPkg, "Conn", true}, typeName{sqlPkg, "Conn", true}) {
		if tn.pkg != popPkg { // TestPopMethodTable: pop is not a dependency of this module
			roots = append(roots, lookup(tn))
		}
	}
	assertMethodTable(t, txMethodTable, methodEffects(t, roots))
}

// methodEffects lists, by type and effect label, the exported methods of
// roots and of every driver value their methods return (see
// txMethodTable).
func methodEffects(t *testing.T, roots []types.Type) map[string]map[string]string {
	queue := slices.Clone(roots)
	got := map[string]map[string]string{}
	for ; len(queue) > 0; queue = queue[1:] {
		typ := queue[0]
		key := types.TypeString(typ, nil)
		if got[key] != nil {
			continue
		}
		got[key] = map[string]string{}
		mset := typ
		if !isPointer(typ) && !types.IsInterface(typ) {
			mset = types.NewPointer(typ) // a variable of the type has the pointer's methods
		}
		ms := types.NewMethodSet(mset)
		for i := range ms.Len() {
			fn := ms.At(i).Obj().(*types.Func)
			if !fn.Exported() {
				continue
			}
			label := "none"
			rule, ok := TxMethod(fn)
			if ok {
				label = rule.Effect.String()
				if rule.SQLArg >= 0 {
					label = fmt.Sprintf("sql%d", rule.SQLArg)
					assert.Equal(t, Unknown, rule.Default, "%s: non-constant SQL must be unknown", FuncName(fn))
				}
				if len(rule.Hooks) > 0 {
					label += "+hooks"
				}
			}
			got[key][label] = strings.TrimSpace(got[key][label] + " " + fn.Name())
			if ok && rule.Effect.HandsOff() {
				continue // the tx is out of our hands: what the call returns is not followed
			}
			res := fn.Type().(*types.Signature).Results()
			for j := range res.Len() {
				if IsDriverValue(res.At(j).Type()) {
					queue = append(queue, res.At(j).Type())
				}
			}
		}
	}
	return got
}

// assertMethodTable compares what methodEffects found with a table.
func assertMethodTable(t *testing.T, want, got map[string]map[string]string) {
	for typ, effects := range got {
		for label, names := range effects {
			assert.Equal(t, sortedFields(want[typ][label]), sortedFields(names), "%s: methods with effect %s", typ, label)
		}
		for label := range want[typ] {
			if _, ok := effects[label]; !ok {
				assert.Fail(t, "no such methods", "%s: table lists %s as %s", typ, want[typ][label], label)
			}
		}
		var counts []string
		for _, label := range slices.Sorted(maps.Keys(effects)) {
			counts = append(counts, fmt.Sprintf("%s %d", label, len(strings.Fields(effects[label]))))
		}
		t.Logf("%s: %s", typ, strings.Join(counts, ", "))
	}
	for typ := range want {
		assert.Contains(t, got, typ, "the table lists a type no handle returns")
	}
}

func sortedFields(s string) []string {
	f := strings.Fields(s)
	slices.Sort(f)
	return f
}
