package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/write"
)

// loadFlags are the package-selection flags every analysing command takes.
type loadFlags struct {
	dir   string
	tags  []string
	tests bool
}

func (f *loadFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.dir, "dir", "C", "", "change to `DIR` before loading, like go -C")
	cmd.Flags().StringSliceVar(&f.tags, "tags", nil, "build `tags` to honour (comma-separated)")
	cmd.Flags().BoolVar(&f.tests, "tests", false, "also analyse _test.go files")
}

// load first finishes or rolls back a write that a crash interrupted, and
// says which: a tree half written may not even load. runtime also loads
// the tenant-scoped runtime a rewrite may hand out.
func (f *loadFlags) load(cmd *cobra.Command, patterns []string, runtime bool) (*load.Program, error) {
	rec, err := write.Recover(f.dir)
	if err != nil {
		return nil, err
	}
	sayRecovered(cmd, rec)
	return f.loadPackages(cmd, patterns, runtime)
}

// loadPackages loads without recovering: for a run that holds the lock.
// A load that takes long shows a progress line on a terminal's stderr.
func (f *loadFlags) loadPackages(cmd *cobra.Command, patterns []string, runtime bool) (*load.Program, error) {
	stop := startProgress(cmd.ErrOrStderr(), "loading packages")
	defer stop()
	return load.Load(load.LoadOptions{Dir: f.dir, Patterns: patterns, Tags: f.tags, Tests: f.tests, Runtime: runtime})
}

func sayRecovered(cmd *cobra.Command, rec *write.Recovery) {
	if rec != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "txscope: %s\n", rec)
	}
}
