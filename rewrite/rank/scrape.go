package rank

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/txscope/txscope/txmetrics/names"
)

// RouteMetrics are one route's txmetrics series from a scrape, summed over
// every label but the route (outcome, reason, the exporter's otel_scope_*,
// instance labels of a federated scrape).
type RouteMetrics struct {
	Route       string
	Hold        Histogram // connection held, seconds
	Tx          Histogram // BEGIN to COMMIT/ROLLBACK, seconds, every outcome
	AcquireWait Histogram // waiting for a connection, seconds
	Timeouts    float64   // acquires ended by the request's context
	// Skipped counts NaN and infinite samples, and totals that overflowed:
	// left out, since one would make every sum it joins, and the JSON of
	// the ranking, unusable.
	Skipped int
}

// Histogram is a Prometheus histogram: cumulative buckets sorted by upper
// bound (the last one +Inf when the scrape has buckets), sum and count.
type Histogram struct {
	Sum, Count float64
	Buckets    []Bucket
}

// Bucket is the number of observations at or below UpperBound.
type Bucket struct {
	UpperBound, Count float64
}

// ParseScrape reads the Prometheus text exposition format and returns the
// routes that have any txmetrics series, sorted by route.
func ParseScrape(r io.Reader) ([]RouteMetrics, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	byRoute := map[string]*RouteMetrics{}
	route := func(m *dto.Metric) *RouteMetrics {
		name := scrapeLabel(m, names.AttrRoute)
		if name == "" {
			name = names.Unmatched
		}
		if byRoute[name] == nil {
			byRoute[name] = &RouteMetrics{Route: name}
		}
		return byRoute[name]
	}
	histograms := []struct {
		name string
		of   func(*RouteMetrics) *Histogram
	}{
		{names.MetricConnHold, func(r *RouteMetrics) *Histogram { return &r.Hold }},
		{names.MetricTxDuration, func(r *RouteMetrics) *Histogram { return &r.Tx }},
		{names.MetricAcquireWait, func(r *RouteMetrics) *Histogram { return &r.AcquireWait }},
	}
	for _, h := range histograms {
		for _, m := range families[h.name].GetMetric() {
			rm := route(m)
			rm.Skipped += h.of(rm).add(m.GetHistogram())
		}
		// An excerpt without TYPE lines parses as untyped series.
		for _, m := range families[h.name+"_sum"].GetMetric() {
			rm := route(m)
			rm.sample(m.GetUntyped().GetValue(), func(v float64) { h.of(rm).Sum += v })
		}
		for _, m := range families[h.name+"_count"].GetMetric() {
			rm := route(m)
			rm.sample(m.GetUntyped().GetValue(), func(v float64) { h.of(rm).Count += v })
		}
		for _, m := range families[h.name+"_bucket"].GetMetric() {
			rm := route(m)
			if bound, err := strconv.ParseFloat(scrapeLabel(m, "le"), 64); err == nil && !math.IsNaN(bound) {
				rm.sample(m.GetUntyped().GetValue(), func(v float64) { h.of(rm).addBucket(bound, v) })
			}
		}
	}
	for _, m := range families[names.MetricAcquireTimeouts].GetMetric() {
		rm := route(m)
		rm.sample(m.GetCounter().GetValue()+m.GetUntyped().GetValue(), func(v float64) { rm.Timeouts += v })
	}
	out := make([]RouteMetrics, 0, len(byRoute))
	for _, rm := range byRoute {
		rm.dropOverflow()
		out = append(out, *rm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Route < out[j].Route })
	return out, nil
}

// sample passes v to add unless it is NaN or infinite, which it counts.
func (rm *RouteMetrics) sample(v float64, add func(float64)) {
	if !finite(v) {
		rm.Skipped++
		return
	}
	add(v)
}

// dropOverflow zeroes and counts a total that finite samples summed to
// infinity, so that what the ranking prints is a number.
func (rm *RouteMetrics) dropOverflow() {
	totals := []*float64{&rm.Timeouts}
	for _, h := range []*Histogram{&rm.Hold, &rm.Tx, &rm.AcquireWait} {
		totals = append(totals, &h.Sum, &h.Count)
		for i := range h.Buckets {
			totals = append(totals, &h.Buckets[i].Count)
		}
	}
	for _, v := range totals {
		if !finite(*v) {
			*v = 0
			rm.Skipped++
		}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// add sums another series of the same histogram into h, bucket by bucket,
// leaving out and counting NaN and infinite values.
func (h *Histogram) add(d *dto.Histogram) (skipped int) {
	if d == nil {
		return 0
	}
	keep := func(v float64) bool {
		if !finite(v) {
			skipped++
		}
		return finite(v)
	}
	if sum := d.GetSampleSum(); keep(sum) {
		h.Sum += sum
	}
	if count := float64(d.GetSampleCount()) + d.GetSampleCountFloat(); keep(count) {
		h.Count += count
	}
	for _, b := range d.GetBucket() {
		n := float64(b.GetCumulativeCount()) + b.GetCumulativeCountFloat()
		if bound := b.GetUpperBound(); !math.IsNaN(bound) && keep(n) {
			h.addBucket(bound, n)
		}
	}
	return skipped
}

// addBucket adds n observations to the cumulative bucket of bound.
func (h *Histogram) addBucket(bound, n float64) {
	i := sort.Search(len(h.Buckets), func(i int) bool { return h.Buckets[i].UpperBound >= bound })
	if i < len(h.Buckets) && h.Buckets[i].UpperBound == bound {
		h.Buckets[i].Count += n
		return
	}
	h.Buckets = append(h.Buckets, Bucket{})
	copy(h.Buckets[i+1:], h.Buckets[i:])
	h.Buckets[i] = Bucket{UpperBound: bound, Count: n}
}

// scrapeLabel is the value of a series' label, "" when absent.
func scrapeLabel(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// Quantile estimates the q-quantile as Prometheus's histogram_quantile
// does: linear interpolation inside the bucket holding the rank, the lower
// bound of the first bucket taken as 0, and the highest finite bound when
// the rank falls in the +Inf bucket. NaN without buckets or observations.
func (h Histogram) Quantile(q float64) float64 {
	buckets := h.Buckets
	if len(buckets) > 0 && !math.IsInf(buckets[len(buckets)-1].UpperBound, 1) {
		buckets = append(buckets[:len(buckets):len(buckets)], Bucket{UpperBound: math.Inf(1), Count: h.Count})
	}
	if len(buckets) < 2 || buckets[len(buckets)-1].Count == 0 {
		return math.NaN()
	}
	rank := q * buckets[len(buckets)-1].Count
	b := sort.Search(len(buckets)-1, func(i int) bool { return buckets[i].Count >= rank })
	switch {
	case b == len(buckets)-1:
		return buckets[len(buckets)-2].UpperBound
	case b == 0 && buckets[0].UpperBound <= 0:
		return buckets[0].UpperBound
	}
	start, end, count := 0.0, buckets[b].UpperBound, buckets[b].Count
	if b > 0 {
		start = buckets[b-1].UpperBound
		count -= buckets[b-1].Count
		rank -= buckets[b-1].Count
	}
	return start + (end-start)*(rank/count)
}

// Over is the number of observations above bound, read from the bucket of
// that upper bound; NaN when the histogram has no such bucket.
func (h Histogram) Over(bound float64) float64 {
	for _, b := range h.Buckets {
		if b.UpperBound == bound {
			return h.Count - b.Count
		}
	}
	return math.NaN()
}
