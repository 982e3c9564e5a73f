package rules

import (
	"fmt"
	"go/types"
	"strings"
)

// Pattern is a function name from the config: "importpath.Func",
// "importpath.(*T).Method", "importpath.T.Method", with `*` globs allowed
// only in the last element (Func/Method). Import paths contain dots and
// slashes (e.g. "github.com/jackc/pgx/v5.Tx.Exec", "net/http.(*Client).Do",
// "github.com/sashabaranov/go-openai.*").
type Pattern struct {
	Raw  string
	Pkg  string   // import path
	Recv string   // "" for package-level functions; type name otherwise
	Ptr  bool     // (*T)
	Name string   // may contain '*'
	Pos  Position // where it came from in txscope.yaml (zero for built-ins)
}

// Position is where a value came from in txscope.yaml. Key names the value,
// like "effects.read[2]".
type Position struct {
	File      string
	Line, Col int
	Key       string
}

// String is "file:line:col", or "-" for a position that is not in a file
// (built-in patterns).
func (p Position) String() string {
	if p.Line == 0 {
		return "-"
	}
	file := p.File
	if file == "" {
		file = "txscope.yaml"
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

const patternForms = "want importpath.Func, importpath.T.Method or importpath.(*T).Method"

// ParsePattern parses a function pattern. The import path is everything up
// to the last '/' and then up to the first '.' after it, except that a
// gopkg.in-style ".vN" suffix stays part of the path ("gopkg.in/yaml.v3.Marshal").
func ParsePattern(s string) (Pattern, error) {
	p := Pattern{Raw: s}
	pkg, rest, ok := splitPkg(s)
	if !ok {
		return p, fmt.Errorf("bad function pattern %q: %s", s, patternForms)
	}
	p.Pkg = pkg
	if !isImportPath(pkg) {
		return p, fmt.Errorf("bad function pattern %q: %q is not an import path", s, pkg)
	}
	if err := p.parseRest(rest); err != nil {
		return p, fmt.Errorf("bad function pattern %q: %w", s, err)
	}
	return p, nil
}

// MustPattern parses a pattern that is known to be valid (built-in tables).
func MustPattern(s string) Pattern {
	p, err := ParsePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

func splitPkg(s string) (pkg, rest string, ok bool) {
	slash := strings.LastIndexByte(s, '/')
	if paren := strings.IndexByte(s, '('); paren >= 0 && paren < slash {
		return "", "", false
	}
	last := s[slash+1:]
	dot := strings.IndexByte(last, '.')
	if dot < 0 {
		return "", "", false
	}
	if v := gopkgVersion(last[dot:]); v > 0 && strings.Count(last, ".") > 1 {
		dot += v
	}
	pkg, rest = s[:slash+1+dot], last[dot+1:]
	return pkg, rest, pkg != ""
}

// isImportPath reports whether s is a well-formed import path: non-empty
// elements of letters, digits and "-._~+".
func isImportPath(s string) bool {
	for elem := range strings.SplitSeq(s, "/") {
		if elem == "" || strings.Trim(elem, ".") == "" {
			return false
		}
		for _, r := range elem {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+", r)) {
				return false
			}
		}
	}
	return true
}

// gopkgVersion returns the length of a leading ".vN" followed by '.', or 0.
func gopkgVersion(s string) int {
	if !strings.HasPrefix(s, ".v") {
		return 0
	}
	i := 2
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 2 || i >= len(s) || s[i] != '.' {
		return 0
	}
	return i
}

// parseRest parses what follows the package: "Func", "T.M", "(*T).M", "(T).M".
func (p *Pattern) parseRest(rest string) error {
	if strings.HasPrefix(rest, "(") {
		end := strings.Index(rest, ").")
		if end < 0 {
			return fmt.Errorf("unclosed receiver: %s", patternForms)
		}
		recv := rest[1:end]
		p.Ptr = strings.HasPrefix(recv, "*")
		p.Recv = strings.TrimPrefix(recv, "*")
		p.Name = rest[end+2:]
	} else if recv, name, ok := strings.Cut(rest, "."); ok {
		p.Recv, p.Name = recv, name
	} else {
		p.Name = rest
	}
	if p.Recv != "" || p.Ptr {
		if !isIdent(p.Recv, false) {
			return fmt.Errorf("receiver %q is not a type name (globs are allowed only in the last element)", p.Recv)
		}
	}
	if !isIdent(p.Name, true) {
		return fmt.Errorf("%q is not a function name: %s", p.Name, patternForms)
	}
	return nil
}

// isIdent reports whether s is a Go identifier, with '*' allowed when glob.
func isIdent(s string, glob bool) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f:
		case r >= '0' && r <= '9' && i > 0:
		case r == '*' && glob:
		default:
			return false
		}
	}
	return true
}

// String returns the pattern as written, or as built from its fields when
// it was not parsed.
func (p Pattern) String() string {
	switch {
	case p.Raw != "":
		return p.Raw
	case p.Recv == "":
		return p.Pkg + "." + p.Name
	case p.Ptr:
		return p.Pkg + ".(*" + p.Recv + ")." + p.Name
	default:
		return p.Pkg + "." + p.Recv + "." + p.Name
	}
}

// IsGlob reports whether the last element contains '*'.
func (p Pattern) IsGlob() bool { return strings.Contains(p.Name, "*") }

// Match reports whether fn is named by the pattern. A glob without a
// receiver ("pkg.*", "pkg.Get*") also matches methods of every type in the
// package. The receiver's pointerness never decides a match: a type cannot
// declare a method on both T and *T, and users rarely know which one it is.
// A method promoted through embedding matches on the type that declares it.
func (p Pattern) Match(fn *types.Func) bool {
	if fn == nil || fn.Pkg() == nil || pkgPath(fn.Pkg()) != p.Pkg {
		return false
	}
	if !glob(p.Name, fn.Name()) {
		return false
	}
	recv, _, isMethod := recvName(fn)
	if p.Recv == "" {
		return !isMethod || p.IsGlob()
	}
	return isMethod && recv == p.Recv
}

// glob matches name against a pattern where '*' is any run of characters.
func glob(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(name, part)
		if i < 0 {
			return false
		}
		name = name[i+len(part):]
	}
	return len(name) >= len(last) && strings.HasSuffix(name, last)
}

// FuncName is the canonical name of fn, in the pattern syntax: "pkg.Func",
// "pkg.(*T).M", "pkg.T.M"; interface methods "pkg.I.M"; generic receivers
// without type arguments. Functions outside any package (error.Error) and
// methods of unnamed types fall back to types.Func.FullName.
func FuncName(fn *types.Func) string {
	if fn.Pkg() == nil {
		return fn.FullName()
	}
	recv, ptr, isMethod := recvName(fn)
	if isMethod && recv == "" {
		return fn.FullName()
	}
	return Pattern{Pkg: pkgPath(fn.Pkg()), Recv: recv, Ptr: ptr, Name: fn.Name()}.String()
}

// recvName returns the name of the type that declares method fn ("" for an
// unnamed type) and whether the receiver is a pointer; isMethod is false for
// package-level functions.
func recvName(fn *types.Func) (name string, ptr, isMethod bool) {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return "", false, false
	}
	t := types.Unalias(sig.Recv().Type())
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = types.Unalias(p.Elem()), true
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Name(), ptr, true
	}
	return "", ptr, true
}

// pkgPath is the import path of pkg without a vendor directory prefix, so
// that vendored dependencies match the same patterns and presets.
func pkgPath(pkg *types.Package) string {
	path := pkg.Path()
	if i := strings.LastIndex(path, "/vendor/"); i >= 0 {
		return path[i+len("/vendor/"):]
	}
	return strings.TrimPrefix(path, "vendor/")
}
