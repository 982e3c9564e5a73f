package analysis

import (
	"go/token"
)

// Finding is one diagnostic of `txscope check`: a code TS001…TS007 at a
// position, with a message that says what and why.
type Finding struct {
	Code    string
	Pos     token.Pos
	Message string
}
