package rank

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

func TestMatchRoute(t *testing.T) {
	routes := []Route{
		{Pattern: "GET /orders/{id}", Method: "GET", Path: "/orders/{id}", Router: "net/http"},
		{Pattern: "/files/{name}", Path: "/files/{name}", Router: "chi"},
		{Pattern: "GET /v2/items", Method: "GET", Path: "/v2/items", Router: "gin"},
		{Pattern: "GET /v2/users", Method: "GET", Path: "/v2/users", Router: "gin"},
		{Pattern: "POST /v2/users", Method: "POST", Path: "/v2/users", Router: "gin"},
		{Pattern: "/static/", Path: "/static/", Router: "net/http"},
	}
	tests := []struct {
		name string
		give string
		want string // the matched pattern, "" for none
	}{
		{"same pattern", "GET /orders/{id}", "GET /orders/{id}"},
		{"ServeMux pattern without method", "/static/", "/static/"},
		{"other method of a ServeMux pattern", "POST /orders/{id}", ""},
		{"any-method registration", "PUT /files/{name}", "/files/{name}"},
		{"path-only label, one registration", "/v2/items", "GET /v2/items"},
		{"path-only label, several registrations", "/v2/users", ""},
		{"path-only label never matches ServeMux methods", "/orders/{id}", ""},
		{"unknown", "GET /nowhere", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchRoute(routes, tt.give)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, got.Pattern)
		})
	}
}

func TestFindRoutesTables(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
	write("go.mod", "module example.com/tables\n\ngo 1.26.0\n")
	write("routes.go", `package tables

import "net/http"

type route struct {
	pattern string
	h       http.HandlerFunc
}

var table = []route{
	{"GET /a", A},
	{pattern: "GET /b", h: B},
}

func A(w http.ResponseWriter, r *http.Request) {}
func B(w http.ResponseWriter, r *http.Request) {}
func C(w http.ResponseWriter, r *http.Request) {}

func wrap(h http.HandlerFunc) http.Handler { return h }

func Register(mux *http.ServeMux) {
	for _, rt := range table {
		mux.Handle(rt.pattern, wrap(rt.h))
	}
	byPattern := map[string]http.HandlerFunc{"GET /c": C}
	for p, h := range byPattern {
		mux.HandleFunc(p, h)
	}
	http.HandleFunc("GET /d", func(w http.ResponseWriter, r *http.Request) { A(w, r) })
}
`)
	prog, err := load.Load(load.LoadOptions{Dir: dir})
	require.NoError(t, err)
	got := map[string]string{}
	for _, r := range FindRoutes(prog) {
		require.NotNil(t, r.Handler, r.Pattern)
		got[r.Pattern] = rules.FuncName(r.Handler)
	}
	assert.Equal(t, map[string]string{
		"GET /a": "example.com/tables.A",
		"GET /b": "example.com/tables.B",
		"GET /c": "example.com/tables.C",
		"GET /d": "example.com/tables.A",
	}, got)
}
