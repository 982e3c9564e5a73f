package load

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"

	goanalysis "golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// Facts reads what the analysis of other packages left about their
// objects: go vet's facts, through the pass's ImportObjectFact.
type Facts func(obj types.Object, fact goanalysis.Fact) bool

// UnitOptions are one package as a go vet or golangci-lint pass has it:
// parsed and type-checked by the driver, its imports known by their types.
type UnitOptions struct {
	Fset  *token.FileSet
	Files []*ast.File
	Types *types.Package
	Info  *types.Info
	Facts Facts
	// Config, when set, is the txscope.yaml to use in place of the module
	// root's (relative to the module root).
	Config string
}

// Unit is the program of one package checked by someone else: its files
// and types as the driver made them, so the build's files and tags are
// the driver's, and no package is loaded again. What the functions of its
// imports do comes from opts.Facts. Test files are left out, as Load does
// without Tests. It is nil when the package has no file outside tests.
func Unit(opts UnitOptions) (*Program, error) {
	var files []*ast.File
	var goFiles, compiled []string
	for _, f := range opts.Files {
		// cgo's translations carry //line comments naming the user's file:
		// that is the package's Go file, the translation the compiled one.
		name := opts.Fset.PositionFor(f.Package, true).Filename
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		files = append(files, f)
		if !slices.Contains(goFiles, name) {
			goFiles = append(goFiles, name)
		}
		compiled = append(compiled, opts.Fset.PositionFor(f.Package, false).Filename)
	}
	if len(files) == 0 {
		return nil, nil
	}
	dir := filepath.Dir(compiled[0])
	root, gomod, err := ModuleRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load: %s: %w", dir, err)
	}
	if gomod == "" {
		return nil, fmt.Errorf("load: %s: %w", dir, ErrNoModule)
	}
	config, sch, unread, err := moduleSettings(root, gomod, opts.Config, nil)
	if err != nil {
		return nil, err
	}
	mf, err := readModFile(gomod)
	if err != nil {
		return nil, err
	}
	memo := map[*types.Package]*packages.Package{}
	pkg := typesOnly(opts.Types, memo)
	pkg.Fset, pkg.Syntax, pkg.TypesInfo = opts.Fset, files, opts.Info
	pkg.GoFiles, pkg.CompiledGoFiles = goFiles, compiled
	pkg.Module = &packages.Module{Path: mf.Module.Mod.Path, Main: true, Dir: filepath.Dir(gomod), GoMod: gomod}
	prog := &Program{Fset: opts.Fset, Root: root, Config: config, Schema: sch, SchemaUnread: unread, Packages: []*packages.Package{pkg}, Generated: map[*ast.File]bool{}, Facts: opts.Facts, unit: true}
	for _, f := range files {
		if ast.IsGenerated(f) {
			prog.Generated[f] = true
		}
	}
	if UsesRuntime(config.Pooled) {
		rt, overlay, err := findRuntime(config, gomod)
		if err != nil {
			return nil, err
		}
		prog.Runtime = rt
		prog.loadRuntime = func() (*packages.Package, error) {
			tp, err := importRuntime(opts.Fset, opts.Types, rt.ImportPath, filepath.Dir(gomod), overlay)
			if err != nil {
				return nil, err
			}
			return typesOnly(tp, memo), nil
		}
	}
	return prog, nil
}

// Whole reports whether the program holds the packages a load asked for,
// not one package a driver analyses alone (Unit): whether a configured name
// is declared in some other package of the module, one package cannot tell.
func (p *Program) Whole() bool { return !p.unit }

// typesOnly is a package known by its types alone, with its imports: what
// the verifier's importer and the edits' import names read.
func typesOnly(tp *types.Package, memo map[*types.Package]*packages.Package) *packages.Package {
	if p, ok := memo[tp]; ok {
		return p
	}
	p := &packages.Package{ID: tp.Path(), Name: tp.Name(), PkgPath: tp.Path(), Types: tp, Imports: map[string]*packages.Package{}}
	memo[tp] = p
	for _, imp := range tp.Imports() {
		p.Imports[imp.Path()] = typesOnly(imp, memo)
	}
	return p
}

// importRuntime is the runtime's package with types of the same universe
// as pkg's (a *pgxpool.Pool of the handler's package must be the one the
// runtime's constructor takes): read from the export data the go command
// builds, into the packages pkg already has, each package pkg lacks read
// before the packages that import it.
func importRuntime(fset *token.FileSet, pkg *types.Package, path, dir string, overlay map[string][]byte) (*types.Package, error) {
	universe := map[string]*types.Package{}
	var walk func(p *types.Package)
	walk = func(p *types.Package) {
		if universe[p.Path()] != nil {
			return
		}
		universe[p.Path()] = p
		for _, imp := range p.Imports() {
			walk(imp)
		}
	}
	walk(pkg)
	if rt := universe[path]; rt != nil && rt.Complete() {
		return rt, nil
	}
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedImports | packages.NeedDeps | packages.NeedExportFile, Dir: dir, Fset: fset, Overlay: overlay}
	listed, err := packages.Load(cfg, path)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := firstError(dir, listed); err != nil {
		return nil, err
	}
	var readErr error
	packages.Visit(listed, nil, func(lp *packages.Package) {
		if readErr != nil || lp.PkgPath == "unsafe" {
			return
		}
		if have := universe[lp.PkgPath]; have != nil && have.Complete() {
			return
		}
		readErr = readExport(fset, universe, lp)
	})
	if readErr != nil {
		return nil, readErr
	}
	return universe[path], nil
}

func readExport(fset *token.FileSet, universe map[string]*types.Package, lp *packages.Package) error {
	if lp.ExportFile == "" {
		return fmt.Errorf("load: %s has no export data", lp.PkgPath)
	}
	f, err := os.Open(lp.ExportFile)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("load: %s: %w", lp.PkgPath, err)
	}
	if _, err := gcexportdata.Read(r, fset, universe, lp.PkgPath); err != nil {
		return fmt.Errorf("load: %s: %w", lp.PkgPath, err)
	}
	return nil
}
