package importfix

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/internal/textdiff"
)

// FixImports adds the imports the edits need and removes those nothing
// uses any more; names maps import paths to package names (a path's last
// element is not always its name: github.com/jackc/pgx/v5 is pgx), module
// is the file's module path. It edits import lines one at a time, as text,
// so every other line keeps its bytes and line ending.
func FixImports(src []byte, add map[string]bool, names map[string]string, module string) ([]byte, error) {
	for _, path := range slices.Sorted(maps.Keys(add)) {
		for {
			imf, err := parseImports(src, module)
			if err != nil {
				return nil, err
			}
			if hasImport(imf.file, path) || !usesName(imf.file, names[path]) {
				break
			}
			src = imf.add(path, names[path]).apply(src)
		}
	}
	for {
		imf, err := parseImports(src, module)
		if err != nil {
			return nil, err
		}
		unused := unusedImports(imf.file, names)
		if len(unused) == 0 {
			return src, nil
		}
		src = imf.remove(unused[0]).apply(src)
	}
}

// importFile is a file whose imports are being fixed.
type importFile struct {
	fset       *token.FileSet
	file       *ast.File
	src        []byte
	module     string
	localApart bool // the module's own imports have a group of their own
}

func parseImports(src []byte, module string) (*importFile, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("rewritten file does not parse: %w", err)
	}
	imf := &importFile{fset: fset, file: f, src: src, module: module}
	imf.localApart = imf.keepsLocalApart()
	return imf, nil
}

// importGroup is an import's group, in goimports' order: the standard
// library, third-party packages, then the module's own when the file
// keeps them apart (goimports -local); else they are third-party too.
type importGroup int

const (
	groupStd importGroup = iota
	groupThirdParty
	groupLocal
)

func (imf *importFile) group(path string) importGroup {
	g := imf.kind(path)
	if g == groupLocal && !imf.localApart {
		return groupThirdParty
	}
	return g
}

// kind is the group path would have in a file keeping local imports apart.
func (imf *importFile) kind(path string) importGroup {
	first, _, _ := strings.Cut(path, "/")
	switch {
	case !strings.Contains(first, "."):
		return groupStd
	case imf.module != "" && (path == imf.module || strings.HasPrefix(path, imf.module+"/")):
		return groupLocal
	}
	return groupThirdParty
}

// keepsLocalApart reports a file with a block of only the module's own
// imports and another block of third-party ones: then a new third-party
// import stays out of the former, and a new local one out of the latter.
func (imf *importFile) keepsLocalApart() bool {
	local, thirdParty := false, false
	for _, b := range imf.blocks() {
		kinds := map[importGroup]bool{}
		for _, s := range b.specs {
			kinds[imf.kind(importPath(s))] = true
		}
		local = local || len(kinds) == 1 && kinds[groupLocal]
		thirdParty = thirdParty || kinds[groupThirdParty] && !kinds[groupLocal]
	}
	return local && thirdParty
}

// importBlock is a run of import specs on consecutive lines: what gofmt
// sorts, and what goimports keeps to one group.
type importBlock struct {
	decl  *ast.GenDecl
	specs []*ast.ImportSpec
}

func (imf *importFile) blocks() []importBlock {
	var blocks []importBlock
	for _, d := range imf.file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		last := -1
		for _, s := range g.Specs {
			spec := s.(*ast.ImportSpec)
			first, end := imf.specLines(spec)
			if last < 0 || first > last+1 {
				blocks = append(blocks, importBlock{decl: g})
			}
			b := &blocks[len(blocks)-1]
			b.specs = append(b.specs, spec)
			last = end
		}
	}
	return blocks
}

// specLines are the first and last lines of a spec with its comments.
func (imf *importFile) specLines(spec *ast.ImportSpec) (int, int) {
	start, end := spec.Pos(), spec.End()
	if spec.Doc != nil {
		start = spec.Doc.Pos()
	}
	if spec.Comment != nil {
		end = spec.Comment.End()
	}
	return syntax.RealPosition(imf.fset, start).Line, syntax.RealPosition(imf.fset, end).Line
}

// placement is where an added import goes relative to a block.
type placement int

const (
	joinBlock placement = iota
	newBlockBefore
	newBlockAfter
)

// add is the edit that adds path as goimports would: at its sorted place
// in the block of its group, else in a new block at its group's place.
// Joining an unparenthesised declaration needs its parentheses first: then
// the edit adds those, and the caller asks again.
func (imf *importFile) add(path, name string) textEdit {
	eol := textdiff.LineEnding(imf.src)
	spec := importSpec(path, name)
	line := "\t" + spec + eol
	// Nothing joins the cgo preamble of `import "C"`.
	blocks := slices.DeleteFunc(imf.blocks(), func(b importBlock) bool { return isCgo(b.decl) })
	if len(blocks) == 0 {
		at := imf.newDeclAt()
		return textEdit{at, at, eol + eol + "import " + spec}
	}
	i, where := imf.target(blocks, path)
	b := blocks[i]
	if !b.decl.Lparen.IsValid() {
		return imf.parenthesise(b.decl, eol)
	}
	_, last := imf.specLines(b.specs[len(b.specs)-1])
	at := imf.lineStart(last + 1)
	switch where {
	case joinBlock:
		if next := slices.IndexFunc(b.specs, func(s *ast.ImportSpec) bool { return importPath(s) > path }); next >= 0 {
			first, _ := imf.specLines(b.specs[next])
			at = imf.lineStart(first)
		}
	case newBlockBefore:
		first, _ := imf.specLines(b.specs[0])
		at, line = imf.lineStart(first), line+eol
	case newBlockAfter:
		line = eol + line
	}
	return textEdit{at, at, line}
}

// importSpec is the import of path, named when the package name is not the
// one its path suggests (the runtime's copy in a directory of another name).
func importSpec(path, name string) string {
	if name == "" || name == AssumedName(path) {
		return strconv.Quote(path)
	}
	return name + " " + strconv.Quote(path)
}

var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// AssumedName is the package name a reader (and goimports) expects of
// path: its last element, the one before a major version suffix, without
// a go- prefix, up to the first character that cannot be in a name.
func AssumedName(path string) string {
	elems := strings.Split(path, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && majorVersion.MatchString(name) {
		name = elems[len(elems)-2]
	}
	name = strings.TrimPrefix(name, "go-")
	if i := strings.IndexFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }); i >= 0 {
		name = name[:i]
	}
	return name
}

// newDeclAt is where a new import declaration goes: after the last one
// (`import "C"`), or after the package clause.
func (imf *importFile) newDeclAt() int {
	at := imf.fset.Position(imf.file.Name.End()).Offset
	for _, d := range imf.file.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			at = imf.fset.Position(g.End()).Offset
		}
	}
	return lineEnd(imf.src, at)
}

// target picks the block path goes in or next to: the block of path's
// own group that shares the longest prefix with it. Without one, a new
// block goes before the first block of a later group, or after the last.
func (imf *importFile) target(blocks []importBlock, path string) (int, placement) {
	group := imf.group(path)
	best, bestPrefix := -1, -1
	for i, b := range blocks {
		if !imf.holdsOnly(b, group) {
			continue
		}
		if prefix := sharedPrefix(path, b.specs); prefix > bestPrefix {
			best, bestPrefix = i, prefix
		}
	}
	if best >= 0 {
		return best, joinBlock
	}
	for i, b := range blocks {
		if imf.earliestGroup(b) > group {
			return i, newBlockBefore
		}
	}
	return len(blocks) - 1, newBlockAfter
}

func (imf *importFile) holdsOnly(b importBlock, group importGroup) bool {
	return !slices.ContainsFunc(b.specs, func(s *ast.ImportSpec) bool { return imf.group(importPath(s)) != group })
}

func isCgo(g *ast.GenDecl) bool {
	return slices.ContainsFunc(g.Specs, func(s ast.Spec) bool { return importPath(s.(*ast.ImportSpec)) == "C" })
}

// earliestGroup is the first group, in goimports' order, that b holds.
func (imf *importFile) earliestGroup(b importBlock) importGroup {
	group := groupLocal
	for _, s := range b.specs {
		group = min(group, imf.group(importPath(s)))
	}
	return group
}

// sharedPrefix is the longest prefix path shares with a spec's path.
func sharedPrefix(path string, specs []*ast.ImportSpec) int {
	best := 0
	for _, s := range specs {
		p := importPath(s)
		n := 0
		for n < len(p) && n < len(path) && p[n] == path[n] {
			n++
		}
		best = max(best, n)
	}
	return best
}

// parenthesise turns `import "x"` into the form gofmt prints for several
// imports: `import (`, the import on its own line, `)`.
func (imf *importFile) parenthesise(g *ast.GenDecl, eol string) textEdit {
	start := imf.fset.Position(g.Specs[0].Pos()).Offset
	end := lineEnd(imf.src, start)
	text := "import (" + eol + "\t" + string(imf.src[start:end]) + eol + ")"
	return textEdit{imf.fset.Position(g.Pos()).Offset, end, text}
}

// remove is the edit that deletes an unused import: its lines, with the
// blank line that set off its block when it was the block's only import,
// or the whole declaration when it was the declaration's.
func (imf *importFile) remove(spec *ast.ImportSpec) textEdit {
	for _, b := range imf.blocks() {
		if !slices.Contains(b.specs, spec) {
			continue
		}
		if len(b.decl.Specs) == 1 {
			start := b.decl.Pos()
			if b.decl.Doc != nil {
				start = b.decl.Doc.Pos()
			}
			end := SkipNewlines(imf.src, imf.fset.Position(b.decl.End()).Offset)
			return textEdit{imf.fset.Position(start).Offset, end, ""}
		}
		first, last := imf.specLines(spec)
		switch {
		case len(b.specs) > 1: // the block stays, and its blank lines
		case imf.blank(first - 1):
			first--
		case imf.blank(last + 1):
			last++
		}
		return textEdit{imf.lineStart(first), imf.lineStart(last + 1), ""}
	}
	panic("remove: an import in no block") // blocks holds every import spec
}

// lineStart is the offset of a line's first byte (len(src) past the end).
func (imf *importFile) lineStart(line int) int {
	tf := imf.fset.File(imf.file.Pos())
	if line > tf.LineCount() {
		return len(imf.src)
	}
	return tf.Offset(tf.LineStart(line))
}

// blank reports whether a line holds nothing but its ending.
func (imf *importFile) blank(line int) bool {
	if line < 1 || line > imf.fset.File(imf.file.Pos()).LineCount() {
		return false
	}
	return strings.TrimSpace(string(imf.src[imf.lineStart(line):imf.lineStart(line+1)])) == ""
}

// lineEnd is the offset of the line ending at or after offset (or the end).
func lineEnd(src []byte, offset int) int {
	for offset < len(src) && src[offset] != '\n' && src[offset] != '\r' {
		offset++
	}
	return offset
}

// SkipNewlines skips the line endings at offset: the blank lines that
// separated what was removed.
func SkipNewlines(src []byte, offset int) int {
	for offset < len(src) && (src[offset] == '\n' || src[offset] == '\r') {
		offset++
	}
	return offset
}

func importPath(spec *ast.ImportSpec) string {
	path, _ := strconv.Unquote(spec.Path.Value)
	return path
}

// unusedImports are the imports whose package name the file no longer uses.
func unusedImports(f *ast.File, names map[string]string) []*ast.ImportSpec {
	var unused []*ast.ImportSpec
	for _, imp := range f.Imports {
		path := importPath(imp)
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

// textEdit replaces src[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

func (e textEdit) apply(src []byte) []byte {
	return slices.Concat(src[:e.start], []byte(e.text), src[e.end:])
}

func hasImport(f *ast.File, path string) bool {
	return slices.ContainsFunc(f.Imports, func(imp *ast.ImportSpec) bool { return importPath(imp) == path })
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
