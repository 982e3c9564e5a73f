package rank

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/load"
)

func TestRankNonFinite(t *testing.T) {
	inf := math.Inf(1)
	metrics := []RouteMetrics{
		{Route: "GET /nan", Skipped: 2, Hold: Histogram{Sum: 1, Count: 1}},
		{Route: "GET /neg", Skipped: 1, Hold: Histogram{Sum: 2, Count: 1, Buckets: []Bucket{{math.Inf(-1), 1}, {inf, 1}}}},
	}
	r := Rank(&load.Program{}, RankInput{Metrics: metrics})
	assert.Equal(t, 3, r.Skipped)
	require.Len(t, r.Unmapped, 2)
	assert.Nil(t, r.Unmapped[0].HoldP99Ms, "an infinite quantile is no number")
	var out strings.Builder
	require.NoError(t, r.WriteJSON(&out))
	assert.Contains(t, out.String(), `"skipped_samples": 3`)
	out.Reset()
	require.NoError(t, r.WriteText(&out))
	assert.Contains(t, out.String(), "3 samples of the scrape were NaN or infinite and were left out")
}

func TestRankTopLimitsEveryList(t *testing.T) {
	var metrics []RouteMetrics
	for i := range 5 {
		metrics = append(metrics, RouteMetrics{Route: "GET /gone" + strconv.Itoa(i), Hold: Histogram{Sum: float64(i)}})
	}
	r := Rank(&load.Program{}, RankInput{Metrics: metrics, Top: 2})
	assert.Equal(t, []string{"GET /gone4", "GET /gone3"}, []string{r.Unmapped[0].Route, r.Unmapped[1].Route})
	assert.Len(t, r.Unmapped, 2)
	assert.Equal(t, 3, r.MoreUnmapped)
	var out strings.Builder
	require.NoError(t, r.WriteText(&out))
	assert.Contains(t, out.String(), "… 3 more not listed (--top)\n")

	all := Rank(&load.Program{}, RankInput{Metrics: metrics})
	assert.Len(t, all.Unmapped, 5)
	assert.Zero(t, all.MoreUnmapped)
}
