package main

import (
	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/report"
)

type checkOptions struct {
	loadFlags
	json  bool
	sarif bool
}

func newCheckCmd() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check [flags] [packages]",
		Short: "Report whole-request tenant transactions and tenant-scoping hazards",
		Long: `check loads the packages (default ./... of the module in the current
directory), finds every call of a tenant wrapper and reports, per wrapped
function, its class (read-only, mixed, write-only) and the findings TS001–TS007
as path:line:col: message (TSnnn).

Exit status: 0 when clean, 1 when anything is found, 2 on error.`,
		Example: `  txscope check ./...
  txscope check -C services/api --tags integration ./...
  txscope check --sarif ./... > txscope.sarif`,
		RunE: func(cmd *cobra.Command, args []string) error {
			prog, err := o.load(cmd, args, false)
			if err != nil {
				return err
			}
			a, err := rewrite.Check(prog)
			if err != nil {
				return err
			}
			rep := report.FromAnalysis(a)
			out := cmd.OutOrStdout()
			switch {
			case o.sarif:
				err = rep.WriteSARIF(out, version())
			case o.json:
				err = rep.WriteJSON(out)
			default:
				err = rep.WriteText(out)
			}
			if err != nil {
				return err
			}
			if len(rep.Findings) > 0 {
				return errFindings
			}
			return nil
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&o.sarif, "sarif", false, "print the findings as SARIF 2.1.0")
	cmd.MarkFlagsMutuallyExclusive("json", "sarif")
	return cmd
}
