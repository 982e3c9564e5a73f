package rewrite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/dst/decorator"
	"github.com/txscope/txscope/rewrite/bundle"
	"golang.org/x/tools/go/ast/astutil"
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

// failure ties an edit that could not be made to its plan.
type failure struct {
	plan int    // the plan it belongs to, -1 for a middleware migration
	file string // the file it was found in
	err  error
}

// Apply renders the pooled and narrowed plans (and the wrapper fixes) into
// new file contents, in memory. A plan whose edit cannot be made comes
// back as a failure; the other plans still apply.
func Apply(prog *Program, plans []Plan, chains []*ChainPlan) ([]FileEdit, []failure, error) {
	byFile := map[*ast.File][]int{}
	var files []*ast.File
	ops := map[*ast.File][]chainOp{}
	for _, cp := range chains {
		if cp.Failed != "" {
			continue
		}
		for _, op := range cp.ops(prog) {
			if byFile[op.file] == nil {
				files = append(files, op.file)
				byFile[op.file] = []int{}
			}
			ops[op.file] = append(ops[op.file], op)
		}
	}
	for i, p := range plans {
		if p.Action != ActionPooled && p.Action != ActionNarrowed {
			continue
		}
		f := p.Handler.Site.Func.File
		if byFile[f] == nil {
			files = append(files, f)
		}
		byFile[f] = append(byFile[f], i)
	}
	for _, fix := range wrapperFixes(prog, plans) {
		if byFile[fix.file] == nil {
			files = append(files, fix.file)
			byFile[fix.file] = []int{}
		}
	}
	var edits []FileEdit
	var failures []failure
	for _, f := range files {
		edit, failed, err := applyFile(prog, f, plans, byFile[f], ops[f])
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

func applyFile(prog *Program, f *ast.File, plans []Plan, indexes []int, ops []chainOp) (*FileEdit, []failure, error) {
	name, err := prog.targetFile(f)
	if err != nil {
		return nil, nil, err
	}
	src, err := prog.fileContent(name)
	if err != nil {
		return nil, nil, err
	}
	pkg := prog.index().files[f]
	dec := decorator.NewDecorator(prog.Fset)
	df, err := dec.DecorateFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("apply: %s: %w", prog.Rel(name), err)
	}
	names := map[string]string{prog.runtimePath(): bundle.Package}
	for path, imp := range pkg.Imports {
		names[path] = imp.Name
	}
	fr := &fileRewrite{prog: prog, info: pkg.TypesInfo, dec: dec, file: df, src: src, imports: map[string]bool{}, names: names, pkgPath: pkg.PkgPath}
	var failures []failure
	edited := map[*ast.FuncDecl]bool{}
	for _, i := range indexes {
		if err := fr.rewriteSite(plans[i]); err != nil {
			failures = append(failures, failure{plan: i, file: name, err: err})
			continue
		}
		edited[plans[i].Handler.Site.Func.Decl] = true
	}
	for _, fix := range wrapperFixes(prog, plans) {
		if fix.file == f {
			fr.fixSetting(fix)
			edited[fix.wrapper.Source.Decl] = true
		}
	}
	inserts := map[*ast.FuncDecl][]byte{}
	removed := map[*ast.FuncDecl]bool{}
	for _, op := range ops {
		if op.remove {
			removed[op.decl] = true
			continue
		}
		if op.variant != "" {
			text, err := variantText(prog, f, src, op, fr.imports, fr.names)
			if err != nil {
				failures = append(failures, failure{plan: -1, file: name, err: err})
				continue
			}
			inserts[op.decl] = append(inserts[op.decl], text...)
			continue
		}
		if err := op.edit(fr); err != nil {
			failures = append(failures, failure{plan: -1, file: name, err: err})
			continue
		}
		edited[op.decl] = true
	}
	if len(edited) == 0 && len(inserts) == 0 && len(removed) == 0 {
		return nil, failures, nil
	}
	var restored bytes.Buffer
	if err := decorator.Fprint(&restored, df); err != nil {
		return nil, nil, fmt.Errorf("apply: %s: %w", prog.Rel(name), err)
	}
	out, err := splice(src, f, prog.Fset, restored.Bytes(), declEdits{edited, inserts, removed}, fr.imports, fr.names)
	if err != nil {
		return nil, nil, fmt.Errorf("apply: %s: %w", prog.Rel(name), err)
	}
	if bytes.Equal(out, src) {
		return nil, failures, nil
	}
	return &FileEdit{Path: name, Rel: prog.Rel(name), Old: src, New: out}, failures, nil
}

// splice copies the edited functions from the restored file into the
// original source, so everything else stays byte-identical, then fixes the
// imports: adds what the edits need, drops what nothing uses any more.
// declEdits says what happens to declarations: edited in the restored
// file, followed by inserted text, or removed.
type declEdits struct {
	edited  map[*ast.FuncDecl]bool
	inserts map[*ast.FuncDecl][]byte
	removed map[*ast.FuncDecl]bool
}

func splice(src []byte, orig *ast.File, fset *token.FileSet, restored []byte, de declEdits, imports map[string]bool, names map[string]string) ([]byte, error) {
	rfset := token.NewFileSet()
	rfile, err := parser.ParseFile(rfset, "", restored, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("restored file does not parse: %w", err)
	}
	replacements := map[int]*ast.FuncDecl{} // original decl index → restored decl
	for i, d := range orig.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && de.edited[fd] {
			replacements[i] = rfile.Decls[i].(*ast.FuncDecl)
		}
	}
	var out bytes.Buffer
	last := 0
	for i, d := range orig.Decls {
		od, isFunc := d.(*ast.FuncDecl)
		rd, replaced := replacements[i]
		if !isFunc || (!replaced && de.inserts[od] == nil && !de.removed[od]) {
			continue
		}
		start, end := declRange(fset, od)
		if de.removed[od] {
			out.Write(src[last:start])
			for end < len(src) && src[end] == '\n' {
				end++ // the blank lines that separated it go with it
			}
			last = end
			continue
		}
		out.Write(src[last:end])
		if replaced {
			rstart, rend := declRange(rfset, rd)
			out.Truncate(out.Len() - (end - start))
			out.Write(restored[rstart:rend])
		}
		if text := de.inserts[od]; text != nil {
			out.WriteString("\n\n")
			out.Write(text)
		}
		last = end
	}
	out.Write(src[last:])
	return fixImports(out.Bytes(), imports, names)
}

// declRange is the byte range of a function declaration with its doc comment.
func declRange(fset *token.FileSet, fd *ast.FuncDecl) (int, int) {
	start := fd.Pos()
	if fd.Doc != nil {
		start = fd.Doc.Pos()
	}
	return fset.Position(start).Offset, fset.Position(fd.End()).Offset
}

// fixImports adds the imports the edits need and removes those nothing
// uses any more; names maps import paths to package names (a path's last
// element is not always its name: github.com/jackc/pgx/v5 is pgx). Only the
// import declarations are reprinted: the rest of the file keeps its bytes.
func fixImports(src []byte, add map[string]bool, names map[string]string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("rewritten file does not parse: %w", err)
	}
	type span struct{ start, end int }
	old := map[*ast.GenDecl]span{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			old[g] = span{fset.Position(g.Pos()).Offset, fset.Position(g.End()).Offset}
		}
	}
	changed := false
	added := map[string]bool{}
	for path := range add {
		if !hasImport(f, path) && usesName(f, names[path]) {
			added[path] = astutil.AddImport(fset, f, path)
			changed = added[path] || changed
		}
	}
	for _, imp := range unusedImports(f, names) {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := ""
		if imp.Name != nil {
			name = imp.Name.Name
		}
		changed = astutil.DeleteNamedImport(fset, f, name, path) || changed
	}
	if !changed {
		return src, nil
	}
	var edits []textEdit
	kept := map[*ast.GenDecl]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		text, err := printDecl(fset, f, g)
		if err != nil {
			return nil, err
		}
		text = separateGroups(text, added)
		if sp, ok := old[g]; ok {
			kept[g] = true
			edits = append(edits, textEdit{sp.start, sp.end, text})
			continue
		}
		at := fset.Position(f.Name.End()).Offset // a new import declaration
		edits = append(edits, textEdit{at, at, "\n\n" + text})
	}
	for g, sp := range old {
		if !kept[g] {
			end := sp.end
			for end < len(src) && src[end] == '\n' {
				end++ // the blank lines that separated it
			}
			edits = append(edits, textEdit{sp.start, end, ""})
		}
	}
	return applyEdits(src, edits), nil
}

// unusedImports are the imports whose package name the file no longer uses.
func unusedImports(f *ast.File, names map[string]string) []*ast.ImportSpec {
	var unused []*ast.ImportSpec
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if imp.Name != nil && (imp.Name.Name == "_" || imp.Name.Name == ".") {
			continue
		}
		name := names[path]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name != "" && !usesName(f, name) {
			unused = append(unused, imp)
		}
	}
	return unused
}

func printDecl(fset *token.FileSet, f *ast.File, g *ast.GenDecl) (string, error) {
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, &printer.CommentedNode{Node: g, Comments: f.Comments}); err != nil {
		return "", fmt.Errorf("imports: %w", err)
	}
	return buf.String(), nil
}

// separateGroups puts an added import that is not from the standard
// library in a group of its own when it landed next to standard ones, as
// goimports would.
func separateGroups(decl string, added map[string]bool) string {
	lines := strings.Split(decl, "\n")
	var out []string
	for i, line := range lines {
		path, isAdded := importLine(line)
		if isAdded = isAdded && added[path]; isAdded && i > 0 {
			if prev, ok := importLine(lines[i-1]); ok && isStd(prev) != isStd(path) {
				out = append(out, "")
			}
		}
		out = append(out, line)
		if isAdded && i+1 < len(lines) {
			if next, ok := importLine(lines[i+1]); ok && isStd(next) != isStd(path) {
				out = append(out, "")
			}
		}
	}
	return strings.Join(out, "\n")
}

// importLine reads the path of a line `\t"path"` or `\tname "path"`.
func importLine(line string) (string, bool) {
	line = strings.TrimSpace(line)
	if i := strings.IndexByte(line, '"'); i >= 0 {
		if path, err := strconv.Unquote(line[i:]); err == nil {
			return path, true
		}
	}
	return "", false
}

// isStd reports whether an import path is the standard library's: its first
// element has no dot.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// textEdit replaces src[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

func applyEdits(src []byte, edits []textEdit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		out.Write(src[last:e.start])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	return out.Bytes()
}

func hasImport(f *ast.File, path string) bool {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path {
			return true
		}
	}
	return false
}

// usesName reports whether the file refers to name as a package qualifier.
func usesName(f *ast.File, name string) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && id.Obj == nil {
				found = true
			}
		}
		return !found
	})
	return found
}

// fileContent returns a loaded file's bytes: the overlay's, or the disk's.
func (p *Program) fileContent(name string) ([]byte, error) {
	if data, ok := p.options.Overlay[name]; ok {
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return data, nil
}
