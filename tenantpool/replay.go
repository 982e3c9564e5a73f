package tenantpool

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
	"sync"
)

// Buffered is a result read inside a transaction that has ended, or the
// error that ended it (SQLHandle.ReadContext). database/sql makes *sql.Rows
// and *sql.Row only from a driver, so a result is handed back through
// ReplayDB, an in-memory driver that returns the buffered values.
type Buffered struct {
	columns []*sql.ColumnType
	rows    [][]any
	err     error
}

// Err is the error that ended the call, or nil.
func (b *Buffered) Err() error { return b.err }

// ReplayDB is an in-memory *sql.DB that serves buffered results: a query
// whose only argument is a *Buffered returns its rows, as the driver
// described them, or the error that ended its call; any other statement
// fails. The SQL text is not read. It is one *sql.DB for the process.
func ReplayDB() *sql.DB { return replayDB() }

var replayDB = sync.OnceValue(func() *sql.DB { return sql.OpenDB(replayConnector{}) })

// sqlRows hands the result back as *sql.Rows, or its error.
func (b *Buffered) sqlRows() (*sql.Rows, error) {
	if b.err != nil {
		return nil, b.err
	}
	return replayDB().QueryContext(context.Background(), "", b)
}

// sqlRow hands the result (or its error) back as *sql.Row.
func (b *Buffered) sqlRow() *sql.Row {
	return replayDB().QueryRowContext(context.Background(), "", b)
}

type replayConnector struct{}

func (replayConnector) Connect(context.Context) (driver.Conn, error) { return replayConn{}, nil }
func (replayConnector) Driver() driver.Driver                        { return replayDriver{} }

type replayDriver struct{}

func (replayDriver) Open(string) (driver.Conn, error) { return replayConn{}, nil }

// errReplayOnly reports a use of ReplayDB other than replaying a result.
var errReplayOnly = errors.New("tenantpool: the replay driver only replays buffered results")

type replayConn struct{}

func (replayConn) Prepare(string) (driver.Stmt, error) { return nil, errReplayOnly }
func (replayConn) Close() error                        { return nil }
func (replayConn) Begin() (driver.Tx, error)           { return nil, errReplayOnly }

// CheckNamedValue lets the *Buffered argument through unconverted.
func (replayConn) CheckNamedValue(*driver.NamedValue) error { return nil }

func (replayConn) QueryContext(_ context.Context, _ string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) != 1 {
		return nil, errReplayOnly
	}
	b, ok := args[0].Value.(*Buffered)
	if !ok {
		return nil, errReplayOnly
	}
	if b.err != nil {
		return nil, b.err
	}
	return &replayRows{b: b}, nil
}

// replayRows return the buffered rows and describe the columns as the
// original driver did.
type replayRows struct {
	b    *Buffered
	next int
}

func (r *replayRows) Columns() []string {
	names := make([]string, len(r.b.columns))
	for i, c := range r.b.columns {
		names[i] = c.Name()
	}
	return names
}

func (r *replayRows) Close() error { return nil }

func (r *replayRows) Next(dest []driver.Value) error {
	if r.next >= len(r.b.rows) {
		return io.EOF
	}
	for i, v := range r.b.rows[r.next] {
		dest[i] = v
	}
	r.next++
	return nil
}

func (r *replayRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.b.columns[i].DatabaseTypeName()
}

func (r *replayRows) ColumnTypeScanType(i int) reflect.Type { return r.b.columns[i].ScanType() }

func (r *replayRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	return r.b.columns[i].Nullable()
}

func (r *replayRows) ColumnTypeLength(i int) (int64, bool) { return r.b.columns[i].Length() }

func (r *replayRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	return r.b.columns[i].DecimalSize()
}
