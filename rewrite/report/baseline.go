package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// BaselineVersion is the version of the baseline file format this txscope
// writes and reads.
const BaselineVersion = 1

// Baseline states of a finding, as SARIF names them.
const (
	BaselineNew       = "new"
	BaselineUnchanged = "unchanged"
)

// Baseline is the findings a repository accepts for now: `check
// --baseline` fails only on findings that are not in it.
type Baseline struct {
	Version  int             `yaml:"version"`
	Findings []BaselineEntry `yaml:"findings"`
}

// BaselineEntry is one fingerprint and how many findings have it (two
// identical statements in one function give two).
type BaselineEntry struct {
	Fingerprint `yaml:",inline"`
	Count       int `yaml:"count,omitempty" json:"count,omitempty"` // omitted for 1
}

func (e BaselineEntry) count() int { return max(e.Count, 1) }

// BaselineSummary is what --baseline did to a report.
type BaselineSummary struct {
	File      string `json:"file"`
	New       int    `json:"new"`
	Unchanged int    `json:"unchanged"`
	// Absent are the baseline's findings this run no longer has: fixed,
	// or changed beyond recognition (then they are new ones too).
	Absent []BaselineEntry `json:"absent"`
}

// NewBaseline records the report's findings, sorted by function, file,
// code and statement, identical fingerprints counted.
func NewBaseline(r *Report) *Baseline {
	counts := map[Fingerprint]int{}
	for _, d := range r.Findings {
		counts[d.Fingerprint]++
	}
	b := &Baseline{Version: BaselineVersion, Findings: []BaselineEntry{}}
	for fp, n := range counts {
		e := BaselineEntry{Fingerprint: fp}
		if n > 1 {
			e.Count = n
		}
		b.Findings = append(b.Findings, e)
	}
	slices.SortFunc(b.Findings, func(x, y BaselineEntry) int { return compareFingerprints(x.Fingerprint, y.Fingerprint) })
	return b
}

func compareFingerprints(x, y Fingerprint) int {
	return cmp.Or(cmp.Compare(x.Func, y.Func), cmp.Compare(x.File, y.File), cmp.Compare(x.Code, y.Code), cmp.Compare(x.Stmt, y.Stmt))
}

const baselineHeader = `# txscope baseline: the findings ` + "`txscope check --baseline FILE`" + ` accepts.
# Written by ` + "`txscope check --baseline-write FILE`" + `, sorted; an entry is the finding's
# code, its function and its statement (no line numbers), count when more than one.
# Delete the entries of what was fixed, or write the file again.
`

// Write prints the baseline as YAML, after a comment that says what it is.
func (b *Baseline) Write(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString(baselineHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(b); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteBaselineFile writes the baseline to path, replacing it whole.
func WriteBaselineFile(path string, b *Baseline) error {
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}

// BaselineError is a baseline file that cannot be read, at file:line:col
// when the problem has a place.
type BaselineError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *BaselineError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ReadBaselineFile reads and checks a baseline file.
func ReadBaselineFile(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return ParseBaseline(path, data)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

var knownCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range Codes {
		m[c.Code] = true
	}
	return m
}()

// ParseBaseline parses a baseline file's content; name is for errors.
func ParseBaseline(name string, data []byte) (*Baseline, error) {
	fail := func(n *yaml.Node, format string, args ...any) error {
		e := &BaselineError{File: name, Msg: fmt.Sprintf(format, args...)}
		if n != nil {
			e.Line, e.Col = n.Line, n.Column
		}
		return e
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &BaselineError{File: name, Line: line, Msg: m[2]}
		}
		return nil, &BaselineError{File: name, Msg: err.Error()}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fail(nil, "empty baseline (write one with txscope check --baseline-write %s)", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fail(root, "a baseline is a mapping with the keys version and findings")
	}
	b := &Baseline{}
	var versionNode, findingsNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "version":
			versionNode = v
		case "findings":
			findingsNode = v
		default:
			return nil, fail(k, "unknown key %q (a baseline has version and findings)", k.Value)
		}
	}
	if versionNode == nil {
		return nil, fail(root, "no version: this txscope reads baseline version %d", BaselineVersion)
	}
	if err := versionNode.Decode(&b.Version); err != nil || versionNode.Kind != yaml.ScalarNode {
		return nil, fail(versionNode, "version %q is not a number", versionNode.Value)
	}
	if b.Version != BaselineVersion {
		return nil, fail(versionNode, "baseline version %d: this txscope reads version %d", b.Version, BaselineVersion)
	}
	if findingsNode == nil {
		return nil, fail(root, "no findings key (an empty baseline has findings: [])")
	}
	if findingsNode.Kind != yaml.SequenceNode && !(findingsNode.Kind == yaml.ScalarNode && findingsNode.Tag == "!!null") {
		return nil, fail(findingsNode, "findings is a list")
	}
	b.Findings = []BaselineEntry{}
	for _, n := range findingsNode.Content {
		e, err := parseEntry(n, fail)
		if err != nil {
			return nil, err
		}
		b.Findings = append(b.Findings, e)
	}
	return b, nil
}

func parseEntry(n *yaml.Node, fail func(*yaml.Node, string, ...any) error) (BaselineEntry, error) {
	var e BaselineEntry
	if n.Kind != yaml.MappingNode {
		return e, fail(n, "a finding is a mapping with the keys code, func or file, stmt and count")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return e, fail(k, "%s given twice", k.Value)
		}
		seen[k.Value] = true
		var dst *string
		switch k.Value {
		case "code":
			dst = &e.Code
		case "func":
			dst = &e.Func
		case "file":
			dst = &e.File
		case "stmt":
			dst = &e.Stmt
		case "count":
			if err := v.Decode(&e.Count); err != nil || v.Kind != yaml.ScalarNode || e.Count < 1 {
				return e, fail(v, "count %q is not a number of at least 1", v.Value)
			}
			continue
		default:
			return e, fail(k, "unknown key %q in a finding (code, func, file, stmt, count)", k.Value)
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" && v.Tag != "!!null" {
			return e, fail(v, "%s is a string", k.Value)
		}
		*dst = v.Value
	}
	switch {
	case e.Code == "":
		return e, fail(n, "a finding without a code")
	case !knownCodes[e.Code]:
		return e, fail(n, "unknown finding code %q", e.Code)
	case e.Func == "" && e.File == "":
		return e, fail(n, "a finding names its func, or its file when it is outside any function")
	}
	return e, nil
}

// ApplyBaseline marks each finding new or unchanged: a finding is
// unchanged while its fingerprint's count in the baseline lasts (in
// source order), and the baseline's findings left over are absent.
func (r *Report) ApplyBaseline(b *Baseline, file string) {
	left := map[Fingerprint]int{}
	for _, e := range b.Findings {
		left[e.Fingerprint] += e.count()
	}
	s := &BaselineSummary{File: file, Absent: []BaselineEntry{}}
	for i := range r.Findings {
		d := &r.Findings[i]
		if left[d.Fingerprint] > 0 {
			left[d.Fingerprint]--
			d.Baseline = BaselineUnchanged
			s.Unchanged++
		} else {
			d.Baseline = BaselineNew
			s.New++
		}
	}
	for fp, n := range left {
		if n > 0 {
			e := BaselineEntry{Fingerprint: fp}
			if n > 1 {
				e.Count = n
			}
			s.Absent = append(s.Absent, e)
		}
	}
	slices.SortFunc(s.Absent, func(x, y BaselineEntry) int { return compareFingerprints(x.Fingerprint, y.Fingerprint) })
	r.Baseline = s
}

// Failing counts the findings that fail the gate: all of them, or with a
// baseline the new ones.
func (r *Report) Failing() int {
	if r.Baseline == nil {
		return len(r.Findings)
	}
	return r.Baseline.New
}
