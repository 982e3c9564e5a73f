package txmetrics

import (
	"net/http"
)

// Middleware attributes the requests that reach next to the pattern of the
// ServeMux route that matched them (r.Pattern). The mux sets r.Pattern only
// after matching, so wrap the handlers you register, not the mux:
//
//	mux.Handle("GET /orders/{id}", m.Middleware(getOrder))
//
// To wrap a whole ServeMux at once use WrapMux. A request without a pattern
// is attributed to Unmatched.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, r.Pattern, next)
	})
}

// WrapMux returns a handler that serves mux with each request attributed to
// the pattern mux matches for it (found with mux.Handler before serving).
// Requests that match no pattern are attributed to Unmatched. Use WrapMux or
// Middleware, not both: each counts the request.
func (m *Metrics) WrapMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		m.serve(w, r, pattern, mux)
	})
}

func (m *Metrics) serve(w http.ResponseWriter, r *http.Request, pattern string, next http.Handler) {
	ctx, end := m.StartRequest(r.Context(), pattern)
	defer end()
	next.ServeHTTP(w, r.WithContext(ctx))
}
