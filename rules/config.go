package rules

import (
	"cmp"
	"errors"
	"fmt"
	"go/types"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
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
	// Conflict is "importpath.Name" of the error a --recheck write block
	// returns when what the slow call consumed changed; "" is the runtime's
	// ErrConflict.
	Conflict string
	Effects  Effects
	Tenant   Tenant
	Runtime  Runtime
	// Schema are the SQL files or migration directories that define the
	// database's tables and policies, slash-separated and relative to the
	// module root; none means they are looked for by convention.
	Schema []string
	// Isolation is the database's default_transaction_isolation, for
	// wrappers that begin without choosing a level; "" is PostgreSQL's
	// default, read committed.
	Isolation Isolation
	// PlainWrappers are the plain transaction wrappers (they set no tenant)
	// that init found in use; it writes them as a comment, since detection
	// finds them again while wrappers: is empty. Never read from a file.
	PlainWrappers []string
	// Commits states wrapper contracts txscope cannot read, or confirms a
	// commit-anyway contract it reads: for each wrapper, the errors its
	// callback may return that commit the transaction instead of rolling it
	// back (none: it rolls back on every error). The wrapper returns the
	// callback's error as it is. What txscope reads in the body wins where
	// the two disagree.
	Commits []Commits
	// WrapperCandidates are the functions of other modules that init saw
	// called with a callback taking a transaction, when it found no
	// wrapper: written as a comment for a person to confirm under
	// wrappers:. Never read from a file.
	WrapperCandidates []string
	// Keys holds the position of the value of every key given in the file,
	// by key path ("pooled", "effects.slow", "tenant.rls"), for errors
	// found later.
	Keys map[string]Position
}

// Commits is one wrapper's entry under commits: in txscope.yaml.
type Commits struct {
	Wrapper Pattern
	Errors  []Pattern // importpath.Name of an error variable or type
}

// StatedCommits is what the config states of fn's callback errors that
// commit: the errors' names, and whether it states anything.
func (c *Config) StatedCommits(fn *types.Func) ([]string, bool) {
	for _, e := range c.Commits {
		if e.Wrapper.Match(fn) {
			names := make([]string, len(e.Errors))
			for i, p := range e.Errors {
				names[i] = p.String()
			}
			return names, true
		}
	}
	return nil, false
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

// ConfigFile is the configuration's name at the module root.
const ConfigFile = "txscope.yaml"

// Load reads and parses dir's ConfigFile, the defaults when there is none.
// Positions in errors and in the config name the file as ConfigFile, the
// way a user at the module root refers to it.
func Load(dir string) (*Config, error) {
	data, err := ReadConfig(filepath.Join(dir, ConfigFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Default(), nil
	case err != nil:
		return nil, err
	}
	return Parse(ConfigFile, data)
}

// MaxConfigSize bounds txscope.yaml; a real one is a few hundred bytes.
const MaxConfigSize = 1 << 20

// ReadConfig reads a config file that must be a regular file of at most
// MaxConfigSize bytes, so that a FIFO or a link to a device is an error and
// never a hang or an unbounded read. A missing file's error wraps
// fs.ErrNotExist.
func ReadConfig(path string) ([]byte, error) {
	// Non-blocking, or opening a FIFO waits for a writer before Stat can
	// tell it is one.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", path, describeMode(info.Mode()))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxConfigSize)
	}
	return data, nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "a " + m.Type().String() + " file"
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

// JoinErrors sorts errs by position and joins them; nil when there are none.
func JoinErrors(errs []*Error) error {
	sortErrors(errs)
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// sortErrors sorts errs by position, keeping the order of equal ones.
func sortErrors(errs []*Error) {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}

// Patterns returns every pattern of wrappers, sessions, middleware,
// effects and the wrappers under commits, in that order; each one's
// Pos.Key says where it belongs.
func (c *Config) Patterns() []Pattern {
	commits := make([]Pattern, len(c.Commits))
	for i, e := range c.Commits {
		commits[i] = e.Wrapper
	}
	return slices.Concat(c.Wrappers, c.Sessions, c.Middleware, c.Effects.Read, c.Effects.Write, c.Effects.Slow, commits)
}

// Use is what the loaded program says about a configured function name.
type Use int

const (
	Used       Use = iota // the loaded code declares or calls a function it names
	Unused                // it names functions of an imported package that nothing loaded calls
	Unimported            // its package is outside the module and nothing loaded imports it
	Missing               // it names nothing that exists: a typo
)

// CheckPatterns judges every pattern of wrappers, sessions, middleware and
// effects with use. A name that matches nothing is an error, since a typo
// would silently disable its rule; one the code merely does not call (yet)
// is a warning: a rule for a library the code may come to use is idle, not
// wrong. Both come sorted by position.
func (c *Config) CheckPatterns(use func(Pattern) Use) (warnings, errs []*Error) {
	for _, p := range c.Patterns() {
		switch use(p) {
		case Unused:
			warnings = append(warnings, &Error{Pos: p.Pos, Msg: fmt.Sprintf("%q is not called by the loaded packages, so the rule has no effect", p.String())})
		case Unimported:
			warnings = append(warnings, &Error{Pos: p.Pos, Msg: fmt.Sprintf("%q: package %s is not imported by the loaded packages, so the rule has no effect", p.String(), p.Pkg)})
		case Missing:
			errs = append(errs, &Error{Pos: p.Pos, Msg: fmt.Sprintf("%q matches no function in the loaded packages", p.String())})
		}
	}
	sortErrors(warnings)
	sortErrors(errs)
	return warnings, errs
}

// Warning is the error as a warning: "file:line:col: warning: key: message".
func (e *Error) Warning() string {
	return e.Pos.String() + ": warning: " + e.Pos.Key + ": " + e.Msg
}
