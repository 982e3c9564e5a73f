package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rewrite/report"
	"github.com/txscope/txscope/rewrite/write"
)

type rewriteOptions struct {
	loadFlags
	dryRun     bool
	exitCode   bool
	split      bool
	recheck    bool
	only       string
	json       bool
	allowDirty bool
	color      string
}

func newRewriteCmd() *cobra.Command {
	var o rewriteOptions
	cmd := &cobra.Command{
		Use:   "rewrite [flags] [packages]",
		Short: "Narrow tenant transactions: hoist sessions, pool reads, wrap only write blocks",
		Long: `rewrite plans every wrapped function (pooled, narrowed, kept with a reason,
or unchanged), applies the plans in memory, type-checks the result and then
either prints a unified diff (--dry-run) or writes the changed files as one
transaction: an error, a signal or a crash leaves them all old or all new
(the next txscope run finishes or rolls back an interrupted write). Nothing
is written unless everything planned type-checks; a handler whose rewrite
does not type-check is kept and the reason reported.

The report (one line per handler, then a summary) goes to stderr, or to
stdout as JSON with --json. Files with uncommitted git changes are not
overwritten, nor is anything when git cannot tell (no git, a git error, a
file outside the module root's repository), unless --allow-dirty is given;
gitignored files are written and named in the report.`,
		Example: `  txscope rewrite --dry-run ./...
  txscope rewrite --dry-run ./... | git apply
  txscope rewrite --only 'Order' ./internal/sales/...
  txscope rewrite ./...`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args)
		},
	}
	o.register(cmd)
	f := cmd.Flags()
	f.BoolVarP(&o.dryRun, "dry-run", "n", false, "print the diff; write nothing")
	f.BoolVar(&o.exitCode, "exit-code", false, "with --dry-run, exit 1 when there is a diff")
	f.BoolVar(&o.split, "split", false, "split a write block at a slow call (the first part commits before it)")
	f.BoolVar(&o.recheck, "recheck", false, "move a read and a slow call out even past a lock or a stricter isolation level: the write block re-reads the rows and fails with a conflict error when they changed")
	f.StringVar(&o.only, "only", "", "rewrite only functions whose name matches `REGEXP`, e.g. '(*Server).Show'")
	f.BoolVar(&o.json, "json", false, "print the report as JSON on stdout")
	f.BoolVar(&o.allowDirty, "allow-dirty", false, "write files that have uncommitted git changes")
	f.StringVar(&o.color, "color", colorAuto, "colour the --dry-run diff `WHEN`: auto (on a terminal, unless NO_COLOR is set), always or never")
	return cmd
}

func (o *rewriteOptions) run(cmd *cobra.Command, args []string) error {
	opts := rewrite.Options{PlanOptions: plan.PlanOptions{Split: o.split, Recheck: o.recheck}, Version: version()}
	if o.only != "" {
		re, err := regexp.Compile(o.only)
		if err != nil {
			return fmt.Errorf("--only: %w", err)
		}
		opts.Only = re
	}
	color, err := useColor(o.color, cmd.OutOrStdout(), environ)
	if err != nil {
		return err
	}
	if o.dryRun {
		return o.diff(cmd, args, opts, color)
	}
	return o.apply(cmd, args, opts)
}

// diff prints the report and the diff; it writes nothing.
func (o *rewriteOptions) diff(cmd *cobra.Command, args []string, opts rewrite.Options, color bool) error {
	prog, err := o.load(cmd, args, true)
	if err != nil {
		return err
	}
	res, err := rewrite.Rewrite(prog, opts)
	if err != nil {
		return err
	}
	if err := o.writeReport(cmd, res.Report()); err != nil {
		return err
	}
	if !o.json {
		for _, e := range res.Edits {
			diff := e.Diff()
			if color {
				diff = colorDiff(diff)
			}
			io.WriteString(cmd.OutOrStdout(), diff)
		}
	}
	if o.exitCode && len(res.Edits) > 0 {
		return errFindings
	}
	return nil
}

// apply writes the rewrite as one transaction, holding the module's lock
// from before the load, once the dirty-tree guard agrees.
func (o *rewriteOptions) apply(cmd *cobra.Command, args []string, opts rewrite.Options) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, release, err := o.openWriter(ctx, cmd)
	if err != nil {
		return err
	}
	defer release()
	prog, err := o.loadPackages(cmd, args, true)
	if err != nil {
		return err
	}
	res, err := rewrite.Rewrite(prog, opts)
	if err != nil {
		return err
	}
	rep := res.Report()
	var guard error
	if !o.allowDirty {
		rep.Gitignored, guard = write.CheckClean(prog.Root, res.Edits)
	}
	if err := o.writeReport(cmd, rep); err != nil {
		return err
	}
	if guard != nil {
		return fmt.Errorf("apply: nothing was written (use --allow-dirty to write anyway): %w", guard)
	}
	return w.Write(ctx, prog.Roots(), res.Edits)
}

// writeReport prints the report on stderr, or as JSON on stdout.
func (o *rewriteOptions) writeReport(cmd *cobra.Command, rep *report.Report) error {
	if o.json {
		return rep.WriteJSON(cmd.OutOrStdout())
	}
	return rep.WriteText(cmd.ErrOrStderr())
}

// openWriter locks the module for the whole run, so no other txscope run
// loads or writes it meanwhile. A signal before the write begins ends the
// run at once (nothing is written yet, and the lock goes); during the
// write, Write rolls back or finishes first. release unlocks.
func (o *rewriteOptions) openWriter(ctx context.Context, cmd *cobra.Command) (w *write.Writer, release func(), err error) {
	w, rec, err := write.OpenWriter(o.dir)
	if err != nil {
		return nil, nil, err
	}
	sayRecovered(cmd, rec)
	stopExit := context.AfterFunc(ctx, func() {
		if w.Abandon() {
			fmt.Fprintf(cmd.ErrOrStderr(), "txscope: %v: nothing was written\n", context.Cause(ctx))
			os.Exit(exitError)
		}
	})
	return w, func() { stopExit(); w.Close() }, nil
}
