package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse parses the contents of txscope.yaml; path is used in error messages.
// Every error carries the line and column of the offending key or value;
// several are joined, sorted by position.
func Parse(path string, data []byte) (*Config, error) {
	d := &decoder{cfg: Default(), lines: bytes.Split(data, []byte("\n"))}
	d.cfg.Path = path
	doc, err := oneDocument(path, data)
	if err != nil {
		return nil, err
	}
	if doc != nil && len(doc.Content) > 0 {
		d.root(deref(doc.Content[0]))
	}
	if err := JoinErrors(d.errs); err != nil {
		return nil, err
	}
	return d.cfg, nil
}

// oneDocument decodes the only YAML document of data, nil when there is
// none. A second one is an error: the YAML library would ignore it, and with
// it whatever the user wrote there.
func oneDocument(path string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, syntaxError(path, err)
	}
	if err := dec.Decode(&next); errors.Is(err, io.EOF) {
		return &doc, nil
	} else if err != nil {
		return nil, syntaxError(path, err)
	}
	pos := Position{File: path, Line: next.Line, Col: next.Column}
	return nil, &Error{Pos: pos, Msg: "a second YAML document: txscope.yaml holds one (remove the '---')"}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError gives a YAML syntax error the file:line:col form. The YAML
// parser reports no column.
func syntaxError(path string, err error) error {
	pos := Position{File: path, Line: 1, Col: 1}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	return &Error{Pos: pos, Msg: "invalid YAML: " + msg}
}

// decoder walks the YAML tree, filling cfg and collecting every error.
type decoder struct {
	cfg   *Config
	lines [][]byte // the source, for positions inside a value
	errs  []*Error
}

var (
	topKeys     = []string{"version", "wrappers", "sessions", "middleware", "pooled", "querier", "conflict", "effects", "tenant", "runtime", "schema", "isolation", "commits"}
	effectKeys  = []string{"read", "write", "slow"}
	tenantKeys  = []string{"setting", "column", "rls"}
	runtimeKeys = []string{"dir"}
)

func (d *decoder) root(n *yaml.Node) {
	d.fields(n, "", topKeys, func(key string, v *yaml.Node) {
		c := d.cfg
		switch key {
		case "version":
			d.version(v)
		case "wrappers":
			c.Wrappers = d.patterns(v, key)
		case "sessions":
			c.Sessions = d.patterns(v, key)
		case "middleware":
			c.Middleware = d.patterns(v, key)
		case "pooled":
			d.pooled(v)
		case "querier":
			c.Querier = d.qualifiedName(v, key, "a type name")
		case "conflict":
			c.Conflict = d.qualifiedName(v, key, "an error variable")
		case "effects":
			d.fields(v, key, effectKeys, d.effect)
		case "tenant":
			d.fields(v, key, tenantKeys, d.tenant)
		case "runtime":
			d.fields(v, key, runtimeKeys, d.runtime)
		case "schema":
			c.Schema = d.paths(v, key)
		case "isolation":
			d.isolation(v)
		case "commits":
			d.commits(v)
		}
	})
}

func (d *decoder) effect(key string, v *yaml.Node) {
	e := &d.cfg.Effects
	switch key {
	case "effects.read":
		e.Read = d.patterns(v, key)
	case "effects.write":
		e.Write = d.patterns(v, key)
	case "effects.slow":
		e.Slow = d.patterns(v, key)
	}
}

func (d *decoder) tenant(key string, v *yaml.Node) {
	t := &d.cfg.Tenant
	switch key {
	case "tenant.setting":
		t.Setting, t.SettingSet = d.str(v, key, "a setting name")
	case "tenant.column":
		t.Column, t.ColumnSet = d.str(v, key, "a column name")
	case "tenant.rls":
		t.RLS, t.RLSSet = d.boolean(v, key)
	}
}

func (d *decoder) runtime(key string, v *yaml.Node) {
	dir, ok := d.str(v, key, "a directory relative to the module root")
	if !ok {
		return
	}
	clean := path.Clean(dir)
	if path.IsAbs(clean) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		d.errorf(v, key, "want a directory inside the module, got %q", dir)
		return
	}
	for _, elem := range strings.Split(clean, "/") {
		if elem == "vendor" || elem == "testdata" || strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") {
			d.errorf(v, key, "%q is a directory the go command ignores for packages (%s)", dir, elem)
			return
		}
	}
	d.cfg.Runtime.Dir = path.Clean(dir)
}

// fields walks mapping n, reporting duplicate and unknown keys, and calls
// each with the full key path of every known key whose value is not null.
func (d *decoder) fields(n *yaml.Node, path string, known []string, each func(key string, v *yaml.Node)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		key := k.Value
		if path != "" {
			key = path + "." + k.Value
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, key, "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		if k.Kind != yaml.ScalarNode || !slices.Contains(known, k.Value) {
			d.errorf(k, key, "unknown key (want %s)", orList(known))
			continue
		}
		d.cfg.Keys[key] = d.pos(v, key)
		if !isNull(v) {
			each(key, v)
		}
	}
}

func (d *decoder) version(v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		d.errorf(v, "version", "want 1, got %s", describe(v))
		return
	}
	if v.Value != "1" {
		d.errorf(v, "version", "unsupported version %s (want 1)", v.Value)
		return
	}
	d.cfg.Version = 1
}

// patterns reads a list of function patterns.
func (d *decoder) patterns(v *yaml.Node, key string) []Pattern {
	var ps []Pattern
	d.strings(v, key, "a list of function names", "a function name", func(item *yaml.Node, ikey string) {
		p, err := ParsePattern(item.Value)
		if err != nil {
			d.errorf(item, ikey, "%v", err)
			return
		}
		p.Pos = d.pos(item, ikey)
		ps = append(ps, p)
	})
	return ps
}

// strings calls each with every item of the list v that is a string; v
// that is not a list, or an item that is not a string, is an error saying
// what was wanted.
func (d *decoder) strings(v *yaml.Node, key, list, item string, each func(item *yaml.Node, ikey string)) {
	if v.Kind != yaml.SequenceNode {
		d.errorf(v, key, "want %s, got %s", list, describe(v))
		return
	}
	for i, it := range v.Content {
		it = deref(it)
		ikey := fmt.Sprintf("%s[%d]", key, i)
		if it.Kind != yaml.ScalarNode || it.ShortTag() != "!!str" {
			d.errorf(it, ikey, "want %s, got %s", item, describe(it))
			continue
		}
		each(it, ikey)
	}
}

// paths reads a list of slash-separated paths inside the module.
func (d *decoder) paths(v *yaml.Node, key string) []string {
	var out []string
	d.strings(v, key, "a list of paths relative to the module root", "a path", func(item *yaml.Node, ikey string) {
		clean := path.Clean(item.Value)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			d.errorf(item, ikey, "want a path inside the module, got %q", item.Value)
			return
		}
		out = append(out, clean)
	})
	return out
}

func (d *decoder) pooled(v *yaml.Node) {
	if t := d.template(v, "pooled"); t != nil {
		d.cfg.Pooled = t.String()
	}
}

// template reads a template; every key that holds one goes through it so a
// syntax error is a config error, not a handler kept at rewrite time. The
// empty string stands for the default, as when the key is left out.
func (d *decoder) template(v *yaml.Node, key string) *Template {
	s, ok := d.str(v, key, "a template")
	if !ok || s == "" {
		return nil
	}
	t, err := ParseTemplate(s)
	if err != nil {
		offset := 0
		var te *TemplateError
		if errors.As(err, &te) {
			offset = te.Offset
		}
		d.errs = append(d.errs, &Error{Pos: d.posIn(v, key, offset), Msg: err.Error()})
	}
	return t
}

// isolation reads the database's default isolation level.
func (d *decoder) isolation(v *yaml.Node) {
	s, ok := d.str(v, "isolation", "an isolation level")
	if !ok {
		return
	}
	level, known := ParseIsolation(s)
	if !known {
		d.errorf(v, "isolation", "unknown isolation level %q (want read committed, repeatable read or serializable)", s)
		return
	}
	d.cfg.Isolation = level
}

// commits reads the wrapper contracts: a mapping from a wrapper's name to
// the list of errors (importpath.Name) that commit when its callback
// returns them.
func (d *decoder) commits(v *yaml.Node) {
	if v.Kind != yaml.MappingNode {
		d.errorf(v, "commits", "want a mapping from wrapper names to lists of error names, got %s", describe(v))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := deref(v.Content[i]), deref(v.Content[i+1])
		key := "commits." + k.Value
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.errorf(k, "commits", "want a wrapper name, got %s", describe(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.errorf(k, key, "duplicate key (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		w, err := ParsePattern(k.Value)
		if err != nil {
			d.errorf(k, key, "%v", err)
			continue
		}
		w.Pos = d.pos(k, key)
		entry := Commits{Wrapper: w, Errors: []Pattern{}}
		d.strings(val, key, "a list of error names", "an error name", func(item *yaml.Node, ikey string) {
			p, err := ParsePattern(item.Value)
			if err != nil || p.Recv != "" || p.IsGlob() {
				d.errorf(item, ikey, "bad name %q (want importpath.Name of an error variable or type)", item.Value)
				return
			}
			p.Pos = d.pos(item, ikey)
			entry.Errors = append(entry.Errors, p)
		})
		d.cfg.Commits = append(d.cfg.Commits, entry)
	}
}

// qualifiedName reads a package-level name, "importpath.Name".
func (d *decoder) qualifiedName(v *yaml.Node, key, what string) string {
	s, ok := d.str(v, key, what)
	if !ok || s == "" {
		return ""
	}
	p, err := ParsePattern(s)
	if err != nil || p.Recv != "" || p.IsGlob() {
		d.errorf(v, key, "bad name %q (want importpath.Name)", s)
		return ""
	}
	return s
}

// str reads a string scalar; what names the expected value in errors.
func (d *decoder) str(v *yaml.Node, key, what string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.errorf(v, key, "want %s, got %s", what, describe(v))
		return "", false
	}
	return v.Value, true
}

func (d *decoder) boolean(v *yaml.Node, key string) (bool, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
		d.errorf(v, key, "want true or false, got %s", describe(v))
		return false, false
	}
	b, err := strconv.ParseBool(v.Value)
	if err != nil {
		// An explicit !!bool tag on a YAML 1.1 spelling ("!!bool yes").
		d.errorf(v, key, "want true or false, got %q", v.Value)
		return false, false
	}
	return b, true
}

func (d *decoder) pos(n *yaml.Node, key string) Position {
	return Position{File: d.cfg.Path, Line: n.Line, Col: n.Column, Key: key}
}

// posIn is the position of byte offset of the value of scalar n: exact when
// the source spells the value out up to there on one line (plain or quoted,
// no escapes before it), else the start of the value.
func (d *decoder) posIn(n *yaml.Node, key string, offset int) Position {
	pos := d.pos(n, key)
	if n.Line < 1 || n.Line > len(d.lines) {
		return pos
	}
	line := []rune(string(d.lines[n.Line-1]))
	quote := 0
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		quote = 1
	}
	prefix := []rune(n.Value[:offset])
	start := n.Column - 1 + quote
	if start+len(prefix) > len(line) || string(line[start:start+len(prefix)]) != string(prefix) {
		return pos
	}
	pos.Col += quote + len(prefix)
	return pos
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n, key), Msg: fmt.Sprintf(format, args...)})
}

// deref follows YAML aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind of a YAML value for "got …" in errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "nothing"
	}
	return n.ShortTag()
}

// orList spells a list of keys as "a, b or c".
func orList(keys []string) string {
	if len(keys) == 1 {
		return keys[0]
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " or " + keys[len(keys)-1]
}
