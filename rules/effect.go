// Package rules holds what txscope knows before it looks at code: the
// txscope.yaml configuration, function-name patterns, the effects of driver
// methods (presets) and the SQL text classifier.
package rules

import "strings"

// Effect is what a statement or call does to the transaction it runs in, as a
// set of flags. The zero value is pure.
type Effect uint16

const (
	// Read reads through the transaction.
	Read Effect = 1 << iota
	// Write changes data (or anything the transaction could roll back).
	Write
	// Slow is external I/O (HTTP, SDKs, sleeps) that must not hold a connection.
	Slow
	// Locking takes row or advisory locks that only last as long as the transaction.
	Locking
	// TxControl commits, rolls back, begins or uses savepoints by hand.
	TxControl
	// Escapes means the transaction handle leaves the callback's control
	// (stored, returned, sent, used by a goroutine).
	Escapes
	// TxState sets transaction-local state (set_config(…, true), SET LOCAL)
	// that later statements depend on.
	TxState
	// Unknown means the effect could not be determined; it counts as a write.
	Unknown
)

// Pure is the effect of code that touches neither the database nor the outside world.
const Pure Effect = 0

var effectNames = []struct {
	flag Effect
	name string
}{
	{Read, "read"}, {Write, "write"}, {Slow, "slow"}, {Locking, "locking"},
	{TxControl, "txcontrol"}, {Escapes, "escapes"}, {TxState, "txstate"}, {Unknown, "unknown"},
}

// Has reports whether every flag of f is set in e.
func (e Effect) Has(f Effect) bool { return e&f == f }

// Writes reports whether the effect must stay inside a transaction as a write:
// writes, unknown effects (which count as writes), locks and transaction state.
func (e Effect) Writes() bool { return e&(Write|Unknown|Locking|TxState) != 0 }

// HandsOff reports whether the transaction is out of txscope's control.
func (e Effect) HandsOff() bool { return e&(Escapes|TxControl) != 0 }

// String lists the flags, "pure" for none: "read", "write+slow".
func (e Effect) String() string {
	if e == Pure {
		return "pure"
	}
	var names []string
	for _, n := range effectNames {
		if e.Has(n.flag) {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, "+")
}
