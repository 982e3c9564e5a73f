package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/report"
)

type checkOptions struct {
	loadFlags
	json          bool
	sarif         bool
	baseline      string
	baselineWrite string
}

// path resolves a file flag's relative path in the -C directory.
func (o *checkOptions) path(file string) string {
	if !filepath.IsAbs(file) && o.dir != "" {
		return filepath.Join(o.dir, file)
	}
	return file
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

With --baseline FILE only findings that are not in FILE fail the check:
the text report leaves the baselined ones out and ends with a line that
counts new, baselined and no longer found findings; --json marks every
finding "baseline": "new" or "unchanged" and adds a "baseline" object
(file, counts, the absent entries); --sarif sets each result's
baselineState to new or unchanged. --baseline-write FILE records every
finding of this run in FILE (YAML, sorted, one entry per code, function
and statement, with a count when a function has the same one twice; no
line numbers, so moving code keeps it baselined) and exits 0. An edited
statement is a new finding. A relative FILE is in the -C directory.

Exit status: 0 when clean (or only baselined findings, or
--baseline-write), 1 when anything (new) is found, 2 on error.`,
		Example: `  txscope check ./...
  txscope check -C services/api --tags integration ./...
  txscope check --sarif ./... > txscope.sarif
  txscope check --baseline-write .txscope-baseline.yaml ./...
  txscope check --baseline .txscope-baseline.yaml ./...`,
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
			if o.baseline != "" {
				b, err := report.ReadBaselineFile(o.path(o.baseline))
				if err != nil {
					return err
				}
				rep.ApplyBaseline(b, o.baseline)
			}
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
			if o.baselineWrite != "" {
				b := report.NewBaseline(rep)
				if err := report.WriteBaselineFile(o.path(o.baselineWrite), b); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "txscope: wrote %d findings (%d entries) to %s\n", len(rep.Findings), len(b.Findings), o.baselineWrite)
				return nil
			}
			if rep.Failing() > 0 {
				return errFindings
			}
			return nil
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&o.sarif, "sarif", false, "print the findings as SARIF 2.1.0")
	cmd.Flags().StringVar(&o.baseline, "baseline", "", "fail only on findings not in the baseline `FILE`")
	cmd.Flags().StringVar(&o.baselineWrite, "baseline-write", "", "record this run's findings in the baseline `FILE` and exit 0")
	cmd.MarkFlagsMutuallyExclusive("json", "sarif")
	cmd.MarkFlagsMutuallyExclusive("baseline", "baseline-write")
	return cmd
}
