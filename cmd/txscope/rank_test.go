package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/rank"
	"golang.org/x/tools/txtar"
)

const rankScrape = `# TYPE txscope_conn_hold_seconds histogram
txscope_conn_hold_seconds_sum{route="GET /a"} 1
txscope_conn_hold_seconds_count{route="GET /a"} 4
txscope_conn_hold_seconds_sum{route="GET /b"} 3
txscope_conn_hold_seconds_count{route="GET /b"} 4
`

func TestRankRefusesRemoteURL(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"rank", "-C", "../../fixtures/example", "http://metrics.example.com/metrics"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitError, code)
	assert.Contains(t, stderr.String(), "refusing to fetch http://metrics.example.com/metrics: only localhost URLs are read")
}

func TestRankReadsLocalURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(rankScrape))
	}))
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))

	var stdout, stderr bytes.Buffer
	code := run([]string{"rank", "--json", "-C", "../../fixtures/example", srv.URL + "/metrics"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	var got rank.Ranking
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &got))
	assert.True(t, got.Verified)
	assert.Empty(t, got.Handlers, "the example registers no routes")
	require.Len(t, got.Unmapped, 2)
	assert.Equal(t, "GET /b", got.Unmapped[0].Route, "ordered by hold seconds")
	assert.Equal(t, 3.0, got.Unmapped[0].HoldSeconds)
	assert.Nil(t, got.Unmapped[0].HoldP99Ms, "no buckets, no quantile")
}

// TestRankREADMESection keeps the README's rank section honest: its output block
// is the golden report of the fixture it names.
func TestRankREADMESection(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)it prints:\n\n```\n(.*?)```").FindSubmatch(doc)
	require.Len(t, block, 2, "the section has the rank output block")
	ar, err := txtar.ParseFile("../../fixtures/rank/nethttp.txtar")
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSuffix(section(ar, "report"), "exit 0\n"), string(block[1]))
}

// TestRankNaN: a scrape with NaN and infinite samples still ranks, and
// --json prints valid JSON with the samples counted as left out.
func TestRankNaN(t *testing.T) {
	scrape := filepath.Join(t.TempDir(), "scrape.prom")
	require.NoError(t, os.WriteFile(scrape, []byte(rankScrape+`txscope_conn_hold_seconds_sum{route="GET /c"} NaN
txscope_conn_hold_seconds_count{route="GET /c"} +Inf
txscope_acquire_timeouts_total{route="GET /c"} -Inf
`), 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"rank", "--json", "-C", "../../fixtures/example", scrape}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	var got rank.Ranking
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &got), stdout.String())
	assert.Equal(t, 3, got.Skipped)
	require.Len(t, got.Unmapped, 3)
	assert.Equal(t, "GET /c", got.Unmapped[2].Route, "no hold seconds counted")
	assert.Zero(t, got.Unmapped[2].HoldSeconds)
}

func TestRankTopMustNotBeNegative(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"rank", "--top", "-1", "-C", "../../fixtures/example", "scrape.prom"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitError, code)
	assert.Equal(t, "txscope: --top: want 0 (all) or more, got -1\n", stderr.String())
}
