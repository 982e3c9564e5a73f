package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultPooled is the pooled-handle template used when the config names none:
// txscope's tenantpool runtime on the wrapper receiver's pool.
const DefaultPooled = "tenantpool.For({recv}.Pool, {tenant})"

// Placeholders are the values a pooled template is expanded with, taken from
// the wrapper call: {recv} is its receiver expression, {tenant} its tenant
// argument and {argN} its argument N counted from 0.
type Placeholders struct {
	Recv   string
	Tenant string
	Args   []string
}

// CheckTemplate reports unbalanced braces and unknown placeholders in a
// pooled template.
func CheckTemplate(tmpl string) error {
	_, err := expand(tmpl, nil)
	return err
}

// ExpandTemplate replaces the placeholders of a pooled template with the
// expressions of one wrapper call. A placeholder without a value ({recv} for
// a package-level wrapper, {arg5} for a call with three arguments) is an error.
func ExpandTemplate(tmpl string, ph Placeholders) (string, error) {
	return expand(tmpl, &ph)
}

// expand checks tmpl and, when ph is non-nil, substitutes its values.
func expand(tmpl string, ph *Placeholders) (string, error) {
	var b strings.Builder
	for rest := tmpl; rest != ""; {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			b.WriteString(rest)
			break
		}
		if rest[open] == '}' {
			return "", fmt.Errorf("unbalanced braces in %q: '}' without '{'", tmpl)
		}
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] == '{' {
			return "", fmt.Errorf("unbalanced braces in %q: '{' without '}'", tmpl)
		}
		name := rest[open+1 : open+1+end]
		val, err := placeholder(name, ph)
		if err != nil {
			return "", err
		}
		b.WriteString(rest[:open])
		b.WriteString(val)
		rest = rest[open+end+2:]
	}
	return b.String(), nil
}

// placeholder returns the value of {name}; with ph nil it only checks the name.
func placeholder(name string, ph *Placeholders) (string, error) {
	checkOnly := ph == nil
	if checkOnly {
		ph = &Placeholders{}
	}
	var val, why string
	switch {
	case name == "recv":
		val, why = ph.Recv, "the wrapper call has no receiver"
	case name == "tenant":
		val, why = ph.Tenant, "the wrapper call has no tenant argument"
	case strings.HasPrefix(name, "arg"):
		n, err := strconv.Atoi(name[3:])
		if err != nil || n < 0 || name[3:] != strconv.Itoa(n) {
			return "", unknownPlaceholder(name)
		}
		if n < len(ph.Args) {
			val = ph.Args[n]
		}
		why = fmt.Sprintf("the wrapper call has %d arguments", len(ph.Args))
	default:
		return "", unknownPlaceholder(name)
	}
	if val == "" && !checkOnly {
		return "", fmt.Errorf("{%s} used but %s", name, why)
	}
	return val, nil
}

func unknownPlaceholder(name string) error {
	return fmt.Errorf("unknown placeholder {%s} (want {recv}, {tenant} or {argN})", name)
}
