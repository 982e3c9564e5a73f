package main

import (
	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite"
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

func (f *loadFlags) load(patterns []string) (*rewrite.Program, error) {
	return rewrite.Load(rewrite.LoadOptions{Dir: f.dir, Patterns: patterns, Tags: f.tags, Tests: f.tests})
}
