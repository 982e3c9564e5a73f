package load

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/schema"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/packages"
)

// LoadOptions selects what to load, like the go command's flags.
type LoadOptions struct {
	Dir      string   // working directory (-C); "" is the current directory
	Patterns []string // package patterns; none means ./...
	Tags     []string // build tags
	Tests    bool     // include _test.go files
	Overlay  map[string][]byte
	// Runtime loads the tenant-scoped runtime beside the targets, for its
	// types, when the configured pooled handle uses it: what a rewrite
	// may hand out needs it, a check does not.
	Runtime bool
	// Schema, when set, is the database's schema as read live (--db); it
	// takes the place of the module's migrations.
	Schema *schema.Schema
}

// Program is the loaded code: target packages with syntax and types.
type Program struct {
	Fset     *token.FileSet
	Root     string // module (or workspace) root directory, absolute
	Config   *rules.Config
	Packages []*packages.Package
	// Runtime is where the pooled handle's packages come from (nil when
	// not loaded); RuntimePackage loads them for a Unit.
	Runtime *Runtime
	// loadRuntime, set for a Unit, reads the runtime's types on the first
	// call of RuntimePackage: only a package with a rewrite needs them.
	loadRuntime func() (*packages.Package, error)
	runtimeOnce sync.Once
	// Facts, set for a Unit, are what the analysis of the packages it
	// imports left about their functions: it has no syntax for them.
	Facts Facts
	unit  bool
	// Schema is what the database says about tenancy: read live, or from
	// the migrations the config names or the module keeps by convention;
	// nil when there is none to read.
	Schema *schema.Schema
	// SchemaUnread are the migration statements that matter but could not
	// be read; the schema is then not used (nil), and txscope.yaml alone
	// says what the database enforces, as without migrations.
	SchemaUnread []*rules.Error
	// Generated holds the files that carry a "Code generated … DO NOT EDIT."
	// header: analysed for summaries, never reported on or rewritten.
	Generated map[*ast.File]bool
	options   LoadOptions
	idx       *index
	locals    map[*types.Var]ast.Expr // LocalValue's, built on first use
	// unloaded are the module's .go files outside the loaded build (UnloadedFiles).
	unloaded     []UnloadedFile
	unloadedOnce sync.Once
	// replaced are the non-test variants of packages loaded with their
	// tests: indexed for summaries, never reported on.
	replaced []*packages.Package
}

const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
	packages.NeedTypes | packages.NeedTypesInfo | packages.NeedModule | packages.NeedImports | packages.NeedForTest

// Load type-checks the target packages. Dependencies come from export data;
// only the targets are parsed. A package with errors fails the whole load.
func Load(opts LoadOptions) (*Program, error) {
	dir, err := filepath.Abs(OrDot(opts.Dir))
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	root, gomod, err := ModuleRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	inModule := gomod != ""
	patterns := opts.Patterns
	switch {
	case len(patterns) > 0:
	case inModule:
		patterns = []string{"./..."}
	default:
		patterns = []string{"work"} // every package of the workspace's modules
	}
	cfg := &packages.Config{
		Mode:    loadMode,
		Dir:     dir,
		Tests:   opts.Tests,
		Fset:    token.NewFileSet(),
		Overlay: opts.Overlay,
	}
	if len(opts.Tags) > 0 {
		cfg.BuildFlags = []string{"-tags=" + strings.Join(opts.Tags, ",")}
	}
	config, sch, unread, err := moduleSettings(root, gomod, "", opts.Schema)
	if err != nil {
		return nil, err
	}
	var rt *Runtime
	loadPatterns := patterns
	if opts.Runtime && inModule && UsesRuntime(config.Pooled) {
		var overlay map[string][]byte
		if rt, overlay, err = findRuntime(config, gomod); err != nil {
			return nil, err
		}
		if rt.Unusable == nil {
			cfg.Overlay = mergeOverlay(opts.Overlay, overlay)
			loadPatterns = append(slices.Clip(patterns), rt.ImportPath)
			for _, dir := range rt.Subs {
				loadPatterns = append(loadPatterns, rt.PackagePath(dir))
			}
		}
	}
	pkgs, err := packages.Load(cfg, loadPatterns...)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if rt != nil {
		pkgs = splitRuntime(pkgs, rt)
	}
	pkgs, replaced := targets(pkgs)
	if err := firstError(root, pkgs); err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("load: %s", goListProblem(cfg, patterns))
	}
	prog := &Program{Fset: cfg.Fset, Root: root, Config: config, Schema: sch, SchemaUnread: unread, Runtime: rt, Packages: pkgs, Generated: map[*ast.File]bool{}, options: opts, replaced: replaced}
	for _, p := range pkgs {
		for _, f := range p.Syntax {
			if ast.IsGenerated(f) {
				prog.Generated[f] = true
			}
		}
	}
	return prog, nil
}

// goListProblem explains an empty load: packages.Load drops what the go
// command says when it refuses to list anything (go.mod out of date).
func goListProblem(cfg *packages.Config, patterns []string) string {
	cmd := exec.Command("go", append(append([]string{"list"}, cfg.BuildFlags...), patterns...)...)
	cmd.Dir = cfg.Dir
	out, err := cmd.CombinedOutput()
	if msg := strings.Join(strings.Fields(string(out)), " "); err != nil && msg != "" {
		return strings.TrimPrefix(msg, "go: ")
	}
	return "no Go packages match " + strings.Join(patterns, " ")
}

// moduleSettings are what the module says beside its code: the config
// (the file at configPath, relative to root, in place of root's
// txscope.yaml when set) and the schema it leads to.
func moduleSettings(root, gomod, configPath string, live *schema.Schema) (*rules.Config, *schema.Schema, []*rules.Error, error) {
	config, err := loadConfig(root, configPath)
	if err != nil {
		return nil, nil, nil, err
	}
	moduleDir := root
	if gomod != "" {
		moduleDir = filepath.Dir(gomod)
	}
	sch, unread, err := loadSchema(root, moduleDir, config, live)
	if err != nil {
		return nil, nil, nil, err
	}
	return config, sch, unread, nil
}

// RuntimePackage is the runtime's own package with its types, nil when it
// is not loaded (Runtime.Unusable then says why, when it could not be). A
// Unit loads it here, on first use.
func (p *Program) RuntimePackage() *packages.Package {
	if p.Runtime == nil {
		return nil
	}
	p.runtimeOnce.Do(func() {
		if p.loadRuntime == nil || p.Runtime.Unusable != nil {
			return
		}
		pkg, err := p.loadRuntime()
		if err != nil {
			p.Runtime.Unusable = err
			return
		}
		p.Runtime.Packages = map[string]*packages.Package{"": pkg}
	})
	return p.Runtime.Packages[""]
}

// loadSchema is the schema given (read live), else the migrations the
// config names (relative to root), else those the module keeps by
// convention; nil when there are none. Positions name files relative to
// root. Statements it cannot read come back as unread, with no schema: a
// migration txscope cannot follow must not stop a run.
func loadSchema(root, moduleDir string, cfg *rules.Config, given *schema.Schema) (s *schema.Schema, unread []*rules.Error, err error) {
	if given != nil {
		return given, nil, nil
	}
	var paths []string
	for _, p := range cfg.Schema {
		paths = append(paths, filepath.Join(root, filepath.FromSlash(p)))
	}
	if len(paths) == 0 {
		found, err := schema.Discover(moduleDir)
		if err != nil {
			return nil, nil, fmt.Errorf("schema: %w", err)
		}
		paths = found
	}
	if len(paths) == 0 {
		return nil, nil, nil
	}
	s, err = schema.FromMigrationsIn(root, paths...)
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			var se *schema.Error
			if !errors.As(e, &se) {
				return nil, nil, fmt.Errorf("schema: %w", err)
			}
			unread = append(unread, &rules.Error{Pos: rules.Position{File: se.Pos.File, Line: se.Pos.Line, Col: se.Pos.Col, Key: "schema"},
				Msg: se.Msg + "; the schema is not used, so txscope.yaml alone says what the database enforces"})
		}
		return nil, unread, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("schema: %w", err)
	}
	return s, nil, nil
}

// loadConfig reads txscope.yaml at root, or the file at path (relative to
// root) when one is given; without a file the defaults apply and wrappers
// are detected.
func loadConfig(root, path string) (*rules.Config, error) {
	if path == "" {
		cfg, err := rules.Load(root)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		return cfg, nil
	}
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(root, path)
	}
	data, err := rules.ReadConfig(full)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := rules.Parse(RelPos(root, full), data)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func OrDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// ModuleRoot is the directory of go.work when one is in use, else of go.mod.
// gomod is the go.mod of the module dir belongs to, "" for the root of a
// workspace that is not itself a module.
func ModuleRoot(dir string) (root, gomod string, err error) {
	cmd := exec.Command("go", "env", "GOWORK", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("go env: %w", err)
	}
	work, mod, _ := strings.Cut(string(out), "\n") // GOWORK's line is empty outside a workspace
	work, mod = strings.TrimSpace(work), strings.TrimSpace(mod)
	if mod == os.DevNull {
		mod = ""
	}
	switch {
	case work != "" && work != "off":
		return filepath.Dir(work), mod, nil
	case mod != "":
		return filepath.Dir(mod), mod, nil
	}
	return "", "", fmt.Errorf("not inside a Go module (%w)", ErrNoModule)
}

// ErrNoModule is the error for a directory with no go.mod above it (a
// build sandbox, for Unit): txscope reads the module's config and schema.
var ErrNoModule = errors.New("no go.mod found")

// splitRuntime takes the runtime's packages out of the targets, into
// rt.Packages. A runtime package that does not type-check in this module
// makes the runtime unusable (a sub-package: itself), with the reason,
// rather than failing the load: only plans that need it fail.
func splitRuntime(pkgs []*packages.Package, rt *Runtime) (targets []*packages.Package) {
	dirs := map[string]string{rt.ImportPath: ""}
	for _, dir := range rt.Subs {
		dirs[rt.PackagePath(dir)] = dir
	}
	rt.Packages = map[string]*packages.Package{}
	for _, p := range pkgs {
		if dir, ok := dirs[p.PkgPath]; ok && p.ForTest == "" {
			rt.Packages[dir] = p
		} else {
			targets = append(targets, p)
		}
	}
	for path, dir := range dirs {
		var why error
		switch p := rt.Packages[dir]; {
		case p == nil:
			why = fmt.Errorf("%s was not loaded", path)
		case len(p.Errors) > 0:
			why = fmt.Errorf("%s does not build in this module: %s", path, p.Errors[0].Msg)
			if !rt.Vendored() {
				why = fmt.Errorf("%w; run: go get %s", why, path)
			}
		default:
			continue
		}
		delete(rt.Packages, dir)
		if dir == "" {
			rt.Unusable = why
			continue
		}
		if rt.Broken == nil {
			rt.Broken = map[string]error{}
		}
		rt.Broken[dir] = why
	}
	return targets
}

// mergeOverlay is the caller's overlay with the runtime's copy added.
func mergeOverlay(base, add map[string][]byte) map[string][]byte {
	out := maps.Clone(base)
	if out == nil {
		out = map[string][]byte{}
	}
	maps.Copy(out, add)
	return out
}

// targets drops packages outside the main modules (vendored ones) and the
// synthesized test mains, and keeps one variant per package: with --tests,
// "p [p.test]" replaces "p". The replaced variants come back separately:
// code outside p's tests refers to them, so their functions stay indexed.
func targets(pkgs []*packages.Package) (out, replaced []*packages.Package) {
	tested := map[string]bool{}
	for _, p := range pkgs {
		if p.ForTest != "" && p.PkgPath == p.ForTest {
			tested[p.PkgPath] = true
		}
	}
	for _, p := range pkgs {
		switch {
		case strings.HasSuffix(p.PkgPath, ".test"),
			p.Module == nil || !p.Module.Main: // vendored or outside the main modules
		case p.ForTest == "" && tested[p.PkgPath]:
			replaced = append(replaced, p)
		default:
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, replaced
}

// firstError reports the first package error as "load: path:line:col: msg".
// Errors with a position come first: the go command's compile failure
// ("# pkg" then the compiler's lines) repeats what the type checker says.
func firstError(root string, pkgs []*packages.Package) error {
	var errs []packages.Error
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		errs = append(errs, p.Errors...)
	})
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return hasPos(errs[i]) && !hasPos(errs[j]) })
	e := errs[0]
	if !hasPos(e) {
		return fmt.Errorf("load: %s", strings.Join(strings.Fields(e.Msg), " "))
	}
	return fmt.Errorf("load: %s: %s", RelPos(root, e.Pos), e.Msg)
}

func hasPos(e packages.Error) bool { return e.Pos != "" && e.Pos != "-" }

// RelPos shortens an absolute "file:line:col" to a path relative to root.
func RelPos(root, pos string) string {
	if rel, err := filepath.Rel(root, pos); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return pos
}

// Rel returns the path of file relative to the program root, slash-separated.
func (p *Program) Rel(file string) string { return RelPos(p.Root, file) }

// Position formats pos as "relpath:line:col".
func (p *Program) Position(pos token.Pos) string {
	position := syntax.RealPosition(p.Fset, pos)
	return fmt.Sprintf("%s:%d:%d", p.Rel(position.Filename), position.Line, position.Column)
}
