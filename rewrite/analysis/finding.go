package analysis

import (
	"go/token"

	"github.com/txscope/txscope/rules"
)

// Finding is one diagnostic of `txscope check`: a code TS001…TS011 at a
// position, with a message that says what and why.
type Finding struct {
	Code string
	// Pos is where the finding is in Go code; for one about the schema or
	// the config it is token.NoPos and At is the place in that file.
	Pos     token.Pos
	At      rules.Position
	Message string
	// Handler is the handler a TS001 is about; nil for other findings.
	Handler *Wrapped
}
