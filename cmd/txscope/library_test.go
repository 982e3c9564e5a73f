package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rewrite/rank"
	"github.com/txscope/txscope/rewrite/report"
	"github.com/txscope/txscope/rewrite/schema/live"
	"github.com/txscope/txscope/rewrite/write"
	"github.com/txscope/txscope/rules"
)

// A library route runs a golden case through the library entry points a
// program embedding txscope would call (load.Load, rewrite.Check,
// rewrite.Rewrite, the report and rank writers, the write stage), on the
// case's module in dir, and renders its output as the command's: stdout,
// stderr, "exit N". It parses the case's args with a flag set of its own
// and never calls the command's code, so a command that stops passing a
// flag or an option through, or does work the library does not, disagrees
// with the golden on one of the two routes.
type libraryRoute func(t *testing.T, dir string, args []string) string

// libraries holds the route of each command that has golden cases; a
// directory of cases without one fails.
var libraries = map[string]libraryRoute{
	"check":   checkLibrary,
	"rewrite": rewriteLibrary,
	"init":    initLibrary,
	"rank":    rankLibrary,
}

// libFlags are the package-selection flags of every analysing command.
type libFlags struct {
	tags  []string
	tests bool
	db    string
}

func newFlagSet(t *testing.T, name string) (*flag.FlagSet, *libFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var lf libFlags
	fs.Func("tags", "build tags, comma-separated", func(s string) error {
		lf.tags = append(lf.tags, strings.Split(s, ",")...)
		return nil
	})
	fs.BoolVar(&lf.tests, "tests", false, "")
	fs.StringVar(&lf.db, "db", "", "")
	return fs, &lf
}

// parse parses a case's args, which give the flags before the arguments.
func parse(t *testing.T, fs *flag.FlagSet, args []string) []string {
	t.Helper()
	require.NoError(t, fs.Parse(args), "%s: the case's args: %q", fs.Name(), args)
	for _, a := range fs.Args() {
		require.False(t, strings.HasPrefix(a, "-"), "%s: the case's args put the flag %s after an argument; the library route needs flags first", fs.Name(), a)
	}
	return fs.Args()
}

// load loads the packages, with the schema of the database --db names.
func (lf *libFlags) load(dir string, patterns []string, runtime bool) (*load.Program, error) {
	opts := load.LoadOptions{Dir: dir, Patterns: patterns, Tags: lf.tags, Tests: lf.tests, Runtime: runtime}
	if lf.db != "" {
		sch, err := live.FromDB(context.Background(), lf.db)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		opts.Schema = sch
	}
	return load.Load(opts)
}

// libRun is a route's run: what it printed and how it ended.
type libRun struct {
	dir            string
	stdout, stderr bytes.Buffer
}

// end renders the run; err, unless nil or errFindings, is printed as the
// command prints an error, and decides the exit code.
func (r *libRun) end(err error) string {
	code := exitOK
	switch {
	case errors.Is(err, errFindings):
		code = exitFindings
	case err != nil:
		fmt.Fprintf(&r.stderr, "txscope: %v\n", err)
		code = exitError
	}
	return render(r.dir, r.stdout.String(), r.stderr.String(), code)
}

// load is the command's load: recover first, then load the packages.
func (r *libRun) load(lf *libFlags, patterns []string, runtime bool) (*load.Program, error) {
	if err := r.recover(); err != nil {
		return nil, err
	}
	return lf.load(r.dir, patterns, runtime)
}

// recover finishes or rolls back a write a crash interrupted.
func (r *libRun) recover() error {
	rec, err := write.Recover(r.dir)
	if rec != nil {
		fmt.Fprintf(&r.stderr, "txscope: %s\n", rec)
	}
	return err
}

func checkLibrary(t *testing.T, dir string, args []string) string {
	fs, lf := newFlagSet(t, "check")
	jsonOut := fs.Bool("json", false, "")
	sarif := fs.Bool("sarif", false, "")
	baseline := fs.String("baseline", "", "")
	baselineWrite := fs.String("baseline-write", "", "")
	patterns := parse(t, fs, args)
	inDir := func(file string) string {
		if filepath.IsAbs(file) {
			return file
		}
		return filepath.Join(dir, file)
	}
	r := &libRun{dir: dir}
	return r.end(func() error {
		prog, err := r.load(lf, patterns, false)
		if err != nil {
			return err
		}
		a, err := rewrite.Check(prog)
		if err != nil {
			return err
		}
		rep := report.FromAnalysis(a)
		if *baseline != "" {
			b, err := report.ReadBaselineFile(inDir(*baseline))
			if err != nil {
				return err
			}
			rep.ApplyBaseline(b, *baseline)
		}
		switch {
		case *sarif:
			err = rep.WriteSARIF(&r.stdout, version())
		case *jsonOut:
			err = rep.WriteJSON(&r.stdout)
		default:
			err = rep.WriteText(&r.stdout)
		}
		if err != nil {
			return err
		}
		if *baselineWrite != "" {
			b := report.NewBaseline(rep)
			if err := report.WriteBaselineFile(inDir(*baselineWrite), b); err != nil {
				return err
			}
			fmt.Fprintf(&r.stderr, "txscope: wrote %d findings (%d entries) to %s\n", len(rep.Findings), len(b.Findings), *baselineWrite)
			return nil
		}
		if rep.Failing() > 0 {
			return errFindings
		}
		return nil
	}())
}

func rewriteLibrary(t *testing.T, dir string, args []string) string {
	fs, lf := newFlagSet(t, "rewrite")
	var dryRun bool
	fs.BoolVar(&dryRun, "dry-run", false, "")
	fs.BoolVar(&dryRun, "n", false, "")
	exitCode := fs.Bool("exit-code", false, "")
	split := fs.Bool("split", false, "")
	recheck := fs.Bool("recheck", false, "")
	only := fs.String("only", "", "")
	jsonOut := fs.Bool("json", false, "")
	allowDirty := fs.Bool("allow-dirty", false, "")
	color := fs.String("color", "auto", "")
	patterns := parse(t, fs, args)
	// The output is no terminal, so auto does not colour; colouring is the
	// command's presentation, not the library's.
	require.Contains(t, []string{"auto", "never"}, *color, "rewrite: the library route has no --color %s", *color)
	r := &libRun{dir: dir}
	return r.end(func() error {
		opts := rewrite.Options{PlanOptions: plan.PlanOptions{Split: *split, Recheck: *recheck}, Version: version()}
		if *only != "" {
			re, err := regexp.Compile(*only)
			if err != nil {
				return fmt.Errorf("--only: %w", err)
			}
			opts.Only = re
		}
		var w *write.Writer
		if dryRun {
			if err := r.recover(); err != nil {
				return err
			}
		} else {
			var rec *write.Recovery
			var err error
			if w, rec, err = write.OpenWriter(dir); err != nil {
				return err
			}
			defer w.Close()
			if rec != nil {
				fmt.Fprintf(&r.stderr, "txscope: %s\n", rec)
			}
		}
		prog, err := lf.load(dir, patterns, true)
		if err != nil {
			return err
		}
		res, err := rewrite.Rewrite(prog, opts)
		if err != nil {
			return err
		}
		rep := res.Report()
		var guard error
		if !dryRun && !*allowDirty {
			rep.Gitignored, guard = write.CheckClean(prog.Root, res.Edits)
		}
		if *jsonOut {
			err = rep.WriteJSON(&r.stdout)
		} else {
			err = rep.WriteText(&r.stderr)
		}
		switch {
		case err != nil:
			return err
		case dryRun:
			if !*jsonOut {
				for _, e := range res.Edits {
					r.stdout.WriteString(e.Diff())
				}
			}
			if *exitCode && len(res.Edits) > 0 {
				return errFindings
			}
			return nil
		case guard != nil:
			return fmt.Errorf("apply: nothing was written (use --allow-dirty to write anyway): %w", guard)
		}
		return w.Write(context.Background(), prog.Roots(), res.Edits)
	}())
}

func initLibrary(t *testing.T, dir string, args []string) string {
	fs, lf := newFlagSet(t, "init")
	force := fs.Bool("force", false, "")
	stdout := fs.Bool("stdout", false, "")
	patterns := parse(t, fs, args)
	r := &libRun{dir: dir}
	return r.end(func() error {
		prog, err := r.load(lf, patterns, false)
		if err != nil {
			return err
		}
		cfg, err := analysis.DetectConfig(prog)
		if err != nil {
			return err
		}
		data := cfg.Marshal()
		if *stdout {
			r.stdout.Write(data)
			return nil
		}
		path := filepath.Join(prog.Root, rules.ConfigFile)
		if _, err := os.Stat(path); err == nil && !*force {
			return fmt.Errorf("init: %s exists (use --force to overwrite it)", rules.ConfigFile)
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("init: %w", err)
		}
		if err := write.WriteFileAtomic(path, data); err != nil {
			return fmt.Errorf("init: %w", err)
		}
		fmt.Fprintf(&r.stderr, "txscope: wrote %s\n", rules.ConfigFile)
		return nil
	}())
}

func rankLibrary(t *testing.T, dir string, args []string) string {
	fs, lf := newFlagSet(t, "rank")
	jsonOut := fs.Bool("json", false, "")
	top := fs.Int("top", 0, "")
	rest := parse(t, fs, args)
	require.NotEmpty(t, rest, "a rank case names its scrape in args")
	r := &libRun{dir: dir}
	return r.end(func() error {
		if *top < 0 {
			return fmt.Errorf("--top: want 0 (all) or more, got %d", *top)
		}
		scrape := rest[0]
		if !filepath.IsAbs(scrape) {
			scrape = filepath.Join(dir, scrape)
		}
		f, err := os.Open(scrape)
		if err != nil {
			return fmt.Errorf("scrape: %w", err)
		}
		defer f.Close()
		metrics, err := rank.ParseScrape(f)
		if err != nil {
			return err
		}
		prog, err := r.load(lf, rest[1:], true)
		if err != nil {
			return err
		}
		opts := rewrite.Options{Version: version()}
		verified, note := true, ""
		var plans []plan.Plan
		res, err := rewrite.Rewrite(prog, opts)
		var rtErr *rewrite.RuntimeError
		switch {
		case errors.As(err, &rtErr):
			// The runtime cannot be used in the module: the plans are the
			// planner's alone, not applied or type-checked.
			planned, err := rewrite.PlanAll(prog, opts)
			if err != nil {
				return err
			}
			plans = planned.AllPlans()
			verified, note = false, rtErr.Err.Error()+"; the actions are not type-checked"
		case err != nil:
			return err
		default:
			plans = res.AllPlans()
		}
		ranking := rank.Rank(prog, rank.RankInput{Metrics: metrics, Routes: rank.FindRoutes(prog), Plans: plans, Top: *top})
		ranking.Verified, ranking.Note = verified, note
		if *jsonOut {
			return ranking.WriteJSON(&r.stdout)
		}
		return ranking.WriteText(&r.stdout)
	}())
}
