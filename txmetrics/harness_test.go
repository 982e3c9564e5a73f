package txmetrics

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// harness is a Metrics recording into an in-memory reader.
type harness struct {
	t      testing.TB
	reader *sdkmetric.ManualReader
	m      *Metrics
}

// newHarness returns a harness whose provider also feeds the extra readers.
func newHarness(t testing.TB, opts Options, extra ...sdkmetric.Reader) *harness {
	reader := sdkmetric.NewManualReader()
	providerOpts := []sdkmetric.Option{sdkmetric.WithReader(reader)}
	for _, r := range extra {
		providerOpts = append(providerOpts, sdkmetric.WithReader(r))
	}
	opts.MeterProvider = sdkmetric.NewMeterProvider(providerOpts...)
	m, err := New(opts)
	require.NoError(t, err)
	return &harness{t: t, reader: reader, m: m}
}

func (h *harness) data(name string) metricdata.Aggregation {
	var rm metricdata.ResourceMetrics
	require.NoError(h.t, h.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data
			}
		}
	}
	return nil
}

// hist returns the count and sum of the histogram point with exactly attrs.
func (h *harness) hist(name string, attrs ...attribute.KeyValue) (count uint64, sum float64) {
	want := attribute.NewSet(attrs...)
	switch d := h.data(name).(type) {
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			if p.Attributes.Equals(&want) {
				return p.Count, p.Sum
			}
		}
	case metricdata.Histogram[int64]:
		for _, p := range d.DataPoints {
			if p.Attributes.Equals(&want) {
				return p.Count, float64(p.Sum)
			}
		}
	}
	return 0, 0
}

// value returns the counter or gauge point with exactly attrs.
func (h *harness) value(name string, attrs ...attribute.KeyValue) float64 {
	want := attribute.NewSet(attrs...)
	switch d := h.data(name).(type) {
	case metricdata.Sum[int64]:
		return pointValue(d.DataPoints, want)
	case metricdata.Sum[float64]:
		return pointValue(d.DataPoints, want)
	case metricdata.Gauge[int64]:
		return pointValue(d.DataPoints, want)
	}
	return 0
}

func pointValue[N int64 | float64](points []metricdata.DataPoint[N], want attribute.Set) float64 {
	for _, p := range points {
		if p.Attributes.Equals(&want) {
			return float64(p.Value)
		}
	}
	return 0
}

func route(r string) attribute.KeyValue { return attribute.String(names.AttrRoute, r) }

func outcome(o string) attribute.KeyValue { return attribute.String(names.AttrOutcome, o) }
