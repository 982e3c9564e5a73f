package txmetrics

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// stateKey names the connection state in pgconn's per-connection custom
// data, which lives and dies with the connection: no map to clean up when
// the pool closes one.
const stateKey = ScopeName

// connState follows one connection. A connection is used by one goroutine
// at a time and the pool orders acquire and release, so it needs no lock.
type connState struct {
	req       *request // the request the connection was acquired for
	held      bool     // checked out of the pool, since acquired
	acquired  time.Duration
	stmtStart time.Duration
	stmtSQL   string
	lastTag   pgconn.CommandTag
	inTx      bool // inside a transaction, since txStart
	txStart   time.Duration
	txAttrs   *routeAttrs
}

func stateOf(conn *pgx.Conn) *connState {
	data := conn.PgConn().CustomData()
	if st, ok := data[stateKey].(*connState); ok {
		return st
	}
	st := &connState{}
	data[stateKey] = st
	return st
}

// request returns the request a statement on the connection belongs to: the
// one the connection was acquired for, else the statement's own context's
// (a connection not from a pool, such as database/sql through pgx's stdlib).
func (st *connState) request(ctx context.Context) *request {
	if st.req != nil {
		return st.req
	}
	return requestFrom(ctx)
}
