package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/write"
	"github.com/txscope/txscope/rules"
)

type initOptions struct {
	loadFlags
	force  bool
	stdout bool
}

func newInitCmd() *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init [flags] [packages]",
		Short: "Write the detected configuration to txscope.yaml",
		Long: `init detects the tenant wrappers of the module (functions that run a callback
in a transaction after setting a tenant with set_config or SET LOCAL), and
writes what it found to txscope.yaml at the module root for a person to edit.
An existing txscope.yaml is never overwritten without --force.`,
		Example: `  txscope init
  txscope init --stdout
  txscope init -C services/api --force`,
		RunE: func(cmd *cobra.Command, args []string) error {
			prog, err := o.load(cmd, args, false)
			if err != nil {
				return err
			}
			cfg, err := analysis.DetectConfig(prog)
			if err != nil {
				return err
			}
			data := cfg.Marshal()
			if o.stdout {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			path := filepath.Join(prog.Root, rules.ConfigFile)
			if _, err := os.Stat(path); err == nil && !o.force {
				return fmt.Errorf("init: %s exists (use --force to overwrite it)", rules.ConfigFile)
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("init: %w", err)
			}
			if err := write.WriteFileAtomic(path, data); err != nil {
				return fmt.Errorf("init: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "txscope: wrote %s\n", rules.ConfigFile)
			return nil
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite an existing txscope.yaml")
	cmd.Flags().BoolVar(&o.stdout, "stdout", false, "print the configuration instead of writing it")
	return cmd
}
