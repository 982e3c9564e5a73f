package edit

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"sort"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"github.com/txscope/txscope/rewrite/internal/importfix"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/internal/textdiff"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"golang.org/x/tools/go/packages"
)

// FileEdit is the new content of one file.
type FileEdit struct {
	Path string // absolute
	Rel  string // relative to the program root, slash-separated
	Old  []byte
	New  []byte
	// Create is set for a file that does not exist yet (a file of the
	// runtime's copy).
	Create bool
}

// Diff is the edit as a unified diff that `git apply` accepts.
func (e FileEdit) Diff() string { return textdiff.UnifiedDiff(e.Rel, e.Old, e.New, e.Create) }

// Failure ties an edit that could not be made to its plan.
type Failure struct {
	Plan int    // the plan it belongs to, -1 for a middleware migration
	File string // the file it was found in
	Err  error
	// pos is where a type error is, "path:line:col", with "(rewritten)"
	// when that is a line of the rewritten text rather than the user's.
	Pos string
	// Func is the function the type error is in, as verify.FuncKey names
	// it; "" when it is in none.
	Func string
}

// Describe is the failure with its position: the type error's, else the
// file's.
func (f Failure) Describe(prog *load.Program) string {
	pos := f.Pos
	if pos == "" {
		pos = prog.Rel(f.File)
	}
	return fmt.Sprintf("%s: %v", pos, f.Err)
}

// Apply renders the pooled and narrowed plans (and the wrapper fixes,
// plan.WrapperFixes, and the helpers' widenings, plan.Widenings) into new
// file contents, in memory. A plan whose edit cannot be made comes back as
// a failure; the other plans still apply.
func Apply(prog *load.Program, plans []plan.Plan, chains []*plan.ChainPlan, apps []*plan.BuffaloPlan, fixes []plan.SettingFix, widen *plan.Widen) ([]FileEdit, []Failure, error) {
	byFile := map[*ast.File][]int{}
	var files []*ast.File
	ops := map[*ast.File][]plan.ChainOp{}
	migrations := map[*ast.File][]*plan.BuffaloPlan{}
	for _, bp := range apps {
		for _, f := range buffaloFiles(bp) {
			if byFile[f] == nil {
				files = append(files, f)
				byFile[f] = []int{}
			}
			migrations[f] = append(migrations[f], bp)
		}
	}
	for _, cp := range chains {
		if cp.Failed != nil {
			continue
		}
		for _, op := range cp.Ops {
			if byFile[op.Func.File] == nil {
				files = append(files, op.Func.File)
				byFile[op.Func.File] = []int{}
			}
			ops[op.Func.File] = append(ops[op.Func.File], op)
		}
	}
	for i, p := range plans {
		if p.Action != plan.ActionPooled && p.Action != plan.ActionNarrowed {
			continue
		}
		f := p.Wrapped.Site.Func.File
		if byFile[f] == nil {
			files = append(files, f)
		}
		byFile[f] = append(byFile[f], i)
	}
	for _, fix := range fixes {
		if byFile[fix.File] == nil {
			files = append(files, fix.File)
			byFile[fix.File] = []int{}
		}
	}
	widenings := map[*ast.File]*fileWidening{}
	inFile := func(f *ast.File) *fileWidening {
		if byFile[f] == nil {
			files = append(files, f)
			byFile[f] = []int{}
		}
		if widenings[f] == nil {
			widenings[f] = &fileWidening{}
		}
		return widenings[f]
	}
	for _, h := range widen.Helpers {
		if h.To == nil {
			continue
		}
		fw := inFile(h.Src.File)
		fw.helpers = append(fw.helpers, h)
		if q := h.To; q.Declare {
			if fq := inFile(q.File); !slices.Contains(fq.queriers, q) {
				fq.queriers = append(fq.queriers, q)
			}
		}
	}
	var edits []FileEdit
	var failures []Failure
	for _, f := range files {
		edit, failed, err := applyFile(prog, f, plans, byFile[f], ops[f], migrations[f], fixes, widenings[f])
		if err != nil {
			return nil, nil, err
		}
		failures = append(failures, failed...)
		if edit != nil {
			edits = append(edits, *edit)
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].Rel < edits[j].Rel })
	return edits, failures, nil
}

// buffaloFiles are the files a Buffalo migration edits: the app's, and
// each leaving action's that takes the transaction.
func buffaloFiles(bp *plan.BuffaloPlan) []*ast.File {
	leaving := bp.Leaving()
	if len(leaving) == 0 {
		return nil
	}
	files := []*ast.File{bp.Buffalo.Func.File}
	for _, ap := range leaving {
		if f := ap.Plan.Wrapped.Site.Func.File; ap.Action.Accessor != nil && !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	return files
}

func applyFile(prog *load.Program, f *ast.File, plans []plan.Plan, indexes []int, ops []plan.ChainOp, apps []*plan.BuffaloPlan, fixes []plan.SettingFix, widen *fileWidening) (*FileEdit, []Failure, error) {
	name, err := prog.TargetFile(f)
	if err != nil {
		return nil, nil, err
	}
	src, err := prog.FileContent(name)
	if err != nil {
		return nil, nil, err
	}
	pkg := prog.Index().Files[f]
	dec, df, err := decorate(prog.Fset, f, src)
	if err != nil {
		return nil, nil, fmt.Errorf("apply: %s: %w", prog.Rel(name), err)
	}
	names := prog.RuntimeImports()
	for path, imp := range pkg.Imports {
		names[path] = imp.Name
	}
	fr := &fileRewrite{prog: prog, pkg: pkg, astFile: f, info: pkg.TypesInfo, dec: dec, file: df, src: src, imports: map[string]bool{}, names: names, pkgPath: pkg.PkgPath}
	var failures []Failure
	edited := map[ast.Decl]bool{}
	for _, i := range indexes {
		if err := fr.rewriteSite(plans[i]); err != nil {
			failures = append(failures, Failure{Plan: i, File: name, Err: err})
			continue
		}
		edited[plans[i].Wrapped.Site.Func.Outer] = true
	}
	for _, fix := range fixes {
		if fix.File == f {
			fr.fixSetting(fix)
			edited[fix.Wrapper.Source.Decl] = true
		}
	}
	for _, bp := range apps {
		decls, err := fr.buffaloEdits(bp, f)
		if err != nil {
			failures = append(failures, Failure{Plan: -1, File: name, Err: err})
			continue
		}
		for _, d := range decls {
			edited[d] = true
		}
	}
	inserts := map[ast.Decl][]byte{}
	removed := map[ast.Decl]bool{}
	before := map[ast.Decl][]byte{}
	if widen != nil {
		for _, h := range widen.helpers {
			fr.widen(h)
			edited[h.Src.Outer] = true
		}
		for _, q := range widen.queriers {
			text, err := fr.querierDecl(q)
			if err != nil {
				failures = append(failures, Failure{Plan: -1, File: name, Err: err})
				continue
			}
			before[q.Before] = append(before[q.Before], text...)
		}
	}
	for _, op := range ops {
		if op.Kind == plan.OpRemove {
			removed[op.Func.Decl] = true
			continue
		}
		if op.Variant != "" {
			text, err := variantText(prog, f, src, op, fr.imports, fr.names)
			if err != nil {
				failures = append(failures, Failure{Plan: -1, File: name, Err: err})
				continue
			}
			inserts[op.Func.Decl] = append(inserts[op.Func.Decl], text...)
			continue
		}
		if err := fr.chainOp(op); err != nil {
			failures = append(failures, Failure{Plan: -1, File: name, Err: err})
			continue
		}
		edited[op.Func.Decl] = true
	}
	if len(edited) == 0 && len(inserts) == 0 && len(removed) == 0 && len(before) == 0 {
		return nil, failures, nil
	}
	var restored bytes.Buffer
	if err := decorator.Fprint(&restored, df); err != nil {
		return nil, nil, fmt.Errorf("apply: %s: %w", prog.Rel(name), err)
	}
	out, err := splice(src, f, prog.Fset, restored.Bytes(), declEdits{edited, inserts, removed, before}, fr.imports, fr.names, modulePath(pkg))
	if err != nil {
		return nil, nil, fmt.Errorf("apply: %s: %w", prog.Rel(name), err)
	}
	if bytes.Equal(out, src) {
		return nil, failures, nil
	}
	return &FileEdit{Path: name, Rel: prog.Rel(name), Old: src, New: out}, failures, nil
}

// decorate converts f, parsed from src, to dst. dst tells a blank line
// from the line numbers of two adjacent bytes, which misses "\r\n\r\n",
// so a CRLF file is decorated from an LF copy.
func decorate(fset *token.FileSet, f *ast.File, src []byte) (*decorator.Decorator, *dst.File, error) {
	if textdiff.LineEnding(src) == "\r\n" {
		if dec, df, ok := decorateLF(fset, f, src); ok {
			return dec, df, nil
		}
	}
	dec := decorator.NewDecorator(fset)
	df, err := dec.DecorateFile(f)
	return dec, df, err
}

// decorateLF decorates an LF copy of src, and maps f's nodes too, to the
// dst nodes of their copies: the parser makes the same tree of both. Not
// ok if it did not (then f is decorated as it is, losing blank lines).
func decorateLF(fset *token.FileSet, f *ast.File, src []byte) (*decorator.Decorator, *dst.File, bool) {
	lfFset := token.NewFileSet()
	name := syntax.RealPosition(fset, f.Pos()).Filename
	lf, err := parser.ParseFile(lfFset, name, bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")), parser.ParseComments)
	if err != nil {
		return nil, nil, false
	}
	nodes, copies := preorder(f), preorder(lf)
	sameType := func(x, y ast.Node) bool { return reflect.TypeOf(x) == reflect.TypeOf(y) }
	if !slices.EqualFunc(nodes, copies, sameType) {
		return nil, nil, false
	}
	dec := decorator.NewDecorator(lfFset)
	df, err := dec.DecorateFile(lf)
	if err != nil {
		return nil, nil, false
	}
	for i, n := range nodes {
		dec.Dst.Nodes[n] = dec.Dst.Nodes[copies[i]]
	}
	return dec, df, true
}

// preorder lists a file's nodes in the order ast.Inspect visits them.
func preorder(f *ast.File) []ast.Node {
	var nodes []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n != nil {
			nodes = append(nodes, n)
		}
		return true
	})
	return nodes
}

// splice copies the edited functions from the restored file into the
// original source, so everything else stays byte-identical (and, through
// keepLines, what the edits left alone inside them), then fixes the
// imports: adds what the edits need, drops what nothing uses any more.
// What it adds has the file's line endings.
// declEdits says what happens to declarations: edited in the restored
// file, followed or preceded by inserted text, or removed.
type declEdits struct {
	edited  map[ast.Decl]bool
	inserts map[ast.Decl][]byte
	removed map[ast.Decl]bool
	before  map[ast.Decl][]byte
}

func splice(src []byte, orig *ast.File, fset *token.FileSet, restored []byte, de declEdits, imports map[string]bool, names map[string]string, module string) ([]byte, error) {
	rfset := token.NewFileSet()
	rfile, err := parser.ParseFile(rfset, "", restored, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("restored file does not parse: %w", err)
	}
	replacements := map[int]ast.Decl{} // original decl index → restored decl
	for i, d := range orig.Decls {
		if de.edited[d] {
			replacements[i] = rfile.Decls[i]
		}
	}
	eol := textdiff.LineEnding(src)
	var out bytes.Buffer
	last := 0
	for i, od := range orig.Decls {
		rd, replaced := replacements[i]
		if !replaced && de.inserts[od] == nil && !de.removed[od] && de.before[od] == nil {
			continue
		}
		start, end := declRange(fset, od)
		out.Write(src[last:start])
		if text := de.before[od]; text != nil {
			out.Write(textdiff.WithEnding(text, eol))
			out.WriteString(eol + eol)
		}
		last = end
		switch {
		case de.removed[od]:
			last = importfix.SkipNewlines(src, end) // the blank lines that separated it go with it
			continue
		case replaced:
			rstart, rend := declRange(rfset, rd)
			out.Write(textdiff.KeepLines(src[start:end], restored[rstart:rend], eol))
		default:
			out.Write(src[start:end])
		}
		if text := de.inserts[od]; text != nil {
			out.WriteString(eol + eol)
			out.Write(textdiff.WithEnding(text, eol))
		}
	}
	out.Write(src[last:])
	return importfix.FixImports(out.Bytes(), imports, names, module)
}

// modulePath is the path of the module a package belongs to ("" outside
// a module): its imports form goimports' local group.
func modulePath(pkg *packages.Package) string {
	if pkg.Module == nil {
		return ""
	}
	return pkg.Module.Path
}

// declRange is the byte range of a declaration with its doc comment.
func declRange(fset *token.FileSet, d ast.Decl) (int, int) {
	start := d.Pos()
	if doc := declDoc(d); doc != nil {
		start = doc.Pos()
	}
	return fset.Position(start).Offset, fset.Position(d.End()).Offset
}

func declDoc(d ast.Decl) *ast.CommentGroup {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Doc
	case *ast.GenDecl:
		return d.Doc
	}
	return nil
}
