package rank

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name string
		give Histogram
		want float64
	}{
		{"interpolates inside the bucket", Histogram{Count: 100, Buckets: []Bucket{{0.1, 50}, {0.2, 100}, {inf, 100}}}, 0.198},
		{"first bucket starts at zero", Histogram{Count: 100, Buckets: []Bucket{{0.5, 100}, {inf, 100}}}, 0.495},
		{"rank in +Inf gives the highest finite bound", Histogram{Count: 10, Buckets: []Bucket{{1, 5}, {2, 8}, {inf, 10}}}, 2},
		{"missing +Inf bucket uses the count", Histogram{Count: 10, Buckets: []Bucket{{1, 5}, {2, 8}}}, 2},
		{"no buckets", Histogram{Sum: 3, Count: 10}, math.NaN()},
		{"no observations", Histogram{Buckets: []Bucket{{1, 0}, {inf, 0}}}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.give.Quantile(0.99)
			if math.IsNaN(tt.want) {
				assert.True(t, math.IsNaN(got), "got %v", got)
				return
			}
			assert.InDelta(t, tt.want, got, 1e-9)
		})
	}
}

func TestParseScrapeSumsOtherLabels(t *testing.T) {
	scrape := `# TYPE txscope_tx_duration_seconds histogram
txscope_tx_duration_seconds_bucket{otel_scope_name="a",outcome="commit",route="POST /x",le="0.1"} 3
txscope_tx_duration_seconds_bucket{otel_scope_name="a",outcome="commit",route="POST /x",le="+Inf"} 4
txscope_tx_duration_seconds_sum{otel_scope_name="a",outcome="commit",route="POST /x"} 0.5
txscope_tx_duration_seconds_count{otel_scope_name="a",outcome="commit",route="POST /x"} 4
txscope_tx_duration_seconds_bucket{otel_scope_name="a",outcome="rollback",route="POST /x",le="0.1"} 0
txscope_tx_duration_seconds_bucket{otel_scope_name="a",outcome="rollback",route="POST /x",le="+Inf"} 1
txscope_tx_duration_seconds_sum{otel_scope_name="a",outcome="rollback",route="POST /x"} 2
txscope_tx_duration_seconds_count{otel_scope_name="a",outcome="rollback",route="POST /x"} 1
# TYPE txscope_acquire_timeouts_total counter
txscope_acquire_timeouts_total{reason="deadline",route="POST /x"} 2
txscope_acquire_timeouts_total{reason="canceled",route="POST /x"} 1
# TYPE txscope_pool_max_connections gauge
txscope_pool_max_connections{pool="main"} 17
`
	routes, err := ParseScrape(strings.NewReader(scrape))
	require.NoError(t, err)
	require.Len(t, routes, 1)
	got := routes[0]
	assert.Equal(t, "POST /x", got.Route)
	assert.Equal(t, Histogram{Sum: 2.5, Count: 5, Buckets: []Bucket{{0.1, 3}, {math.Inf(1), 5}}}, got.Tx)
	assert.Equal(t, 3.0, got.Timeouts)
}

func TestParseScrapeRejectsBadInput(t *testing.T) {
	_, err := ParseScrape(strings.NewReader("txscope_conn_hold_seconds_sum{route=\"x\" 1\n"))
	assert.ErrorContains(t, err, "scrape:")
}

func TestParseScrapeWithoutTypeLines(t *testing.T) {
	scrape := `txscope_conn_hold_seconds_bucket{route="GET /a",le="0.5"} 1
txscope_conn_hold_seconds_bucket{route="GET /a",le="+Inf"} 2
txscope_conn_hold_seconds_sum{route="GET /a"} 1.25
txscope_conn_hold_seconds_count{route="GET /a"} 2
txscope_acquire_timeouts_total{reason="deadline",route="GET /a"} 2
`
	routes, err := ParseScrape(strings.NewReader(scrape))
	require.NoError(t, err)
	require.Len(t, routes, 1)
	assert.Equal(t, Histogram{Sum: 1.25, Count: 2, Buckets: []Bucket{{0.5, 1}, {math.Inf(1), 2}}}, routes[0].Hold)
	assert.Equal(t, 2.0, routes[0].Timeouts)
}

// TestParseScrapeSkipsNonFinite leaves NaN and infinite samples out of
// every number and counts them: one would make every sum it joins NaN.
func TestParseScrapeSkipsNonFinite(t *testing.T) {
	scrape := `# TYPE txscope_conn_hold_seconds histogram
txscope_conn_hold_seconds_bucket{route="GET /a",le="0.5"} 1
txscope_conn_hold_seconds_bucket{route="GET /a",le="+Inf"} 2
txscope_conn_hold_seconds_sum{route="GET /a"} NaN
txscope_conn_hold_seconds_count{route="GET /a"} 2
txscope_conn_hold_seconds_bucket{outcome="x",route="GET /a",le="0.5"} 1
txscope_conn_hold_seconds_bucket{outcome="x",route="GET /a",le="+Inf"} 1
txscope_conn_hold_seconds_sum{outcome="x",route="GET /a"} 0.25
txscope_conn_hold_seconds_count{outcome="x",route="GET /a"} 1
# TYPE txscope_acquire_timeouts_total counter
txscope_acquire_timeouts_total{reason="deadline",route="GET /a"} NaN
txscope_acquire_timeouts_total{reason="canceled",route="GET /a"} 1
`
	untyped := `txscope_tx_duration_seconds_bucket{route="GET /b",le="0.1"} NaN
txscope_tx_duration_seconds_bucket{route="GET /b",le="NaN"} 1
txscope_tx_duration_seconds_bucket{route="GET /b",le="+Inf"} 3
txscope_tx_duration_seconds_sum{route="GET /b"} +Inf
txscope_tx_duration_seconds_count{route="GET /b"} -Inf
`
	routes, err := ParseScrape(strings.NewReader(scrape + untyped))
	require.NoError(t, err)
	require.Len(t, routes, 2)
	a, b := routes[0], routes[1]
	assert.Equal(t, Histogram{Sum: 0.25, Count: 3, Buckets: []Bucket{{0.5, 2}, {math.Inf(1), 3}}}, a.Hold)
	assert.Equal(t, 1.0, a.Timeouts)
	assert.Equal(t, 2, a.Skipped, "the NaN sum and the NaN timeouts")
	assert.Equal(t, Histogram{Buckets: []Bucket{{math.Inf(1), 3}}}, b.Tx)
	assert.Equal(t, 3, b.Skipped, "the NaN bucket, the infinite sum and count; a NaN bound is no bucket")
}

func TestParseScrapeDropsOverflow(t *testing.T) {
	scrape := `txscope_conn_hold_seconds_sum{route="GET /a",instance="1"} 1e308
txscope_conn_hold_seconds_sum{route="GET /a",instance="2"} 1e308
txscope_conn_hold_seconds_count{route="GET /a"} 2
`
	routes, err := ParseScrape(strings.NewReader(scrape))
	require.NoError(t, err)
	require.Len(t, routes, 1)
	assert.Equal(t, Histogram{Count: 2}, routes[0].Hold)
	assert.Equal(t, 1, routes[0].Skipped)
}
