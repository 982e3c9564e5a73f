package fuzz

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/edit"
	"github.com/txscope/txscope/rewrite/load"
)

// modulePath is the generated module's path.
const modulePath = "example.com/fz"

// goMod requires what world, fake and tenantpool import; the replace
// directive points at this repository so the rewrite can import tenantpool.
const goMod = `module example.com/fz

go 1.26.0

require (
	github.com/jackc/pgx/v5 v5.12.0
	github.com/txscope/txscope v0.0.0
)

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)

replace github.com/txscope/txscope => $REPO
`

// rawConfig is the txscope.yaml of a raw module: no row-level security,
// tenants kept apart by the tenant_id column, and the pooled handle the
// raw pool, so that every read moved there must filter on the column.
const rawConfig = `version: 1
pooled: "{recv}.Pool"
tenant: {rls: false, column: tenant_id}
`

// module is a temporary Go module: world and fake from testdata, the
// generated handler packages and a runner that calls every handler. A raw
// one has rawConfig, and its fake store no row-level security.
type module struct {
	dir  string
	repo string
	raw  bool
}

// newModule lays out the fixed part of the module in dir.
func newModule(dir string, raw bool) (*module, error) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		return nil, err
	}
	m := &module{dir: dir, repo: repo, raw: raw}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"go.mod": []byte(strings.ReplaceAll(goMod, "$REPO", repo)),
		"go.sum": sum,
	}
	if raw {
		files["txscope.yaml"] = []byte(rawConfig)
	}
	for _, f := range []string{"world/world.go", "fake/fake.go"} {
		if files[f], err = os.ReadFile(filepath.Join("testdata", "module", f)); err != nil {
			return nil, err
		}
	}
	return m, m.writeFiles(files)
}

func (m *module) writeFiles(files map[string][]byte) error {
	for name, data := range files {
		path := filepath.Join(m.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// handlersFile is where a program's handlers live, relative to the module.
func handlersFile(p program) string { return p.pkg + "/handlers.go" }

// setPrograms replaces the generated packages and the runner.
func (m *module) setPrograms(progs []program) error {
	old, err := filepath.Glob(filepath.Join(m.dir, "h*"))
	if err != nil {
		return err
	}
	for _, dir := range old {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	files := map[string][]byte{"run/main.go": runner(progs, m.raw)}
	for _, p := range progs {
		files[handlersFile(p)] = p.src
		files[p.pkg+"/registry.go"] = p.registry
	}
	return m.writeFiles(files)
}

// runner is a main package with two modes. "list" prints, for every
// handler and initial state, the steps of its faultless run, one
// "name\tstate\tstep" line each. "faults FILE" runs every handler against
// every initial state with no fault and then with a fault at each step FILE
// lists for it, and prints one line per run: its outcome, a tab and its
// statements (fake.Event, as JSON). Steps are named by what they
// do, and the faults come from the union of the original's and the
// rewrite's lists, so that both meet the same faults in the same
// statements even where the rewrite reorders them (the slow-call move) or
// runs a statement the original never reaches. A raw module's runner runs
// the store without row-level security.
func runner(progs []program, raw bool) []byte {
	var imports, appends strings.Builder
	for _, p := range progs {
		fmt.Fprintf(&imports, "\t%q\n", modulePath+"/"+p.pkg)
		fmt.Fprintf(&appends, "\tall = append(all, %s.Handlers...)\n", p.pkg)
	}
	return []byte(`// Command run lists the steps of every handler or prints its outcome
// under every fault.
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"

	"example.com/fz/fake"
	"example.com/fz/world"
` + imports.String() + `)

func main() {
	fake.RLS = ` + fmt.Sprint(!raw) + `
	var all []world.Handler
` + appends.String() + `	if os.Args[1] == "list" {
		for _, h := range all {
			for state := range fake.States {
				_, steps, _ := fake.Run(h, state, "")
				for _, step := range steps {
					fmt.Printf("%s\t%d\t%s\n", h.Name, state, step)
				}
			}
		}
		return
	}
	f, err := os.Open(os.Args[2])
	if err != nil {
		panic(err)
	}
	faults := map[string]map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, step, _ := strings.Cut(sc.Text(), "\t")
		state, step, _ := strings.Cut(step, "\t")
		key := name + "\t" + state
		if faults[key] == nil {
			faults[key] = map[string]bool{}
		}
		faults[key][step] = true
	}
	for _, h := range all {
		for state := range fake.States {
			line, _, trace := fake.Run(h, state, "")
			fmt.Printf("%s\t%s\n", line, trace)
			var steps []string
			for step := range faults[fmt.Sprintf("%s\t%d", h.Name, state)] {
				steps = append(steps, step)
			}
			sort.Strings(steps)
			for _, step := range steps {
				line, _, trace := fake.Run(h, state, step)
				fmt.Printf("%s\t%s\n", line, trace)
			}
		}
	}
}
`)
}

// txscope runs the library on the module as the rewrite command does.
func (m *module) txscope(opts rewrite.Options) (*rewrite.Result, error) {
	prog, err := load.Load(load.LoadOptions{Dir: m.dir, Runtime: true})
	if err != nil {
		return nil, err
	}
	return rewrite.Rewrite(prog, opts)
}

// apply writes a rewrite's edits into the module.
func (m *module) apply(edits []edit.FileEdit) error {
	for _, e := range edits {
		if err := os.WriteFile(e.Path, e.New, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// build builds the runner into the module's directory as name.
func (m *module) build(name string) (string, error) {
	bin := filepath.Join(m.dir, name)
	build := exec.Command("go", "build", "-o", bin, "./run")
	build.Dir = m.dir
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// exec runs a built runner and returns its output.
// sameSteps are the lines of the step list a whose statement ("what", by
// handler and state) runs as often in list b.
func sameSteps(a, b string) string {
	counts := func(list string) map[string]int {
		n := map[string]int{}
		for _, line := range strings.Split(list, "\n") {
			if i := strings.LastIndexByte(line, '#'); i >= 0 {
				n[line[:i]]++
			}
		}
		return n
	}
	ca, cb := counts(a), counts(b)
	var out strings.Builder
	for _, line := range strings.SplitAfter(a, "\n") {
		if i := strings.LastIndexByte(line, '#'); i >= 0 && ca[line[:i]] == cb[line[:i]] {
			out.WriteString(line)
		}
	}
	return out.String()
}

func execRunner(bin string, env []string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("run: %w\n%s", err, stderr.String())
	}
	return stdout.String(), nil
}

// outcomes runs the original's and the rewrite's runners under the union
// of their faults and returns both outputs. A --recheck rewrite (recheck)
// runs its replayed reads a second time, which shifts the numbering of
// their steps ("what#n"): both then run under the faults of the steps the
// two lists number alike (a failed replay fails the handler and commits
// nothing, as any failed statement does); and its replayed FOR UPDATE
// reads also run before the transaction, which the fake then allows.
func (m *module) outcomes(before, after string, recheck bool) (string, string, error) {
	var lists []string
	for _, bin := range []string{before, after} {
		out, err := execRunner(bin, nil, "list")
		if err != nil {
			return "", "", err
		}
		lists = append(lists, out)
	}
	var env []string
	if recheck {
		lists = []string{sameSteps(lists[0], lists[1])}
		env = []string{"FAKE_LOCKS_BEFORE_TX=1"}
	}
	file := filepath.Join(m.dir, "faults.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lists, "")), 0o644); err != nil {
		return "", "", err
	}
	b, err := execRunner(before, nil, "faults", file)
	if err != nil {
		return "", "", err
	}
	a, err := execRunner(after, env, "faults", file)
	return b, a, err
}
