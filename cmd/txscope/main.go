// Command txscope narrows whole-request tenant transactions in Go services on
// PostgreSQL. `txscope help` and each command's --help are the usage text;
// the library it drives is package rewrite.
package main

import (
	"os"

	"github.com/txscope/txscope/rewrite/vet"
	"golang.org/x/tools/go/analysis/unitchecker"
)

func main() {
	if vet.Unitchecker(os.Args[1:]) {
		unitchecker.Main(vet.Analyzer) // go vet -vettool, go fix -fixtool: does not return
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
