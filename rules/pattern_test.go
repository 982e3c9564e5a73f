package rules

import (
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		name string
		give string
		want Pattern
	}{
		{"function", "time.Sleep", Pattern{Pkg: "time", Name: "Sleep"}},
		{"slashed path", "net/http.Get", Pattern{Pkg: "net/http", Name: "Get"}},
		{"pointer method", "net/http.(*Client).Do", Pattern{Pkg: "net/http", Recv: "Client", Ptr: true, Name: "Do"}},
		{"value method", "github.com/jackc/pgx/v5.Tx.Exec", Pattern{Pkg: "github.com/jackc/pgx/v5", Recv: "Tx", Name: "Exec"}},
		{"parenthesised value method", "example.com/a.(T).M", Pattern{Pkg: "example.com/a", Recv: "T", Name: "M"}},
		{"dotted host", "github.com/a/b.(*T).M", Pattern{Pkg: "github.com/a/b", Recv: "T", Ptr: true, Name: "M"}},
		{"package glob", "github.com/sashabaranov/go-openai.*", Pattern{Pkg: "github.com/sashabaranov/go-openai", Name: "*"}},
		{"prefix glob", "example.com/app/internal/store.Get*", Pattern{Pkg: "example.com/app/internal/store", Name: "Get*"}},
		{"method glob", "example.com/app/store.(*Queries).Get*", Pattern{Pkg: "example.com/app/store", Recv: "Queries", Ptr: true, Name: "Get*"}},
		{"gopkg.in version", "gopkg.in/yaml.v3.Marshal", Pattern{Pkg: "gopkg.in/yaml.v3", Name: "Marshal"}},
		{"gopkg.in method", "gopkg.in/yaml.v3.(*Node).Decode", Pattern{Pkg: "gopkg.in/yaml.v3", Recv: "Node", Ptr: true, Name: "Decode"}},
		{"no slash dotted type", "example.T.M", Pattern{Pkg: "example", Recv: "T", Name: "M"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePattern(tt.give)
			require.NoError(t, err)
			tt.want.Raw = tt.give
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.give, got.String())
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"empty", "", `bad function pattern "": want importpath.Func, importpath.T.Method or importpath.(*T).Method`},
		{"no dot", "github.com/a/b", `bad function pattern "github.com/a/b": want importpath.Func, importpath.T.Method or importpath.(*T).Method`},
		{"trailing dot", "time.", `bad function pattern "time.": "" is not a function name: want importpath.Func, importpath.T.Method or importpath.(*T).Method`},
		{"glob receiver", "net/http.*.Do", `bad function pattern "net/http.*.Do": receiver "*" is not a type name (globs are allowed only in the last element)`},
		{"glob path", "github.com/aws/*.Do", `bad function pattern "github.com/aws/*.Do": "github.com/aws/*" is not an import path`},
		{"leading space", " net/http.Get", `bad function pattern " net/http.Get": " net/http" is not an import path`},
		{"empty element", "a//b.F", `bad function pattern "a//b.F": "a//b" is not an import path`},
		{"trailing slash", "net/.Get", `bad function pattern "net/.Get": "net/" is not an import path`},
		{"unclosed receiver", "net/http.(*Client.Do", `bad function pattern "net/http.(*Client.Do": unclosed receiver: want importpath.Func, importpath.T.Method or importpath.(*T).Method`},
		{"too many parts", "a/b.T.M.X", `bad function pattern "a/b.T.M.X": "M.X" is not a function name: want importpath.Func, importpath.T.Method or importpath.(*T).Method`},
		{"space", "time.Sle ep", `bad function pattern "time.Sle ep": "Sle ep" is not a function name: want importpath.Func, importpath.T.Method or importpath.(*T).Method`},
		{"generic receiver", "a/b.(*T[K]).M", `bad function pattern "a/b.(*T[K]).M": receiver "T[K]" is not a type name (globs are allowed only in the last element)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePattern(tt.give)
			assert.EqualError(t, err, tt.want)
		})
	}
}

func TestFuncName(t *testing.T) {
	tests := []struct {
		name string
		give string // pkgpath:Func or pkgpath:T.Method
		want string
	}{
		{"function", "time:Sleep", "time.Sleep"},
		{"pointer method", "net/http:Client.Do", "net/http.(*Client).Do"},
		{"interface method", "github.com/jackc/pgx/v5:Tx.Exec", "github.com/jackc/pgx/v5.Tx.Exec"},
		{"pgxpool method", "github.com/jackc/pgx/v5/pgxpool:Pool.Query", "github.com/jackc/pgx/v5/pgxpool.(*Pool).Query"},
		{"value method", "example.com/app/store:Queries.CreateOrder", "example.com/app/store.Queries.CreateOrder"},
		{"promoted method", "example.com/app/store:Service.Close", "example.com/app/store.(*Base).Close"},
		{"promoted driver method", "github.com/jmoiron/sqlx:Tx.ExecContext", "database/sql.(*Tx).ExecContext"},
		{"embedded interface method", "example.com/app/store:Querier.Exec", "example.com/app/store.DBTX.Exec"},
		{"generic receiver", "example.com/app/store:Cache.Get", "example.com/app/store.(*Cache).Get"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, FuncName(fnAt(t, tt.give)))
		})
	}
}

func TestFuncNameWithoutPackage(t *testing.T) {
	errorMethod := types.Universe.Lookup("error").Type().Underlying().(*types.Interface).Method(0)
	assert.Equal(t, errorMethod.FullName(), FuncName(errorMethod))
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		fn      string
		want    bool
	}{
		{"exact function", "time.Sleep", "time:Sleep", true},
		{"other function", "time.Sleep", "time:Now", false},
		{"other package", "time.Sleep", "net/http:Get", false},
		{"pointer method", "net/http.(*Client).Do", "net/http:Client.Do", true},
		{"value pattern matches pointer method", "net/http.Client.Do", "net/http:Client.Do", true},
		{"pointer pattern matches value method", "example.com/app/store.(*Queries).CreateOrder", "example.com/app/store:Queries.CreateOrder", true},
		{"function pattern does not match method", "net/http.Do", "net/http:Client.Do", false},
		{"method pattern does not match function", "net/http.Client.Get", "net/http:Get", false},
		{"other receiver", "net/http.(*Request).Do", "net/http:Client.Do", false},
		{"package glob function", "net/http.*", "net/http:Get", true},
		{"package glob method", "net/http.*", "net/http:Client.Do", true},
		{"prefix glob function", "example.com/app/store.Get*", "example.com/app/store:GetCustomer", true},
		{"prefix glob method", "example.com/app/store.Get*", "example.com/app/store:Queries.GetCustomer", true},
		{"prefix glob miss", "example.com/app/store.Get*", "example.com/app/store:CreateCustomer", false},
		{"method glob", "example.com/app/store.(*Queries).*", "example.com/app/store:Queries.GetCustomer", true},
		{"method glob other type", "example.com/app/store.(*Queries).*", "example.com/app/store:Repo.WithTx", false},
		{"suffix glob", "example.com/app/store.*Customer", "example.com/app/store:CreateCustomer", true},
		{"infix glob", "example.com/app/store.Get*ome*", "example.com/app/store:GetCustomer", true},
		{"infix glob miss", "example.com/app/store.Get*xy*", "example.com/app/store:GetCustomer", false},
		{"interface method", "github.com/jackc/pgx/v5.Tx.Exec", "github.com/jackc/pgx/v5:Tx.Exec", true},
		{"promoted on declaring type", "example.com/app/store.(*Base).Close", "example.com/app/store:Service.Close", true},
		{"promoted not on outer type", "example.com/app/store.(*Service).Close", "example.com/app/store:Service.Close", false},
		{"generic receiver", "example.com/app/store.Cache.Get", "example.com/app/store:Cache.Get", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePattern(tt.pattern)
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Match(fnAt(t, tt.fn)))
		})
	}
}

func TestPatternMatchVendored(t *testing.T) {
	pkg := types.NewPackage("example.com/app/vendor/github.com/x/sdk", "sdk")
	sig := types.NewSignatureType(nil, nil, nil, nil, nil, false)
	fn := types.NewFunc(0, pkg, "Call", sig)
	assert.True(t, MustPattern("github.com/x/sdk.Call").Match(fn))
	assert.Equal(t, "github.com/x/sdk.Call", FuncName(fn))
}

func TestPatternStringFromFields(t *testing.T) {
	assert.Equal(t, "a/b.(*T).M", Pattern{Pkg: "a/b", Recv: "T", Ptr: true, Name: "M"}.String())
	assert.Equal(t, "a/b.T.M", Pattern{Pkg: "a/b", Recv: "T", Name: "M"}.String())
	assert.Equal(t, "a/b.F", Pattern{Pkg: "a/b", Name: "F"}.String())
}

func TestPositionString(t *testing.T) {
	assert.Equal(t, "txscope.yaml:3:5", Position{File: "txscope.yaml", Line: 3, Col: 5}.String())
	assert.Equal(t, "txscope.yaml:1:2", Position{Line: 1, Col: 2}.String())
	assert.Equal(t, "-", Position{}.String())
}
