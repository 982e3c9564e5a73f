package rules

import (
	"bytes"
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// flowWidth is the longest line a list is written on before it is written
// one item a line.
const flowWidth = 100

// Marshal writes the config as YAML in the documented layout, for
// `txscope init` and for errors that show the config to write. Keys that
// were not set (querier, tenant fields) are left out, and so is the
// default pooled: of a config with PlainWrappers, which their pooled
// handles do not use. The result parses back to the same Config except for
// PlainWrappers, which is written as a comment and never read.
func (c *Config) Marshal() []byte {
	var b bytes.Buffer
	if len(c.PlainWrappers) > 0 {
		b.WriteString("# No tenant wrapper: these plain transaction wrappers, which set no tenant,\n")
		b.WriteString("# are narrowed, found again on every run while wrappers: stays empty:\n")
		for _, name := range c.PlainWrappers {
			fmt.Fprintf(&b, "#   %s\n", name)
		}
	}
	if len(c.WrapperCandidates) > 0 {
		b.WriteString("# No wrapper found. These functions of other modules are called with a\n")
		b.WriteString("# callback that takes a transaction; txscope cannot read their bodies. If one\n")
		b.WriteString("# begins a transaction, runs the callback in it and rolls back when the\n")
		b.WriteString("# callback returns an error, name it under wrappers: (and pooled:, the handle\n")
		b.WriteString("# reads run on instead):\n")
		for _, line := range c.WrapperCandidates {
			fmt.Fprintf(&b, "#   %s\n", line)
		}
	}
	fmt.Fprintf(&b, "version: %d\n", max(c.Version, 1))
	writeList(&b, "", "wrappers:   ", c.Wrappers)
	writeList(&b, "", "sessions:   ", c.Sessions)
	writeList(&b, "", "middleware: ", c.Middleware)
	switch pooled := cmp.Or(c.Pooled, DefaultPooled); {
	case pooled == DefaultPooled && len(c.PlainWrappers) > 0:
		b.WriteString("# pooled: a plain wrapper's reads run on the pool it begins on.\n")
	case pooled == DefaultPooled:
		fmt.Fprintf(&b, "pooled:     %s   # the default\n", strconv.Quote(pooled))
	default:
		fmt.Fprintf(&b, "pooled:     %s\n", strconv.Quote(pooled))
	}
	if c.Querier != "" {
		fmt.Fprintf(&b, "querier:    %s\n", strconv.Quote(c.Querier))
	}
	if c.Conflict != "" {
		fmt.Fprintf(&b, "conflict:   %s\n", strconv.Quote(c.Conflict))
	}
	b.WriteString("effects:\n")
	writeList(&b, "  ", "read:  ", c.Effects.Read)
	writeList(&b, "  ", "write: ", c.Effects.Write)
	writeList(&b, "  ", "slow:  ", c.Effects.Slow)
	if t := c.Tenant.marshal(); t != "" {
		fmt.Fprintf(&b, "tenant: {%s}\n", t)
	}
	if len(c.Schema) > 0 {
		quoted := make([]string, len(c.Schema))
		for i, p := range c.Schema {
			quoted[i] = strconv.Quote(p)
		}
		fmt.Fprintf(&b, "schema: [%s]\n", strings.Join(quoted, ", "))
	}
	if c.Isolation != IsolationUnknown {
		fmt.Fprintf(&b, "isolation:  %s\n", strconv.Quote(string(c.Isolation)))
	}
	if len(c.Commits) > 0 {
		b.WriteString("commits:\n")
		for _, e := range c.Commits {
			writeList(&b, "  ", strconv.Quote(e.Wrapper.String())+": ", e.Errors)
		}
	}
	return b.Bytes()
}

// writeList writes `key [a, b]` on one line when it fits, else one item a line.
func writeList(b *bytes.Buffer, indent, key string, ps []Pattern) {
	items := make([]string, len(ps))
	for i, p := range ps {
		items[i] = strconv.Quote(p.String())
	}
	line := indent + key + "[" + strings.Join(items, ", ") + "]"
	if len(ps) < 2 || len(line) <= flowWidth {
		b.WriteString(line + "\n")
		return
	}
	b.WriteString(indent + strings.TrimRight(key, " ") + "\n")
	for _, item := range items {
		b.WriteString(indent + "  - " + item + "\n")
	}
}

// marshal writes the fields that were set, as the inside of a flow mapping.
func (t Tenant) marshal() string {
	var fields []string
	if t.SettingSet {
		fields = append(fields, "setting: "+strconv.Quote(t.Setting))
	}
	if t.ColumnSet {
		fields = append(fields, "column: "+strconv.Quote(t.Column))
	}
	if t.RLSSet {
		fields = append(fields, "rls: "+strconv.FormatBool(t.RLS))
	}
	return strings.Join(fields, ", ")
}
