package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// errFindings makes a command exit 1 without printing an error: the findings
// themselves were the output.
var errFindings = errors.New("findings")

// run executes the command line in-process so every path is testable.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	default:
		fmt.Fprintf(stderr, "txscope: %v\n", err)
		return exitError
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "txscope",
		Short: "Narrow whole-request tenant transactions in Go services on PostgreSQL",
		Long: `txscope finds request handlers whose whole body runs inside one tenant
transaction and narrows that transaction: session validation moves onto the
pool, read-only handlers run their queries on a tenant-scoped pooled handle,
and only the contiguous write blocks stay in the tenant transaction.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newCheckCmd(), newRewriteCmd(), newInitCmd(), newVersionCmd())
	root.AddCommand(newRankCmd(), newExplainCmd())
	return root
}
