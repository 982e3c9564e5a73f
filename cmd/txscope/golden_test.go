package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/fixtures/golden"
)

// TestMain runs more cases at once than there are cores unless -parallel
// was given: a case spends most of its time waiting for the go command.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		if err := flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0))); err != nil {
			panic(err)
		}
	}
	code := m.Run()
	removeBinary()
	os.Exit(code)
}

// TestGolden runs every case of fixtures/<command>/*.txtar (the format is
// in fixtures/README.md) twice, each time on a fresh copy of its module:
// through the command in-process, as main runs it, and through the
// library entry points the command is built on (library_test.go). Each run
// must print the case's report, exit code included, and leave the files
// its want/ section names and no other change. A rewrite case is then run
// again on the command's result, which must change nothing
// (idempotent_test.go). With -update the case is rewritten from the
// command's run, and the library's run must agree with it.
func TestGolden(t *testing.T) {
	repo := repoRoot(t)
	golden.Run(t, golden.Cases(t, repo), func(t *testing.T, c *golden.Case) {
		runGolden(t, repo, c)
	})
}

func runGolden(t *testing.T, repo string, c *golden.Case) {
	library, ok := libraries[c.Command]
	require.True(t, ok, "fixtures/%s: no library route for the command %q", c.Command, c.Command)

	cmdDir := caseModule(t, repo, c)
	args := append([]string{c.Command, "-C", cmdDir}, c.Args()...)
	cmdOut := runCommand(args)
	cmdTree := golden.ReadTree(t, cmdDir)

	libDir := caseModule(t, repo, c)
	libOut := library(t, libDir, c.Args())
	libTree := golden.ReadTree(t, libDir)

	who := "txscope " + strings.Join(c.Args(), " ")
	if golden.Updating() {
		assert.Equal(t, cmdOut, libOut, "the library's report differs from the command's")
		assert.Equal(t, cmdTree, libTree, "the library leaves other files than the command")
		c.Update(t, repo, cmdTree, cmdOut)
	} else {
		c.AssertReport(t, "the command ("+who+")", cmdOut)
		c.AssertTree(t, repo, "the command ("+who+")", cmdTree)
		c.AssertReport(t, "the library", libOut)
		c.AssertTree(t, repo, "the library", libTree)
	}
	if c.Command == "rewrite" {
		assertIdempotent(t, cmdDir, c.Args(), exitOf(c.Report()))
	}
}

// repoRoot is the root of this repository.
func repoRoot(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	return repo
}

// caseModule writes the case's module into a new directory; for rewrite,
// committed to a new git repository, as the dirty-tree guard refuses to
// write outside git.
func caseModule(t *testing.T, repo string, c *golden.Case) string {
	t.Helper()
	dir := t.TempDir()
	c.WriteModule(t, repo, dir)
	if c.Command == "rewrite" {
		commitAll(t, dir)
	}
	return dir
}

// runCommand runs txscope in-process, as main does, and renders what a
// user sees: stdout, stderr and the exit code, with the directory given
// to -C (args[2]) shown as $WORK.
func runCommand(args []string) string {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return render(args[2], stdout.String(), stderr.String(), code)
}

// render is a run's output as a report holds it.
func render(dir, stdout, stderr string, code int) string {
	out := stdout + stderr + fmt.Sprintf("exit %d\n", code)
	return strings.ReplaceAll(out, dir, "$WORK")
}

// exitOf is the exit code a report ends with.
func exitOf(report string) int {
	rest, ok := strings.CutPrefix(report[strings.LastIndex(strings.TrimSuffix(report, "\n"), "\n")+1:], "exit ")
	code, err := strconv.Atoi(strings.TrimSpace(rest))
	if !ok || err != nil {
		return -1
	}
	return code
}
