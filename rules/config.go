package rules

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
)

// DefaultSetting is the transaction-local setting that carries the tenant id
// when neither the config nor the wrapper names one.
const DefaultSetting = "app.current_tenant_id"

// Config is txscope.yaml: what txscope cannot detect by itself, or what a
// person decided against the detection.
type Config struct {
	Path       string // "" when no file (defaults/detected)
	Version    int
	Wrappers   []Pattern // functions that open a tenant transaction and call a callback with it
	Sessions   []Pattern // session validation, hoisted onto the pooled handle
	Middleware []Pattern // middleware that runs handlers inside the transaction
	Pooled     string    // template of the pooled handle; placeholders {recv} {tenant} {argN}
	Querier    string    // "importpath.Name" of the project's querier interface, or ""
	Effects    Effects
	Tenant     Tenant
	Runtime    Runtime
	// Keys holds the position of the value of every key given in the file,
	// by key path ("pooled", "effects.slow", "tenant.rls"), for errors
	// found later.
	Keys map[string]Position
}

// Runtime says where a rewrite writes txscope's runtime package into a
// module that does not require txscope.
type Runtime struct {
	Dir string // slash-separated, relative to the module root
}

// DefaultRuntimeDir is where the runtime's copy goes when the config names
// no directory.
const DefaultRuntimeDir = "internal/tenantpool"

// RuntimeDir is the configured directory of the runtime's copy, or the default.
func (c *Config) RuntimeDir() string { return cmp.Or(c.Runtime.Dir, DefaultRuntimeDir) }

// Effects are user rules that override presets and summaries.
type Effects struct {
	Read, Write, Slow []Pattern
}

// Tenant describes how the database isolates tenants. The *Set fields tell
// a value that was given apart from its zero value.
type Tenant struct {
	Setting    string // transaction-local setting carrying the tenant id
	Column     string // tenant column pooled reads must filter on; "" for none
	RLS        bool   // the database enforces row-level security
	SettingSet bool
	ColumnSet  bool
	RLSSet     bool
}

// Default returns the configuration used when there is no txscope.yaml.
func Default() *Config {
	return &Config{Version: 1, Pooled: DefaultPooled, Keys: map[string]Position{}}
}

// Pos returns where key was given, or a position naming only the file and
// the key when it was not.
func (c *Config) Pos(key string) Position {
	if p, ok := c.Keys[key]; ok {
		return p
	}
	return Position{File: c.Path, Key: key}
}

// Load reads and parses the config file at path. When the file does not
// exist the error wraps fs.ErrNotExist.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Error is a problem with a value in txscope.yaml.
type Error struct {
	Pos Position // Pos.Key names the value
	Msg string
}

// Error is "file:line:col: key: message".
func (e *Error) Error() string {
	if e.Pos.Key == "" {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Pos.Key + ": " + e.Msg
}

// joinErrors sorts errs by position and joins them; nil when there are none.
func joinErrors(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// Patterns returns every pattern of wrappers, sessions, middleware and
// effects, in that order; each one's Pos.Key says where it belongs.
func (c *Config) Patterns() []Pattern {
	return slices.Concat(c.Wrappers, c.Sessions, c.Middleware, c.Effects.Read, c.Effects.Write, c.Effects.Slow)
}

// Unmatched reports every pattern of wrappers, sessions, middleware and
// effects for which match returns false, one line each, sorted by position.
func (c *Config) Unmatched(match func(Pattern) bool) error {
	var errs []*Error
	for _, p := range c.Patterns() {
		if !match(p) {
			errs = append(errs, &Error{Pos: p.Pos, Msg: fmt.Sprintf("%q matches no function in the loaded packages", p.String())})
		}
	}
	return joinErrors(errs)
}
