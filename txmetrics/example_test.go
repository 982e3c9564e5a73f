package txmetrics_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/txscope/txscope/txmetrics"
	"github.com/txscope/txscope/txmetrics/names"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// A service on pgx and net/http, exporting to Prometheus on /metrics.
func Example() {
	ctx := context.Background()
	exporter, err := otelprom.New() // registers with prometheus.DefaultRegisterer
	if err != nil {
		log.Fatal(err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	metrics, err := txmetrics.New(txmetrics.Options{MeterProvider: provider})
	if err != nil {
		log.Fatal(err)
	}

	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	cfg.ConnConfig.Tracer = metrics.Tracer()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := metrics.ObservePgxPool(pool, "main"); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		var total int64
		err := pool.QueryRow(r.Context(), "select total from orders where id = $1", r.PathValue("id")).Scan(&total)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, total)
	})
	mux.Handle("GET /metrics", promhttp.Handler())
	log.Fatal(http.ListenAndServe(":8080", metrics.WrapMux(mux)))
}

// Every request served through WrapMux carries its ServeMux pattern as the
// route label.
func ExampleMetrics_WrapMux() {
	registry := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry), otelprom.WithoutScopeInfo())
	if err != nil {
		log.Fatal(err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	metrics, err := txmetrics.New(txmetrics.Options{MeterProvider: provider})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("route:", txmetrics.Route(r.Context()))
	})
	service := metrics.WrapMux(mux)
	service.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/orders/7", nil))
	service.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nowhere", nil))

	scrape := httptest.NewRecorder()
	promhttp.HandlerFor(registry, promhttp.HandlerOpts{}).ServeHTTP(scrape, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.Lines(scrape.Body.String()) {
		if strings.HasPrefix(line, names.MetricQueriesPerRequest+"_count") {
			fmt.Print(line)
		}
	}
	// Output:
	// route: GET /orders/{id}
	// txscope_queries_per_request_count{route="GET /orders/{id}"} 1
	// txscope_queries_per_request_count{route="unmatched"} 1
}

// Routers other than ServeMux call StartRequest from a middleware that runs
// after they have matched the route, with the route's template:
//
// gin (global middleware runs after routing; FullPath is the template):
//
//	router.Use(func(c *gin.Context) {
//		ctx, end := metrics.StartRequest(c.Request.Context(), c.FullPath())
//		defer end()
//		c.Request = c.Request.WithContext(ctx)
//		c.Next()
//	})
//
// echo (middleware added with e.Use runs after routing; Path is the template):
//
//	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
//		return func(c echo.Context) error {
//			ctx, end := metrics.StartRequest(c.Request().Context(), c.Path())
//			defer end()
//			c.SetRequest(c.Request().WithContext(ctx))
//			return next(c)
//		}
//	})
//
// chi (the pattern is complete only once chi has matched, and middleware
// added with r.Use runs before that: add it inside r.Group or with r.With,
// whose middleware runs after matching):
//
//	r.Group(func(r chi.Router) {
//		r.Use(func(next http.Handler) http.Handler {
//			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
//				pattern := chi.RouteContext(req.Context()).RoutePattern()
//				ctx, end := metrics.StartRequest(req.Context(), pattern)
//				defer end()
//				next.ServeHTTP(w, req.WithContext(ctx))
//			})
//		})
//		r.Get("/orders/{id}", getOrder)
//	})
func ExampleMetrics_StartRequest() {
	metrics, err := txmetrics.New(txmetrics.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, end := metrics.StartRequest(context.Background(), "/orders/:id")
	defer end()
	fmt.Println(txmetrics.Route(ctx))
	// Output: /orders/:id
}
