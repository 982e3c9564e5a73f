// Command txscope narrows whole-request tenant transactions in Go services on
// PostgreSQL. `txscope help` and each command's --help are the usage text;
// the library it drives is package rewrite.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
