package txmetrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/txmetrics/names"
)

// routeEcho writes the route its request is attributed to and runs one
// statement on pool so that the request is measured.
func routeEcho(t *testing.T, h *harness) http.Handler {
	pool := fakePool(t, h.m, 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := pool.Exec(r.Context(), "select 1")
		require.NoError(t, err)
		fmt.Fprint(w, Route(r.Context()))
	})
}

func serve(h http.Handler, method, path string) string {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Body.String()
}

func TestMiddlewareOnRegisteredHandlers(t *testing.T) {
	h := newHarness(t, Options{})
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", h.m.Middleware(routeEcho(t, h)))

	assert.Equal(t, "GET /orders/{id}", serve(mux, http.MethodGet, "/orders/7"))
	assert.Equal(t, "GET /orders/{id}", serve(mux, http.MethodGet, "/orders/8"))

	n, queries := h.hist(names.MetricQueriesPerRequest, route("GET /orders/{id}"))
	assert.Equal(t, uint64(2), n)
	assert.Equal(t, 2.0, queries)
	n, _ = h.hist(names.MetricConnHold, route("GET /orders/{id}"))
	assert.Equal(t, uint64(2), n)
}

func TestMiddlewareOutsideAMuxIsUnmatched(t *testing.T) {
	h := newHarness(t, Options{})
	assert.Equal(t, names.Unmatched, serve(h.m.Middleware(routeEcho(t, h)), http.MethodGet, "/orders/7"))
}

func TestWrapMux(t *testing.T) {
	h := newHarness(t, Options{})
	mux := http.NewServeMux()
	echo := routeEcho(t, h)
	mux.Handle("GET /orders/{id}", echo)
	mux.Handle("/", echo)
	wrapped := h.m.WrapMux(mux)

	assert.Equal(t, "GET /orders/{id}", serve(wrapped, http.MethodGet, "/orders/7"))
	assert.Equal(t, "/", serve(wrapped, http.MethodGet, "/anything/else"))

	n, _ := h.hist(names.MetricQueriesPerRequest, route("GET /orders/{id}"))
	assert.Equal(t, uint64(1), n)
	n, _ = h.hist(names.MetricQueriesPerRequest, route("/"))
	assert.Equal(t, uint64(1), n)
}

func TestWrapMuxWithoutAMatchIsUnmatched(t *testing.T) {
	h := newHarness(t, Options{})
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", routeEcho(t, h))

	rec := httptest.NewRecorder()
	h.m.WrapMux(mux).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope", nil))

	assert.Equal(t, http.StatusNotFound, rec.Code)
	n, queries := h.hist(names.MetricQueriesPerRequest, route(names.Unmatched))
	assert.Equal(t, uint64(1), n)
	assert.Zero(t, queries)
}

func TestRoute(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "pattern", give: "/users/:id", want: "/users/:id"},
		{name: "empty", give: "", want: names.Unmatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, end := h.m.StartRequest(context.Background(), tt.give)
			defer end()
			assert.Equal(t, tt.want, Route(ctx))
		})
	}
	assert.Equal(t, names.Unmatched, Route(context.Background()))
}

func TestRouteCacheIsBounded(t *testing.T) {
	c := newRouteCache()
	for i := range maxCachedRoutes + 10 {
		route := fmt.Sprintf("/raw/%d", i)
		assert.Equal(t, route, c.get(route).name)
	}
	assert.Equal(t, int64(maxCachedRoutes), c.n.Load())
	assert.Same(t, c.get("/raw/1"), c.get("/raw/1"), "cached routes are reused")
}
