// Command txscope narrows whole-request tenant transactions in Go services on
// PostgreSQL. See doc.go for the long usage text.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
