package rules

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// realPackages are loaded from compiler export data, as the analysis sees them.
var realPackages = []string{
	"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgxpool",
	"database/sql", "net/http", "net", "time", "os/exec", "context",
}

// stubPackages stand in for drivers that are not dependencies of this module
// (sqlx, GORM) and for a small application. The stubs copy the declarations
// that matter: sqlx.Tx embeds *sql.Tx, GORM chains return *DB.
var stubPackages = map[string]string{
	"github.com/jmoiron/sqlx": `package sqlx
import ("context"; "database/sql")
type Tx struct { *sql.Tx; driverName string }
type DB struct { *sql.DB }
type Conn struct { *sql.Conn }
type Rows struct{ *sql.Rows }
func (tx *Tx) Get(dest any, query string, args ...any) error { return nil }
func (tx *Tx) GetContext(ctx context.Context, dest any, query string, args ...any) error { return nil }
func (tx *Tx) NamedExec(query string, arg any) (sql.Result, error) { return nil, nil }
func (tx *Tx) Rebind(query string) string { return query }
func (tx *Tx) Unsafe() *Tx { return tx }
func (db *DB) Beginx() (*Tx, error) { return nil, nil }
func (db *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error { return nil }
func Get(q any, dest any, query string, args ...any) error { return nil }
`,
	"gorm.io/gorm/clause": `package clause
type Expression interface{ Build() }
type Locking struct{ Strength string }
func (Locking) Build() {}
type OnConflict struct{ DoNothing bool }
func (OnConflict) Build() {}
type Expr struct{ SQL string }
func (Expr) Build() {}
`,
	"gorm.io/gorm": `package gorm
import "gorm.io/gorm/clause"
type DB struct{ Error error }
func (db *DB) Where(query any, args ...any) *DB { return db }
func (db *DB) Clauses(conds ...clause.Expression) *DB { return db }
func (db *DB) Find(dest any, conds ...any) *DB { return db }
func (db *DB) Create(value any) *DB { return db }
func (db *DB) Raw(sql string, values ...any) *DB { return db }
func (db *DB) Exec(sql string, values ...any) *DB { return db }
func (db *DB) Transaction(fc func(tx *DB) error) error { return nil }
func (db *DB) Model(value any) *DB { return db }
func (db *DB) Scopes(funcs ...func(*DB) *DB) *DB { return db }
func (db *DB) First(dest any, conds ...any) *DB { return db }
func (db *DB) Count(count *int64) *DB { return db }
func (db *DB) Scan(dest any) *DB { return db }
func (db *DB) FindInBatches(dest any, batchSize int, fc func(tx *DB, batch int) error) *DB { return db }
func (db *DB) Save(value any) *DB { return db }
func (db *DB) FirstOrCreate(dest any, conds ...any) *DB { return db }
func (db *DB) Update(column string, value any) *DB { return db }
func (db *DB) Updates(values any) *DB { return db }
func (db *DB) UpdateColumn(column string, value any) *DB { return db }
func (db *DB) Delete(value any, conds ...any) *DB { return db }
`,
	"example.com/app/store": `package store
import ("context"; "github.com/jackc/pgx/v5"; "database/sql")
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	QueryRow(ctx context.Context, sql string, args ...any) any
}
type Querier interface {
	DBTX
	GetCustomer(ctx context.Context, id string) (string, error)
	Commit(ctx context.Context) error
	ExecContext(ctx context.Context, query string) error
	Query(ctx context.Context, limit int) error
}
type Queries struct{ db DBTX }
func New(db DBTX) *Queries { return &Queries{db: db} }
func NewValue(db DBTX) Queries { return Queries{db: db} }
func (q *Queries) WithTx(tx pgx.Tx) *Queries { return q }
func (q *Queries) GetCustomer(ctx context.Context, id string) (string, error) { return "", nil }
func (q Queries) CreateOrder(ctx context.Context) error { return nil }
type Repo struct{}
func (r Repo) WithTx(tx *sql.Tx) Repo { return r }
func (r *Repo) WithTransaction(tx *sql.Tx) *Repo { return r }
func (r *Repo) WithOther(tx *sql.DB) *Repo { return r }
func (r *Repo) WithTX(tx *sql.Tx) (*Repo, error) { return r, nil }
type Base struct{}
func (b *Base) Close() error { return nil }
type Service struct{ *Base }
type Cache[K comparable, V any] struct{}
func (c *Cache[K, V]) Get(k K) (V, bool) { var v V; return v, false }
func GetCustomer(ctx context.Context, tx pgx.Tx, id string) error { return nil }
func GetOrders() {}
func CreateCustomer() {}
type Pool = sql.DB
type MyTx = pgx.Tx
`,
}

var (
	universeOnce sync.Once
	universePkgs map[string]*types.Package
	universeErr  error
)

// universe returns the real and stub packages by import path, loaded once.
func universe(t testing.TB) map[string]*types.Package {
	t.Helper()
	universeOnce.Do(func() { universePkgs, universeErr = loadUniverse() })
	require.NoError(t, universeErr)
	return universePkgs
}

func loadUniverse() (map[string]*types.Package, error) {
	exports, err := exportFiles(realPackages)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	gc := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	imp := &stubImporter{fset: fset, fallback: gc, pkgs: map[string]*types.Package{}}
	pkgs := map[string]*types.Package{}
	for _, path := range append(realPackages, "github.com/jmoiron/sqlx", "gorm.io/gorm", "gorm.io/gorm/clause", "example.com/app/store") {
		if pkgs[path], err = imp.Import(path); err != nil {
			return nil, err
		}
	}
	return pkgs, nil
}

// exportFiles asks the go command for the export data files of pkgs and
// their dependencies.
func exportFiles(pkgs []string) (map[string]string, error) {
	args := append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, pkgs...)
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.String())
	}
	files := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if path, file, ok := strings.Cut(sc.Text(), "\t"); ok && file != "" {
			files[path] = file
		}
	}
	return files, sc.Err()
}

// stubImporter type-checks stubPackages from source and imports the rest
// from export data.
type stubImporter struct {
	fset     *token.FileSet
	fallback types.Importer
	pkgs     map[string]*types.Package
}

func (s *stubImporter) Import(path string) (*types.Package, error) {
	if pkg, ok := s.pkgs[path]; ok {
		return pkg, nil
	}
	src, ok := stubPackages[path]
	if !ok {
		return s.fallback.Import(path)
	}
	f, err := parser.ParseFile(s.fset, path+"/stub.go", src, 0)
	if err != nil {
		return nil, err
	}
	conf := types.Config{Importer: s}
	pkg, err := conf.Check(path, s.fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, err
	}
	s.pkgs[path] = pkg
	return pkg, nil
}

// lookupFunc finds a function ("Name") or method ("T.Name") in pkg, the
// method through T's method set so that promoted methods resolve to the
// type that declares them.
func lookupFunc(t testing.TB, pkg *types.Package, name string) *types.Func {
	t.Helper()
	typeName, method, isMethod := strings.Cut(name, ".")
	if !isMethod {
		fn, ok := pkg.Scope().Lookup(name).(*types.Func)
		require.True(t, ok, "no function %s in %s", name, pkg.Path())
		return fn
	}
	obj := pkg.Scope().Lookup(typeName)
	require.NotNil(t, obj, "no type %s in %s", typeName, pkg.Path())
	typ := obj.Type()
	if _, isIface := typ.Underlying().(*types.Interface); !isIface {
		typ = types.NewPointer(typ)
	}
	sel := types.NewMethodSet(typ).Lookup(pkg, method)
	require.NotNil(t, sel, "no method %s on %s", method, typeName)
	return sel.Obj().(*types.Func)
}

// fnAt resolves "pkgpath:Name" or "pkgpath:T.Name" in the universe.
func fnAt(t testing.TB, ref string) *types.Func {
	t.Helper()
	path, name, ok := strings.Cut(ref, ":")
	require.True(t, ok, "bad reference %q", ref)
	pkg := universe(t)[path]
	require.NotNil(t, pkg, "package %s not loaded", path)
	return lookupFunc(t, pkg, name)
}
