// Command contract runs the real (*pop.Connection).Transaction over a
// database/sql driver that records what it is asked to do, once for each
// case of its contract (a connection outside or already inside a
// transaction, a callback that returns nil or an error), and prints one
// JSON line per case: what the driver saw and whether Transaction returned
// the callback's error. rules.TestPopTransactionContract compares it with
// the contract txscope states for the wrapper.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/gobuffalo/pop/v6"
)

// Case is one run of Transaction.
type Case struct {
	Nested   bool     `json:"nested"`   // the receiver is already in a transaction
	Fails    bool     `json:"fails"`    // the callback returns an error
	Events   []string `json:"events"`   // what the driver saw: "begin 1", "commit 1", "rollback 1"
	Returned string   `json:"returned"` // "nil", "callback" (its error) or "other"
	SameConn bool     `json:"same"`     // the callback got the receiver itself
}

// events and txs are what the driver saw in the current case; transactions
// are numbered from 1 in each case.
var (
	events []string
	txs    int
)

type recorder struct{}

func (recorder) Open(string) (driver.Conn, error) { return &conn{}, nil }

type conn struct{}

func (c *conn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("no statements") }
func (c *conn) Close() error                        { return nil }
func (c *conn) Begin() (driver.Tx, error) {
	txs++
	events = append(events, fmt.Sprintf("begin %d", txs))
	return tx{txs}, nil
}

type tx struct{ n int }

func (t tx) Commit() error   { events = append(events, fmt.Sprintf("commit %d", t.n)); return nil }
func (t tx) Rollback() error { events = append(events, fmt.Sprintf("rollback %d", t.n)); return nil }

var errCallback = errors.New("callback failed")

func run(db *pop.Connection, nested, fails bool) Case {
	events, txs = nil, 0
	c := Case{Nested: nested, Fails: fails}
	recv := db
	if nested {
		outer, err := db.NewTransactionContext(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		recv = outer
	}
	err := recv.Transaction(func(tx *pop.Connection) error {
		c.SameConn = tx == recv
		if fails {
			return errCallback
		}
		return nil
	})
	switch {
	case err == nil:
		c.Returned = "nil"
	case errors.Is(err, errCallback):
		c.Returned = "callback"
	default:
		c.Returned = "other"
	}
	c.Events = events
	return c
}

func main() {
	sql.Register("txscope-recorder", recorder{})
	db, err := pop.NewConnection(&pop.ConnectionDetails{Dialect: "postgres", Driver: "txscope-recorder", URL: "postgres://u@localhost:5432/db"})
	if err != nil {
		log.Fatal(err)
	}
	if err := db.Open(); err != nil {
		log.Fatal(err)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, nested := range []bool{false, true} {
		for _, fails := range []bool{false, true} {
			if err := enc.Encode(run(db, nested, fails)); err != nil {
				log.Fatal(err)
			}
		}
	}
}
