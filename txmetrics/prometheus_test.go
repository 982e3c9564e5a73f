package txmetrics

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/otlptranslator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/txmetrics/names"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

var update = flag.Bool("update", false, "rewrite testdata/scrape.prom")

// documented lists every family of a scrape with its type and labels
// (besides le and the exporter's otel_scope_* labels).
var documented = map[string]struct {
	typ    string
	labels []string
}{
	names.MetricConnHold:          {"HISTOGRAM", []string{names.AttrRoute}},
	names.MetricTxDuration:        {"HISTOGRAM", []string{names.AttrOutcome, names.AttrRoute}},
	names.MetricAcquireWait:       {"HISTOGRAM", []string{names.AttrRoute}},
	names.MetricAcquireTimeouts:   {"COUNTER", []string{names.AttrReason, names.AttrRoute}},
	names.MetricQueriesPerRequest: {"HISTOGRAM", []string{names.AttrRoute}},
	names.MetricSlowStatements:    {"COUNTER", []string{names.AttrRoute, names.AttrStatement}},
	names.MetricPoolInUse:         {"GAUGE", []string{names.AttrPool}},
	names.MetricPoolIdle:          {"GAUGE", []string{names.AttrPool}},
	names.MetricPoolMax:           {"GAUGE", []string{names.AttrPool}},
	names.MetricPoolWaits:         {"COUNTER", []string{names.AttrPool}},
	names.MetricPoolWaitTime:      {"COUNTER", []string{names.AttrPool}},
}

// scrape runs a few requests through a service instrumented with Metrics and
// an OpenTelemetry Prometheus exporter built with opts, and returns the
// Prometheus text scrape.
func scrape(t *testing.T, opts ...otelprom.Option) string {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(append(opts, otelprom.WithRegisterer(reg))...)
	require.NoError(t, err)
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	m, err := New(Options{MeterProvider: provider, SlowStatement: fakeSleep / 2})
	require.NoError(t, err)
	pool := fakePool(t, m, 2)
	_, err = m.ObservePgxPool(pool, "main")
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		tx, err := pool.Begin(r.Context())
		require.NoError(t, err)
		_, err = tx.Exec(r.Context(), "insert into orders (tenant_id) values (42)")
		require.NoError(t, err)
		_, err = tx.Exec(r.Context(), "sleep")
		require.NoError(t, err)
		require.NoError(t, tx.Commit(r.Context()))
	})
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, err := pool.Exec(r.Context(), "select * from orders where id = 7")
		require.NoError(t, err)
		ctx, cancel := context.WithDeadline(r.Context(), time.Now())
		defer cancel()
		_, err = pool.Acquire(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	service := m.WrapMux(mux)
	for _, req := range []string{"POST /orders", "GET /orders/7", "GET /orders/8"} {
		method, path, _ := strings.Cut(req, " ")
		service.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
	}

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func TestScrapeNamesUnderEveryTranslationStrategy(t *testing.T) {
	strategies := []otlptranslator.TranslationStrategyOption{
		"", // the exporter's default
		otlptranslator.UnderscoreEscapingWithSuffixes,
		otlptranslator.NoUTF8EscapingWithSuffixes,
		otlptranslator.UnderscoreEscapingWithoutSuffixes,
		otlptranslator.NoTranslation,
	}
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			var opts []otelprom.Option
			if strategy != "" {
				opts = append(opts, otelprom.WithTranslationStrategy(strategy))
			}
			parser := expfmt.NewTextParser(model.UTF8Validation)
			families, err := parser.TextToMetricFamilies(strings.NewReader(scrape(t, opts...)))
			require.NoError(t, err)

			var got []string
			for name, family := range families {
				if !strings.HasPrefix(name, "txscope_") {
					continue
				}
				got = append(got, name)
				want, ok := documented[name]
				if !assert.True(t, ok, "undocumented family %s", name) {
					continue
				}
				assert.Equal(t, want.typ, family.GetType().String(), name)
				for _, metric := range family.GetMetric() {
					assert.Equal(t, want.labels, ownLabels(metric.GetLabel()), name)
				}
			}
			assert.Len(t, got, len(documented))
		})
	}
}

func TestScrapeSeries(t *testing.T) {
	got := mask(scrape(t))
	const golden = "testdata/scrape.prom"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "run go test ./txmetrics -run TestScrapeSeries -update and review the diff")

	assert.Contains(t, got, `txscope_slow_statements_total{otel_scope_name="`+ScopeName+`",otel_scope_schema_url="",otel_scope_version="",route="POST /orders",statement="sleep"} 1`)
	assert.Contains(t, got, `txscope_acquire_timeouts_total{otel_scope_name="`+ScopeName+`",otel_scope_schema_url="",otel_scope_version="",reason="deadline",route="GET /orders/{id}"} 2`)
}

// ownLabels returns the label names of a series other than le and the
// exporter's otel_scope_* labels, sorted.
func ownLabels(pairs []*dto.LabelPair) []string {
	var names []string
	for _, p := range pairs {
		if n := p.GetName(); n != "le" && !strings.HasPrefix(n, "otel_scope_") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// timed matches the samples whose value is a measured time: sums in
// seconds and the pool's wait time.
var timed = regexp.MustCompile(`^(txscope_\w+_seconds_sum|txscope_pool_wait_seconds_total)\{.*\} `)

// mask keeps the txscope_ lines of a scrape that do not vary between runs:
// bucket lines of times are dropped and measured times replaced by <t>.
func mask(scrape string) string {
	var b strings.Builder
	for line := range strings.Lines(scrape) {
		if !strings.Contains(line, "txscope_") || strings.Contains(line, "_seconds_bucket{") {
			continue
		}
		if loc := timed.FindStringIndex(line); loc != nil {
			line = line[:loc[1]] + "<t>\n"
		}
		b.WriteString(line)
	}
	return b.String()
}
