package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite"
)

type rewriteOptions struct {
	loadFlags
	dryRun     bool
	exitCode   bool
	split      bool
	only       string
	json       bool
	allowDirty bool
}

func newRewriteCmd() *cobra.Command {
	var o rewriteOptions
	cmd := &cobra.Command{
		Use:   "rewrite [flags] [packages]",
		Short: "Narrow tenant transactions: hoist sessions, pool reads, wrap only write blocks",
		Long: `rewrite plans every wrapped function (pooled, narrowed, kept with a reason,
or unchanged), applies the plans in memory, type-checks the result and then
either prints a unified diff (--dry-run) or writes every changed file
atomically. Nothing is written unless everything planned type-checks; a
handler whose rewrite does not type-check is kept and the reason reported.

The report (one line per handler, then a summary) goes to stderr, or to
stdout as JSON with --json. Files with uncommitted git changes are not
overwritten unless --allow-dirty is given.`,
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
	f.StringVar(&o.only, "only", "", "rewrite only functions whose name matches `REGEXP`, e.g. '(*Server).Show'")
	f.BoolVar(&o.json, "json", false, "print the report as JSON on stdout")
	f.BoolVar(&o.allowDirty, "allow-dirty", false, "write files that have uncommitted git changes")
	return cmd
}

func (o *rewriteOptions) run(cmd *cobra.Command, args []string) error {
	opts := rewrite.Options{PlanOptions: rewrite.PlanOptions{Split: o.split}, Version: version()}
	if o.only != "" {
		re, err := regexp.Compile(o.only)
		if err != nil {
			return fmt.Errorf("--only: %w", err)
		}
		opts.Only = re
	}
	prog, err := rewrite.Load(rewrite.LoadOptions{Dir: o.dir, Patterns: args, Tags: o.tags, Tests: o.tests, Runtime: true})
	if err != nil {
		return err
	}
	res, err := rewrite.Rewrite(prog, opts)
	if err != nil {
		return err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	report := res.Report()
	if o.json {
		if err := report.WriteJSON(stdout); err != nil {
			return err
		}
	} else if err := report.WriteText(stderr); err != nil {
		return err
	}
	if o.dryRun {
		if !o.json {
			for _, e := range res.Edits {
				io.WriteString(stdout, rewrite.Diff(e))
			}
		}
		if o.exitCode && len(res.Edits) > 0 {
			return errFindings
		}
		return nil
	}
	if !o.allowDirty {
		if err := refuseDirty(prog.Root, res.Edits); err != nil {
			return err
		}
	}
	for _, e := range res.Edits {
		if err := rewrite.WriteFileAtomic(e.Path, e.New); err != nil {
			return fmt.Errorf("apply: %s: %w", e.Rel, err)
		}
	}
	return nil
}

// refuseDirty stops before writing over uncommitted work: a reviewer must
// be able to tell txscope's diff from theirs.
func refuseDirty(root string, edits []rewrite.FileEdit) error {
	if len(edits) == 0 {
		return nil
	}
	paths := []string{"status", "--porcelain", "--"}
	for _, e := range edits {
		paths = append(paths, e.Rel)
	}
	c := exec.Command("git", paths...)
	c.Dir = root
	out, err := c.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // not a git work tree: nothing to protect
		}
		return nil
	}
	if dirty := strings.TrimSpace(string(out)); dirty != "" {
		return fmt.Errorf("apply: files have uncommitted changes (commit them or use --allow-dirty):\n%s", dirty)
	}
	return nil
}
