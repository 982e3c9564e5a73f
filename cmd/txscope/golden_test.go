package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/report"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden report and want/ files of fixtures/*/*.txtar")

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

// TestGolden runs every fixture under fixtures/<command>/ through the
// command in-process, and the check fixtures also through the library. An
// archive holds a comment, an optional line "args: …" with extra flags,
// an optional line "crlf: true" (see crlf), go.mod, the input files,
// want/<path> for each file the command changes, and "report": the
// expected output and exit code. A rewritten Go file must be gofmt-clean
// when its input was.
func TestGolden(t *testing.T) {
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(repo, "fixtures", "*", "*.txtar"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		command := filepath.Base(filepath.Dir(file))
		name := command + "/" + strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runGolden(t, repo, file, command)
		})
	}
}

func runGolden(t *testing.T, repo, file, command string) {
	ar, err := txtar.ParseFile(file)
	require.NoError(t, err)
	dir := t.TempDir()
	writeModule(t, repo, dir, ar)
	if command == "rewrite" {
		commitAll(t, dir) // the dirty-tree guard refuses to write outside git
	}
	args := append([]string{command, "-C", dir}, caseArgs(ar)...)

	got := runCommand(args)
	if command == "rewrite" {
		defer assertIdempotent(t, dir, caseArgs(ar))
	}
	if *update {
		updateArchive(t, file, ar, dir, got)
		return
	}
	want := section(ar, "report")
	assert.Equal(t, want, got, "report of %s", strings.Join(args, " "))
	if command == "check" {
		wantLib := want[:strings.LastIndex(strings.TrimSuffix(want, "\n"), "\n")+1]
		assert.Equal(t, wantLib, runLibrary(t, dir, caseArgs(ar)), "report of the library")
	}
	for _, f := range ar.Files {
		if path, ok := strings.CutPrefix(f.Name, "want/"); ok {
			data, err := os.ReadFile(filepath.Join(dir, path))
			require.NoError(t, err)
			assert.Equal(t, string(caseText(ar, f.Data)), string(data), "rewritten %s", path)
			if strings.HasSuffix(path, ".go") {
				assertGofmt(t, path, []byte(section(ar, path)), data)
			}
		}
	}
	for _, path := range createdFiles(t, dir, ar) {
		assert.NotEmpty(t, section(ar, "want/"+path), "the command created %s, which the case does not expect", path)
	}
}

// createdFiles are the .go files in dir, slash-separated and relative to
// it, that are not among the case's inputs: the runtime's copy, say.
func createdFiles(t *testing.T, dir string, ar *txtar.Archive) []string {
	t.Helper()
	inputs := map[string]bool{}
	for _, f := range ar.Files {
		inputs[f.Name] = true
	}
	var created []string
	for path := range snapshot(t, dir) {
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err)
		if rel = filepath.ToSlash(rel); !inputs[rel] {
			created = append(created, rel)
		}
	}
	slices.Sort(created)
	return created
}

// assertGofmt requires a rewritten Go file to be gofmt-clean when its input
// was or it is new (a rewrite leaves unformatted lines it did not change
// as they are). CRLF counts as LF: gofmt writes LF, and the want/ files
// hold the endings.
func assertGofmt(t *testing.T, path string, input, output []byte) {
	t.Helper()
	if len(input) > 0 && !bytes.Equal(gofmt(t, input), input) {
		return
	}
	lf := bytes.ReplaceAll(output, []byte("\r\n"), []byte("\n"))
	assert.Equal(t, string(gofmt(t, lf)), string(lf), "rewritten %s is not gofmt-clean", path)
}

func gofmt(t *testing.T, src []byte) []byte {
	t.Helper()
	out, err := format.Source(src)
	require.NoError(t, err)
	return out
}

// runCommand runs txscope in-process and renders what a user sees: stdout,
// stderr and the exit code, with the temporary directory made stable.
func runCommand(args []string) string {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	out := stdout.String() + stderr.String() + fmt.Sprintf("exit %d\n", code)
	return strings.ReplaceAll(out, args[2], "$WORK")
}

// runLibrary runs load → analyze → report through the rewrite package with
// the flags of the check command, and renders what the command would print
// before its exit code.
func runLibrary(t *testing.T, dir string, args []string) string {
	cmd := newCheckCmd()
	require.NoError(t, cmd.ParseFlags(args))
	flags := cmd.Flags()
	tags, err := flags.GetStringSlice("tags")
	require.NoError(t, err)
	tests, err := flags.GetBool("tests")
	require.NoError(t, err)
	var out bytes.Buffer
	err = func() error {
		prog, err := load.Load(load.LoadOptions{Dir: dir, Patterns: flags.Args(), Tags: tags, Tests: tests})
		if err != nil {
			return err
		}
		a, err := rewrite.Check(prog)
		if err != nil {
			return err
		}
		rep := report.FromAnalysis(a)
		switch {
		case flags.Lookup("sarif").Changed:
			return rep.WriteSARIF(&out, version())
		case flags.Lookup("json").Changed:
			return rep.WriteJSON(&out)
		}
		return rep.WriteText(&out)
	}()
	if err != nil {
		fmt.Fprintf(&out, "txscope: %v\n", err)
	}
	return strings.ReplaceAll(out.String(), dir, "$WORK")
}

// writeModule materialises the archive's input files. go.sum comes from this
// repository (it holds every module the fixtures import) and $REPO in
// go.mod points a replace directive at it, so fixtures can import tenantpool.
func writeModule(t *testing.T, repo, dir string, ar *txtar.Archive) {
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	for _, f := range ar.Files {
		if f.Name == "report" || strings.HasPrefix(f.Name, "want/") {
			continue
		}
		path := filepath.Join(dir, f.Name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		data := bytes.ReplaceAll(caseText(ar, f.Data), []byte("$REPO"), []byte(repo))
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}
}

func caseArgs(ar *txtar.Archive) []string {
	return strings.Fields(commentLine(ar, "args:"))
}

// crlf reports the line "crlf: true" in an archive's comment. Its files
// are stored with LF (an archive with CRs would not survive an editor or
// a diff) and stand for CRLF text: the input files are written with CRLF
// and the want/ files compared with CRLF (caseText), and -update stores
// the results with LF again.
func crlf(ar *txtar.Archive) bool {
	return strings.TrimSpace(commentLine(ar, "crlf:")) == "true"
}

// caseText is an archive file's text as the case uses it: with CRLF line
// endings in a crlf case.
func caseText(ar *txtar.Archive, data []byte) []byte {
	if !crlf(ar) {
		return data
	}
	return bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
}

// commentLine is the rest of the archive comment's line starting with key.
func commentLine(ar *txtar.Archive, key string) string {
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			return rest
		}
	}
	return ""
}

func section(ar *txtar.Archive, name string) string {
	for _, f := range ar.Files {
		if f.Name == name {
			return string(f.Data)
		}
	}
	return ""
}

// updateArchive rewrites the report and the want/ files from this run.
func updateArchive(t *testing.T, file string, ar *txtar.Archive, dir, rep string) {
	var files []txtar.File
	for _, f := range ar.Files {
		switch {
		case f.Name == "report":
		case strings.HasPrefix(f.Name, "want/"):
		default:
			files = append(files, f)
			if !strings.HasSuffix(f.Name, ".go") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, f.Name))
			require.NoError(t, err)
			if crlf(ar) {
				data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
			}
			if !bytes.Equal(data, f.Data) {
				files = append(files, txtar.File{Name: "want/" + f.Name, Data: data})
			}
		}
	}
	for _, path := range createdFiles(t, dir, ar) {
		data, err := os.ReadFile(filepath.Join(dir, path))
		require.NoError(t, err)
		files = append(files, txtar.File{Name: "want/" + path, Data: data})
	}
	files = append(files, txtar.File{Name: "report", Data: []byte(rep)})
	ar.Files = files
	require.NoError(t, os.WriteFile(file, txtar.Format(ar), 0o644))
}
