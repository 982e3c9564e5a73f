package rules

import (
	"go/types"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	pgxRef     = "github.com/jackc/pgx/v5:"
	pgxpoolRef = "github.com/jackc/pgx/v5/pgxpool:"
	sqlRef     = "database/sql:"
	sqlxRef    = "github.com/jmoiron/sqlx:"
	gormRef    = "gorm.io/gorm:"
	storeRef   = "example.com/app/store:"
)

func TestPreset(t *testing.T) {
	tests := []struct {
		name string
		give string
		want MethodRule
	}{
		{"pgx tx exec", pgxRef + "Tx.Exec", sqlAt(1)},
		{"pgx tx query", pgxRef + "Tx.Query", sqlAt(1)},
		{"pgx tx query row", pgxRef + "Tx.QueryRow", sqlAt(1)},
		{"pgx tx copy", pgxRef + "Tx.CopyFrom", fixed(Write)},
		{"pgx tx batch", pgxRef + "Tx.SendBatch", fixed(Unknown)},
		{"pgx tx begin", pgxRef + "Tx.Begin", fixed(TxControl)},
		{"pgx tx commit", pgxRef + "Tx.Commit", fixed(TxControl)},
		{"pgx tx rollback", pgxRef + "Tx.Rollback", fixed(TxControl)},
		{"pgx tx prepare", pgxRef + "Tx.Prepare", fixed(TxState)},
		{"pgx tx conn", pgxRef + "Tx.Conn", fixed(Escapes)},
		{"pgx conn exec", pgxRef + "Conn.Exec", sqlAt(1)},
		{"pgx conn begin tx", pgxRef + "Conn.BeginTx", fixed(TxControl)},
		{"pgx begin func", pgxRef + "BeginFunc", fixed(TxControl)},
		{"pgxpool pool query", pgxpoolRef + "Pool.Query", sqlAt(1)},
		{"pgxpool conn exec", pgxpoolRef + "Conn.Exec", sqlAt(1)},
		{"pgxpool tx exec", pgxpoolRef + "Tx.Exec", sqlAt(1)},
		{"pgxpool tx commit", pgxpoolRef + "Tx.Commit", fixed(TxControl)},
		{"sql tx exec", sqlRef + "Tx.Exec", sqlAt(0)},
		{"sql tx exec context", sqlRef + "Tx.ExecContext", sqlAt(1)},
		{"sql tx query row context", sqlRef + "Tx.QueryRowContext", sqlAt(1)},
		{"sql tx prepare", sqlRef + "Tx.PrepareContext", aliasOf(sqlAt(1))},
		{"sql tx stmt", sqlRef + "Tx.Stmt", aliasOf(fixed(Pure))},
		{"sql tx commit", sqlRef + "Tx.Commit", fixed(TxControl)},
		{"sql db query", sqlRef + "DB.Query", sqlAt(0)},
		{"sql db begin", sqlRef + "DB.BeginTx", fixed(TxControl)},
		{"sql conn exec", sqlRef + "Conn.ExecContext", sqlAt(1)},
		{"sql stmt exec", sqlRef + "Stmt.Exec", fixed(Unknown)},
		{"sqlx promoted exec", sqlxRef + "Tx.ExecContext", sqlAt(1)},
		{"sqlx promoted commit", sqlxRef + "Tx.Commit", fixed(TxControl)},
		{"sqlx get", sqlxRef + "Tx.Get", sqlAt(1)},
		{"sqlx get context", sqlxRef + "Tx.GetContext", sqlAt(2)},
		{"sqlx named exec", sqlxRef + "Tx.NamedExec", sqlAt(0)},
		{"sqlx rebind", sqlxRef + "Tx.Rebind", fixed(Pure)},
		{"sqlx unsafe", sqlxRef + "Tx.Unsafe", aliasOf(fixed(Pure))},
		{"sqlx db beginx", sqlxRef + "DB.Beginx", fixed(TxControl)},
		{"sqlx db select context", sqlxRef + "DB.SelectContext", sqlAt(2)},
		{"sqlx package get", sqlxRef + "Get", sqlAt(2)},
		{"gorm where", gormRef + "DB.Where", aliasOf(fixed(Pure))},
		{"gorm model", gormRef + "DB.Model", MethodRule{Effect: Pure, SQLArg: -1, Alias: true, SetsModel: true}},
		{"gorm scopes", gormRef + "DB.Scopes", aliasOf(fixed(Unknown))},
		{"gorm find", gormRef + "DB.Find", MethodRule{Effect: Read, SQLArg: -1, Hooks: []string{"AfterFind"}}},
		{"gorm first", gormRef + "DB.First", MethodRule{Effect: Read, SQLArg: -1, Hooks: []string{"AfterFind"}}},
		{"gorm count", gormRef + "DB.Count", fixed(Read)},
		{"gorm scan", gormRef + "DB.Scan", fixed(Read)},
		{"gorm find in batches", gormRef + "DB.FindInBatches", fixed(Unknown)},
		{"gorm create", gormRef + "DB.Create", MethodRule{Effect: Write, SQLArg: -1,
			Hooks: []string{"BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave"}}},
		{"gorm save", gormRef + "DB.Save", MethodRule{Effect: Write, SQLArg: -1,
			Hooks: []string{"BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave", "BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}}},
		{"gorm first or create", gormRef + "DB.FirstOrCreate", MethodRule{Effect: Write, SQLArg: -1,
			Hooks: []string{"AfterFind", "BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave", "BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}}},
		{"gorm update", gormRef + "DB.Update", MethodRule{Effect: Write, SQLArg: -1, NeedsModel: true,
			Hooks: []string{"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}}},
		{"gorm updates", gormRef + "DB.Updates", MethodRule{Effect: Write, SQLArg: -1, NeedsModel: true,
			Hooks: []string{"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}}},
		{"gorm update column", gormRef + "DB.UpdateColumn", fixed(Write)},
		{"gorm delete", gormRef + "DB.Delete", MethodRule{Effect: Write, SQLArg: -1, Hooks: []string{"BeforeDelete", "AfterDelete"}}},
		{"gorm raw", gormRef + "DB.Raw", aliasOf(sqlAt(0))},
		{"gorm exec", gormRef + "DB.Exec", sqlAt(0)},
		{"gorm clauses", gormRef + "DB.Clauses", aliasOf(fixed(Unknown))},
		{"gorm transaction", gormRef + "DB.Transaction", fixed(TxControl)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Preset(fnAt(t, tt.give))
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPresetMissing(t *testing.T) {
	for _, ref := range []string{"time:Sleep", storeRef + "Queries.GetCustomer", storeRef + "DBTX.Exec", pgxpoolRef + "Pool.Stat"} {
		_, ok := Preset(fnAt(t, ref))
		assert.False(t, ok, ref)
	}
}

// TestPresetsExist checks every preset of the drivers loaded from export
// data against their real declarations, so that a misspelt name fails.
func TestPresetsExist(t *testing.T) {
	pkgs := universe(t)
	checked := 0
	for _, name := range PresetNames() {
		p := MustPattern(name)
		if !slices.Contains([]string{pgxPkg, pgxpoolPkg, sqlPkg}, p.Pkg) {
			continue
		}
		ref := p.Name
		if p.Recv != "" {
			ref = p.Recv + "." + p.Name
		}
		fn := lookupFunc(t, pkgs[p.Pkg], ref)
		assert.Equal(t, name, FuncName(fn))
		checked++
	}
	assert.Greater(t, checked, 60)
}

func TestCallEffect(t *testing.T) {
	assert.Equal(t, Write, fixed(Write).CallEffect("SELECT 1", true))
	assert.Equal(t, Read|Locking, sqlAt(1).CallEffect("SELECT * FROM t FOR UPDATE", true))
	assert.Equal(t, Write, sqlAt(1).CallEffect("INSERT INTO t VALUES (1) RETURNING id", true))
	assert.Equal(t, Unknown, sqlAt(1).CallEffect("", false))
}

func TestClausesEffect(t *testing.T) {
	clause := universe(t)["gorm.io/gorm/clause"]
	typ := func(name string) types.Type { return clause.Scope().Lookup(name).Type() }
	tests := []struct {
		name string
		give []types.Type
		want Effect
	}{
		{"locking", []types.Type{typ("Locking")}, Locking},
		{"locking pointer", []types.Type{types.NewPointer(typ("Locking"))}, Locking},
		{"on conflict", []types.Type{typ("OnConflict")}, Pure},
		{"raw expression", []types.Type{typ("Expr")}, Unknown},
		{"other type", []types.Type{types.Typ[types.String]}, Unknown},
		{"locking and on conflict", []types.Type{typ("OnConflict"), typ("Locking")}, Locking},
		{"none", nil, Pure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ClausesEffect(tt.give))
		})
	}
}

func TestGenericMethod(t *testing.T) {
	tests := []struct {
		name   string
		give   string
		want   MethodRule
		wantOK bool
	}{
		{"querier exec", storeRef + "DBTX.Exec", sqlAt(1), true},
		{"querier query row", storeRef + "DBTX.QueryRow", sqlAt(1), true},
		{"context suffix", storeRef + "Querier.ExecContext", sqlAt(1), true},
		{"commit", storeRef + "Querier.Commit", fixed(TxControl), true},
		{"store method with string id", storeRef + "Querier.GetCustomer", MethodRule{}, false},
		{"runner name without string", storeRef + "Querier.Query", MethodRule{}, false},
		{"generic type get", storeRef + "Cache.Get", MethodRule{}, false},
		{"function", storeRef + "GetOrders", MethodRule{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := GenericMethod(fnAt(t, tt.give))
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTxAndPoolTypes(t *testing.T) {
	pkgs := universe(t)
	named := func(ref string) types.Type {
		path, name, _ := strings.Cut(ref, ":")
		obj := pkgs[path].Scope().Lookup(name)
		require.NotNil(t, obj, ref)
		return obj.Type()
	}
	ptr := func(ref string) types.Type { return types.NewPointer(named(ref)) }
	tests := []struct {
		name       string
		give       types.Type
		tx, pooled bool
	}{
		{"pgx.Tx", named(pgxRef + "Tx"), true, false},
		{"*pgxpool.Tx", ptr(pgxpoolRef + "Tx"), true, false},
		{"*sql.Tx", ptr(sqlRef + "Tx"), true, false},
		{"*sqlx.Tx", ptr(sqlxRef + "Tx"), true, false},
		{"*gorm.DB", ptr(gormRef + "DB"), true, false},
		{"alias of pgx.Tx", named(storeRef + "MyTx"), true, false},
		{"sql.Tx value", named(sqlRef + "Tx"), false, false},
		{"*pgx.Tx", ptr(pgxRef + "Tx"), false, false},
		{"*pgxpool.Pool", ptr(pgxpoolRef + "Pool"), false, true},
		{"*pgxpool.Conn", ptr(pgxpoolRef + "Conn"), false, true},
		{"*pgx.Conn", ptr(pgxRef + "Conn"), false, true},
		{"*sql.DB", ptr(sqlRef + "DB"), false, true},
		{"*sql.Conn", ptr(sqlRef + "Conn"), false, true},
		{"*sqlx.DB", ptr(sqlxRef + "DB"), false, true},
		{"pointer to alias of sql.DB", ptr(storeRef + "Pool"), false, true},
		{"store querier", named(storeRef + "Querier"), false, false},
		{"string", types.Typ[types.String], false, false},
		{"nil", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.tx, IsTxType(tt.give), "IsTxType")
			assert.Equal(t, tt.pooled, IsPoolType(tt.give), "IsPoolType")
		})
	}
}

func TestIsWithTx(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{storeRef + "Queries.WithTx", true},
		{storeRef + "Repo.WithTx", true},
		{storeRef + "Repo.WithTransaction", true},
		{storeRef + "Repo.WithOther", false},
		{storeRef + "Repo.WithTX", false},
		{storeRef + "Queries.GetCustomer", false},
		{storeRef + "New", false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, IsWithTx(fnAt(t, tt.give)))
		})
	}
}

func TestDefaultSlow(t *testing.T) {
	slow := DefaultSlow()
	matches := func(ref string) bool {
		fn := fnAt(t, ref)
		return slices.ContainsFunc(slow, func(p Pattern) bool { return p.Match(fn) })
	}
	for _, ref := range []string{"net/http:Client.Do", "net/http:Get", "net/http:Client.PostForm", "time:Sleep", "net:Dialer.DialContext", "net:LookupHost", "os/exec:Cmd.Output"} {
		assert.True(t, matches(ref), ref)
	}
	for _, ref := range []string{"time:Now", "net/http:NewRequest", "net/http:Request.WithContext", "os/exec:Command"} {
		assert.False(t, matches(ref), ref)
	}
	for _, p := range slow {
		assert.Zero(t, p.Pos, p.Raw)
	}
}

func TestIsHandleConstructor(t *testing.T) {
	assert.True(t, IsHandleConstructor(fnAt(t, storeRef+"New")))
	assert.False(t, IsHandleConstructor(fnAt(t, storeRef+"GetCustomer")), "not one interface parameter")
	assert.False(t, IsHandleConstructor(fnAt(t, storeRef+"Queries.WithTx")), "a method")
	assert.False(t, IsHandleConstructor(fnAt(t, storeRef+"NewValue")), "not a pointer")
	assert.False(t, IsHandleConstructor(fnAt(t, sqlxRef+"Get")), "several parameters")
}
