package txmetrics

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// fakeURL names no server: fakeDial answers every connection in memory.
const fakeURL = "postgres://app@127.0.0.1:5432/app?sslmode=disable"

// fakeSleep is how long the statement "sleep" takes.
const fakeSleep = 100 * time.Millisecond

// fakeDial connects to an in-memory backend that speaks just enough of the
// simple query protocol for pgx, so the tracer runs under real pgx.Conn and
// pgxpool code without a database. It answers BEGIN, COMMIT, ROLLBACK, a
// statement "fail" (an error), "sleep" (after fakeSleep) and anything else
// (SELECT 1) with the command
// tag and transaction status a server would give; ROLLBACK TO SAVEPOINT
// keeps the transaction open with the same tag as ROLLBACK.
func fakeDial(context.Context, string, string) (net.Conn, error) {
	client, server := net.Pipe()
	go serveFake(server)
	return client, nil
}

func serveFake(c net.Conn) {
	defer c.Close()
	be := pgproto3.NewBackend(c, c)
	if _, err := be.ReceiveStartupMessage(); err != nil {
		return
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	status := byte('I')
	be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
	for be.Flush() == nil {
		msg, err := be.Receive()
		if err != nil {
			return
		}
		q, ok := msg.(*pgproto3.Query)
		if !ok {
			return // Terminate, or a protocol the fake does not speak
		}
		var reply pgproto3.BackendMessage
		reply, status = fakeReply(q.String, status)
		be.Send(reply)
		be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
	}
}

func fakeReply(sql string, status byte) (pgproto3.BackendMessage, byte) {
	sql = strings.ToLower(strings.TrimSpace(sql))
	word, _, _ := strings.Cut(sql, " ")
	if strings.HasPrefix(sql, "rollback to") {
		word = "rollback to"
	}
	switch word {
	case "", ";", "--":
		return &pgproto3.EmptyQueryResponse{}, status
	case "begin":
		return &pgproto3.CommandComplete{CommandTag: []byte("BEGIN")}, 'T'
	case "commit":
		if status == 'E' {
			return &pgproto3.CommandComplete{CommandTag: []byte("ROLLBACK")}, 'I'
		}
		return &pgproto3.CommandComplete{CommandTag: []byte("COMMIT")}, 'I'
	case "rollback":
		return &pgproto3.CommandComplete{CommandTag: []byte("ROLLBACK")}, 'I'
	case "rollback to":
		return &pgproto3.CommandComplete{CommandTag: []byte("ROLLBACK")}, status
	case "savepoint":
		return &pgproto3.CommandComplete{CommandTag: []byte("SAVEPOINT")}, status
	case "sleep":
		time.Sleep(fakeSleep)
	case "fail":
		if status != 'I' {
			status = 'E'
		}
		return &pgproto3.ErrorResponse{Severity: "ERROR", Code: "P0001", Message: "fail"}, status
	}
	return &pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")}, status
}

// fakePool returns a pool of maxConns connections to the fake backend,
// traced by m.
func fakePool(t testing.TB, m *Metrics, maxConns int32) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(fakeURL)
	require.NoError(t, err)
	cfg.MaxConns = maxConns
	cfg.ConnConfig.DialFunc = fakeDial
	cfg.ConnConfig.Tracer = m.Tracer()
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// fakeConn returns a connection to the fake backend, traced by tracer.
func fakeConn(t testing.TB, tracer pgx.QueryTracer) *pgx.Conn {
	cfg, err := pgx.ParseConfig(fakeURL)
	require.NoError(t, err)
	cfg.DialFunc = fakeDial
	cfg.Tracer = tracer
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
