package vet

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/analysis"
	"github.com/txscope/txscope/rewrite/edit"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rewrite/report"
	goanalysis "golang.org/x/tools/go/analysis"
)

// Analyzer reports txscope's findings with the local fixes. Its flags
// (-txscope.config, -txscope.codes under go vet and go fix) are Options.
var Analyzer = newAnalyzer(&Options{})

// Options limit or direct an Analyzer: the flags of Analyzer, the
// settings of the golangci-lint plugin (New).
type Options struct {
	// Codes, when not empty, limits the diagnostics to these finding codes.
	Codes []string
	// Config, when set, is the txscope.yaml to use instead of the one at
	// the module root (a relative path is taken from the module root).
	Config string
}

// New is an Analyzer with opts as its flags' defaults.
func New(opts Options) *goanalysis.Analyzer {
	return newAnalyzer(&opts)
}

func newAnalyzer(opts *Options) *goanalysis.Analyzer {
	a := &goanalysis.Analyzer{
		Name: "txscope",
		Doc: `report whole-request tenant transactions and tenant-scoping hazards (TS001–TS011)

The findings of txscope check for the package, with a suggested fix where
the rewrite stays in the package (a pooled or narrowed handler, a leaky
set_config made transaction-local).`,
		URL: "https://github.com/txscope/txscope",
		// What a package's functions do crosses to the packages that call
		// them as facts: go vet analyses one package at a time.
		FactTypes: []goanalysis.Fact{new(analysis.FuncFact)},
		Run:       func(pass *goanalysis.Pass) (any, error) { return run(pass, *opts) },
	}
	a.Flags.StringVar(&opts.Config, "config", opts.Config, "the txscope.yaml to use in place of the module root's (a relative path is taken from the module root)")
	a.Flags.Var((*codesFlag)(&opts.Codes), "codes", "comma-separated finding codes to report, such as TS001,TS003 (default: all)")
	return a
}

// codesFlag is a comma-separated list of finding codes.
type codesFlag []string

func (c *codesFlag) String() string { return strings.Join(*c, ",") }

func (c *codesFlag) Set(v string) error {
	codes := strings.Split(v, ",")
	if err := CheckCodes(codes); err != nil {
		return err
	}
	*c = codes
	return nil
}

// CheckCodes fails on a code txscope does not report.
func CheckCodes(codes []string) error {
	for _, c := range codes {
		if !slices.ContainsFunc(report.Codes, func(d report.CodeDoc) bool { return d.Code == c }) {
			return fmt.Errorf("unknown finding code %q (TS001–TS%03d)", c, len(report.Codes))
		}
	}
	return nil
}

// ownPackage reports whether the pass is of a package of the module being
// checked: go vet runs the tool on every dependency too, the standard
// library's included, for their facts, and a dependency's functions stay
// unknown, as they are to txscope check. A driver that names no module
// (Bazel) leaves it to the go.mod lookup.
func ownPackage(pass *goanalysis.Pass) bool {
	if m := pass.Module; m != nil {
		return m.Path != "" && m.Version == ""
	}
	if len(pass.Files) == 0 {
		return false
	}
	name := pass.Fset.File(pass.Files[0].FileStart).Name()
	goroot := filepath.Clean(build.Default.GOROOT) + string(filepath.Separator)
	return !strings.HasPrefix(name, goroot)
}

func run(pass *goanalysis.Pass, opts Options) (any, error) {
	if !ownPackage(pass) {
		return nil, nil
	}
	prog, err := load.Unit(load.UnitOptions{Fset: pass.Fset, Files: pass.Files, Types: pass.Pkg, Info: pass.TypesInfo, Facts: pass.ImportObjectFact, Config: opts.Config})
	if errors.Is(err, load.ErrNoModule) {
		// Nothing is skipped silently: a build that hides the module (a
		// sandbox without go.mod) gets told, at the package's first file.
		pass.Report(goanalysis.Diagnostic{Pos: pass.Files[0].Package, Category: "TS010",
			Message: fmt.Sprintf("not analysed: %s has no go.mod above it, and txscope reads the module's txscope.yaml and schema: run `txscope check` where the module is (TS010)", filepath.Dir(pass.Fset.File(pass.Files[0].FileStart).Name()))})
		return nil, nil
	}
	if err != nil || prog == nil { // nil: only test files, which txscope check leaves out too
		return nil, err
	}
	files := map[string]*token.File{}
	for _, f := range prog.Packages[0].Syntax {
		tf := pass.Fset.File(f.FileStart)
		files[tf.Name()] = tf
	}
	res, rerr := rewrite.Rewrite(prog, rewrite.Options{})
	var a *analysis.Analysis
	if rerr == nil {
		a = res.Analysis
	} else {
		res = nil
		if a, err = rewrite.Check(prog); err != nil {
			return nil, err
		}
	}
	for fn, fact := range a.Facts() {
		pass.ExportObjectFact(fn, fact)
	}
	fx := newFixer(prog, res, rerr, files)
	fx.analysis = a
	reported := map[string]bool{}
	for _, f := range a.Findings {
		if !f.Pos.IsValid() || (len(opts.Codes) > 0 && !slices.Contains(opts.Codes, f.Code)) {
			continue
		}
		p := prog.Fset.PositionFor(f.Pos, false)
		tf := files[p.Filename]
		if tf == nil || prog.Generated[fileOf(prog, f.Pos)] {
			continue
		}
		d := goanalysis.Diagnostic{Pos: f.Pos, Category: f.Code, Message: f.Message}
		fix, why := fx.fix(f, p)
		if why != "" {
			d.Message += "; " + why
		}
		d.Message += " (" + f.Code + ")"
		if reported[fmt.Sprint(p.Offset, d.Message)] {
			continue
		}
		reported[fmt.Sprint(p.Offset, d.Message)] = true
		if fix != nil {
			d.SuggestedFixes = []goanalysis.SuggestedFix{*fix}
		}
		pass.Report(d)
	}
	return nil, nil
}

func fileOf(prog *load.Program, pos token.Pos) *ast.File {
	for _, pkg := range prog.Packages {
		for _, f := range pkg.Syntax {
			if f.FileStart <= pos && pos <= f.FileEnd {
				return f
			}
		}
	}
	return nil
}

// fixer turns the rewrite's edits of the pass's files into one
// SuggestedFix per declaration.
type fixer struct {
	prog  *load.Program
	res   *rewrite.Result
	err   error
	files map[string]*token.File
	// chained are the calls of handlers behind middleware (and of the
	// middleware's wrapper): their rewrite spans packages.
	chained map[token.Pos]bool
	plans   map[token.Pos]plan.Plan
	runtime bool // the rewrite writes txscope's runtime into the module
	byFile  map[string]*fileFixes
	// analysis is the checked analysis, for the wrappers' settings.
	analysis *analysis.Analysis
}

type fileFixes struct {
	decls  []declEdit
	shared *goanalysis.TextEdit // the import block's change
	ok     bool
}

type declEdit struct {
	start, end int // old byte range, doc comment included
	edit       goanalysis.TextEdit
	taken      bool
}

func newFixer(prog *load.Program, res *rewrite.Result, err error, files map[string]*token.File) *fixer {
	fx := &fixer{prog: prog, res: res, err: err, files: files, chained: map[token.Pos]bool{}, plans: map[token.Pos]plan.Plan{}, byFile: map[string]*fileFixes{}}
	if res == nil {
		return fx
	}
	for _, p := range res.Plans {
		fx.plans[p.Wrapped.Site.Call.Pos()] = p
	}
	chainFiles := map[string]bool{}
	for _, cp := range res.Chains {
		if call := cp.Middleware.RealSite().Call; call != nil { // nil: in another package
			fx.chained[call.Pos()] = true
		}
		for _, h := range cp.Middleware.Handlers {
			fx.chained[h.Site.Call.Pos()] = true
		}
		for _, op := range cp.Ops {
			chainFiles[op.Path] = true
		}
	}
	rt := prog.Runtime
	for _, e := range res.Edits {
		if e.Create || (rt != nil && rt.Holds(e.Path)) {
			fx.runtime = true
		}
	}
	for _, e := range res.Edits {
		if tf := files[e.Path]; tf != nil && !chainFiles[e.Path] {
			fx.byFile[e.Path] = splitEdit(tf, e)
		}
	}
	return fx
}

const runRewrite = "run `txscope rewrite`"

// fix is the fix of finding f at p, or why there is none (to add to the
// message; "" when a fix is not expected).
func (fx *fixer) fix(f analysis.Finding, p token.Position) (*goanalysis.SuggestedFix, string) {
	setting := f.Code == "TS003" || f.Code == "TS004"
	// A slow call or a pooled query inside a handler the rewrite changes
	// (a write-only one has no TS001) is what that change moves.
	moved := f.Code == "TS002" || f.Code == "TS006"
	if f.Code != "TS001" && !setting && !moved {
		return nil, ""
	}
	if fx.chained[f.Pos] {
		return nil, "the fix is a middleware migration, which changes the middleware and all its handlers together (across packages too): " + runRewrite
	}
	pl, planned := fx.plans[f.Pos]
	rewritten := planned && (pl.Action == plan.ActionPooled || pl.Action == plan.ActionNarrowed)
	if fx.err != nil && f.Code == "TS001" {
		return nil, "no fix: " + fx.err.Error()
	}
	if fx.runtime && rewritten {
		return nil, "the fix writes txscope's runtime into the module: " + runRewrite
	}
	if f.Code == "TS001" && !rewritten {
		return nil, ""
	}
	ff := fx.byFile[p.Filename]
	if ff == nil || !ff.ok {
		if setting && ff == nil {
			return nil, fx.noSettingFix(f)
		}
		return nil, "" // the rewrite failed (txscope rewrite says why) or its edit is not per declaration
	}
	for i := range ff.decls {
		d := &ff.decls[i]
		if p.Offset < d.start || p.Offset >= d.end {
			continue
		}
		if d.taken {
			return nil, "" // the fix of another finding in the declaration makes this one's change too
		}
		d.taken = true
		edits := []goanalysis.TextEdit{d.edit}
		if ff.shared != nil {
			edits = append([]goanalysis.TextEdit{*ff.shared}, edits...)
			ff.shared = nil
		}
		msg := settingFixMessage[f.Code]
		switch {
		case f.Code == "TS001":
			msg = fmt.Sprintf("txscope rewrite: %s", pl.Action)
		case moved:
			msg = "txscope rewrite: " + fx.actionIn(d)
		}
		return &goanalysis.SuggestedFix{Message: msg, TextEdits: edits}, ""
	}
	if setting {
		return nil, fx.noSettingFix(f)
	}
	return nil, ""
}

// actionIn is what the rewrite does to the handlers in a changed
// declaration.
func (fx *fixer) actionIn(d *declEdit) string {
	var actions []string
	for pos, p := range fx.plans {
		off := fx.prog.Fset.PositionFor(pos, false).Offset
		if off >= d.start && off < d.end && (p.Action == plan.ActionPooled || p.Action == plan.ActionNarrowed) && !slices.Contains(actions, string(p.Action)) {
			actions = append(actions, string(p.Action))
		}
	}
	sort.Strings(actions)
	return strings.Join(actions, ", ")
}

var settingFixMessage = map[string]string{
	"TS003": "make the tenant setting transaction-local",
	"TS004": "bind the tenant id as a parameter",
}

// noSettingFix says why a tenant-setting finding has no fix: the rewrite
// failed, or txscope cannot fix its wrapper.
func (fx *fixer) noSettingFix(f analysis.Finding) string {
	if fx.err != nil {
		return "no fix: " + fx.err.Error()
	}
	for _, w := range fx.analysis.Wrappers.List() {
		if slices.ContainsFunc(w.Findings, func(wf analysis.Finding) bool { return wf.Code == f.Code && wf.Pos == f.Pos }) {
			if why := w.SettingUnfixable(); why != "" {
				return "txscope cannot fix it: " + why
			}
		}
	}
	return ""
}

// splitEdit cuts a file's edit into one edit per changed top-level
// declaration and one for the import block; ok is false when the edit
// changes anything else (then no fix is offered for the file).
func splitEdit(tf *token.File, e edit.FileEdit) *fileFixes {
	ff := &fileFixes{}
	oldF, err1 := parser.ParseFile(token.NewFileSet(), e.Path, e.Old, parser.ParseComments|parser.SkipObjectResolution)
	fset := token.NewFileSet()
	newF, err2 := parser.ParseFile(fset, e.Path, e.New, parser.ParseComments|parser.SkipObjectResolution)
	if err1 != nil || err2 != nil || tf.Size() != len(e.Old) {
		return ff
	}
	oldD, oldHead := decls(oldF, e.Old)
	newD, newHead := decls(newF, e.New)
	if len(oldD) != len(newD) {
		return ff
	}
	if !bytes.Equal(e.Old[:oldHead], e.New[:newHead]) {
		ff.shared = &goanalysis.TextEdit{Pos: tf.Pos(0), End: tf.Pos(oldHead), NewText: e.New[:newHead]}
		// Narrow it to the import block: keep the common prefix out.
		n := commonPrefix(e.Old[:oldHead], e.New[:newHead])
		ff.shared.Pos, ff.shared.NewText = tf.Pos(n), e.New[n:newHead]
	}
	prevOld, prevNew := oldHead, newHead
	for i := range oldD {
		o, n := oldD[i], newD[i]
		if o.key != n.key || !bytes.Equal(e.Old[prevOld:o.start], e.New[prevNew:n.start]) {
			return ff
		}
		if !bytes.Equal(e.Old[o.start:o.end], e.New[n.start:n.end]) {
			if !o.fn {
				return ff
			}
			ff.decls = append(ff.decls, declEdit{start: o.start, end: o.end,
				edit: goanalysis.TextEdit{Pos: tf.Pos(o.start), End: tf.Pos(o.end), NewText: slices.Clone(e.New[n.start:n.end])}})
		}
		prevOld, prevNew = o.end, n.end
	}
	if !bytes.Equal(e.Old[prevOld:], e.New[prevNew:]) {
		return ff
	}
	ff.ok = true
	return ff
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	// Back up to a line start, so the edit replaces whole lines.
	for n > 0 && a[n-1] != '\n' {
		n--
	}
	return n
}

type declSpan struct {
	key        string
	start, end int
	fn         bool
}

// decls lists the declarations after the imports, each from its doc
// comment; head is where the first of them starts (the end of the
// package clause and imports).
func decls(f *ast.File, src []byte) (out []declSpan, head int) {
	off := func(p token.Pos) int { return int(p - f.FileStart) }
	head = len(src)
	for i, d := range f.Decls {
		start := d.Pos()
		var key string
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
			key = "func " + funcKey(d)
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
			key = fmt.Sprintf("%s %d", d.Tok, i)
			if len(d.Specs) > 0 {
				key = fmt.Sprintf("%s %s", d.Tok, specName(d.Specs[0]))
			}
		}
		if len(out) == 0 {
			head = off(start)
		}
		out = append(out, declSpan{key: key, start: off(start), end: off(d.End()), fn: key[:4] == "func"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out, head
}

func specName(s ast.Spec) string {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return s.Name.Name
	case *ast.ValueSpec:
		if len(s.Names) > 0 {
			return s.Names[0].Name
		}
	}
	return ""
}

func funcKey(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	return types.ExprString(fd.Recv.List[0].Type) + "." + fd.Name.Name
}
