package analysis

import (
	"go/types"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/packages"
)

// TestReadContract reads the wrappers of testdata/contracts: what each
// does when its callback returns an error.
func TestReadContract(t *testing.T) {
	const pkg = "github.com/txscope/txscope/rewrite/analysis/testdata/contracts"
	tests := []struct {
		name      string
		rollsBack bool
		commits   []string // the errors that commit
		mapsWith  string   // M of return M(run())
		maps      string   // how it returns another error, "" for none
		why       string   // the reason, when it does not roll back
	}{
		{name: "Plain", rollsBack: true},
		{name: "InnerClosureMapped", rollsBack: true, mapsWith: "MapDBError"},
		{name: "InnerClosureWrapped", rollsBack: true,
			maps: `returns fmt.Errorf("in transaction: %w", err) at contracts.go:78:10 in place of the callback's error`},
		{name: "InnerClosureMappedOnError", rollsBack: true, maps: "returns MapDBError(err) at contracts.go:96:10 in place of the callback's error"},
		{name: "DeferredCommit", rollsBack: true},
		{name: "ErrTxDone", rollsBack: true},
		{name: "CommitAnywayIs", rollsBack: true, commits: []string{pkg + ".ErrKeep"}},
		{name: "CommitAnywayAs", rollsBack: true, commits: []string{pkg + ".KeepError"}},
		{name: "CommitAnywayAssert", rollsBack: true, commits: []string{pkg + ".KeepError"},
			maps: "returns nil at contracts.go:185:2 when the callback returns contracts.KeepError (err.(*KeepError) at contracts.go:181:15)"},
		{name: "CommitAnywaySwallowed", rollsBack: true, commits: []string{pkg + ".ErrKeep"},
			maps: "returns nil at contracts.go:197:2 when the callback returns contracts.ErrKeep (err != ErrKeep at contracts.go:194:34)"},
		{name: "CommitsAlways", why: "the wrapper commits when the callback returns an error: after fn(tx) at contracts.go:205:11, tx.Commit() at contracts.go:206:12"},
		{name: "Ignores", why: "the wrapper ignores the callback's error: after fn(tx) at contracts.go:217:12, it returns nil at contracts.go:219:3"},
		{name: "Opaque", why: "the wrapper commits on some callback errors (retryable(err) at contracts.go:229:35)"},
		{name: "Helper", why: unreadPrefix + ": after fn(tx) at contracts.go:241:20, the statement at contracts.go:241:9 (finish(tx, fn(tx))) could not be followed: it passes the transaction to contracts.finish, which txscope does not follow"},
		{name: "Retry", why: unreadPrefix + ": after fn(tx) at contracts.go:251:12, the statement at contracts.go:250:2 (for i := 0; i < 3; i++ {…) could not be followed: txscope does not follow a loop there"},
		{name: "RunTwice", why: unreadPrefix + ": after fn(tx) at contracts.go:268:13, the statement at contracts.go:262:9 (func() error {…) could not be followed: the function literal around it is called 2 times"},
		{name: "BeginFunc", rollsBack: true},
		{name: "ModuleRunner", rollsBack: true},
		{name: "ModuleRunnerMapped", rollsBack: true, mapsWith: "MapDBError"},
		{name: "CapturedResult", why: unreadPrefix + ": after fn(tx) at contracts.go:309:11, the statement at contracts.go:309:3 (cbErr = fn(tx)) could not be followed: the function literal around it assigns cbErr, declared outside it"},
		{name: "CallbackErrTxDone", rollsBack: true,
			maps: "returns nil at contracts.go:326:4 when the callback returns sql.ErrTxDone (errors.Is(err, sql.ErrTxDone) at contracts.go:325:6)"},
		{name: "DeferredErrTxDone", rollsBack: true},
		{name: "TaggedSwitch", why: unreadPrefix + ": after fn(tx) at contracts.go:358:16, the statement at contracts.go:358:2 (switch err := fn(tx); err {…) could not be followed: txscope does not follow a switch with a tag there"},
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: "testdata/contracts"}, ".")
	require.NoError(t, err)
	require.Len(t, pkgs, 1)
	require.Empty(t, pkgs[0].Errors)
	root, err := filepath.Abs("testdata/contracts")
	require.NoError(t, err)
	prog := &load.Program{Fset: pkgs[0].Fset, Packages: pkgs, Root: root, Config: &rules.Config{}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, ok := pkgs[0].Types.Scope().Lookup(tt.name).(*types.Func)
			require.True(t, ok)
			src, ok := prog.Source(fn)
			require.True(t, ok)
			cb, _ := callbackParam(fn.Signature())
			require.GreaterOrEqual(t, cb, 0)
			c := readContract(prog, src, fn.Signature().Params().At(cb))
			assert.Equal(t, tt.rollsBack, c.rollsBack, c.why)
			assert.Equal(t, tt.why, c.why)
			var commits []string
			for _, ce := range c.commits {
				commits = append(commits, ce.Name)
			}
			assert.Equal(t, tt.commits, commits)
			mapsWith := ""
			if c.mapsWith != nil {
				mapsWith = c.mapsWith.Name()
			}
			assert.Equal(t, tt.mapsWith, mapsWith)
			assert.Equal(t, tt.maps, c.maps)
		})
	}
}

// TestSetContract merges what the config states under commits with what
// txscope read of the wrapper's body.
func TestSetContract(t *testing.T) {
	pkg := types.NewPackage("example.com/app/db", "db")
	fn := types.NewFunc(0, pkg, "WithTx", types.NewSignatureType(nil, nil, nil, nil, nil, false))
	cfg := &rules.Config{Commits: []rules.Commits{{Wrapper: rules.MustPattern("example.com/app/db.WithTx"), Errors: []rules.Pattern{rules.MustPattern("example.com/app/db.ErrKeep")}}}}
	keep := CommitError{Name: "example.com/app/db.ErrKeep", Why: "errors.Is(err, ErrKeep) at db/db.go:20:5"}
	other := CommitError{Name: "example.com/app/db.ErrOther", Why: "errors.Is(err, ErrOther) at db/db.go:21:5"}
	stated := CommitError{Name: "example.com/app/db.ErrKeep", Why: "stated under commits in txscope.yaml"}
	tests := []struct {
		name      string
		cfg       *rules.Config
		give      contract
		rollsBack bool
		commits   []CommitError
		why       string
	}{
		{"unread, stated", cfg, contract{unread: true, why: unreadPrefix + ": …"}, true, []CommitError{stated}, ""},
		{"unread, not stated", &rules.Config{}, contract{unread: true, why: unreadPrefix + ": …"}, false, nil, unreadPrefix + ": …"},
		{"read, confirmed", cfg, contract{rollsBack: true, commits: []CommitError{keep}}, true, []CommitError{keep}, ""},
		{"read rollback, stated errors added", cfg, contract{rollsBack: true}, true, []CommitError{stated}, ""},
		{"read, an error the config does not name", cfg, contract{rollsBack: true, commits: []CommitError{other}}, false, []CommitError{other},
			"the wrapper commits when the callback returns example.com/app/db.ErrOther (errors.Is(err, ErrOther) at db/db.go:21:5), which its entry under commits in txscope.yaml does not name"},
		{"read another contract", cfg, contract{why: "the wrapper ignores the callback's error: …"}, false, nil,
			"the wrapper ignores the callback's error: … (its entry under commits in txscope.yaml does not change what txscope read)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &Wrapper{Func: fn}
			w.setContract(tt.cfg, tt.give)
			assert.Equal(t, tt.rollsBack, w.RollsBack)
			assert.Equal(t, tt.commits, w.Commits)
			assert.Equal(t, tt.why, w.Contract)
		})
	}
}
