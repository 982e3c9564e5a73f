package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/txscope/txscope/rewrite"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rewrite/rank"
)

type rankOptions struct {
	loadFlags
	json bool
	top  int
}

func newRankCmd() *cobra.Command {
	var o rankOptions
	cmd := &cobra.Command{
		Use:   "rank [flags] SCRAPE [packages]",
		Short: "Rank handlers by the connection time they hold in production",
		Long: `rank reads a Prometheus scrape of the txmetrics series (a file, or an
http://localhost or http://127.0.0.1 URL), maps each route label to the
handler registered for it (net/http ServeMux patterns, chi, gin and echo
routes with constant paths or route tables), and lists the handlers by total
connection-hold seconds with hold and transaction p99, acquires that waited
over 1 ms, acquire timeouts, and what txscope rewrite does with each wrapped
function run for the route (pooled, narrowed, kept with the reason).

For chi, gin and echo the route label must be "METHOD /path" with the
router's template, e.g. c.Request.Method+" "+c.FullPath() for gin; a label
that is only the path matches when one registration has that path. Routes
of the scrape that no handler was found for are listed by pattern. --top
limits both lists. NaN and infinite samples are left out and counted.

A relative SCRAPE path is read from the -C directory.`,
		Example: `  txscope rank scrape.prom ./...
  curl -s localhost:8080/metrics > scrape.prom && txscope rank --top 20 scrape.prom
  txscope rank --json http://localhost:8080/metrics ./internal/...`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args[0], args[1:])
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.json, "json", false, "print the ranking as JSON")
	cmd.Flags().IntVar(&o.top, "top", 0, "list only the first `N` handlers and the first N unmapped routes (0: all)")
	return cmd
}

func (o *rankOptions) run(cmd *cobra.Command, scrape string, patterns []string) error {
	if o.top < 0 {
		return fmt.Errorf("--top: want 0 (all) or more, got %d", o.top)
	}
	metrics, err := o.readScrape(scrape)
	if err != nil {
		return err
	}
	prog, plans, note, err := o.plan(cmd, patterns)
	if err != nil {
		return err
	}
	ranking := rank.Rank(prog, rank.RankInput{Metrics: metrics, Routes: rank.FindRoutes(prog), Plans: plans, Top: o.top})
	ranking.Verified, ranking.Note = note == "", note
	if o.json {
		return ranking.WriteJSON(cmd.OutOrStdout())
	}
	return ranking.WriteText(cmd.OutOrStdout())
}

// plan returns the plans rewrite makes, verified by applying and
// type-checking them. When the runtime the rewrite would hand out cannot
// be used in the module, the plans are the planner's alone and note says
// why.
func (o *rankOptions) plan(cmd *cobra.Command, patterns []string) (*load.Program, []plan.Plan, string, error) {
	prog, err := o.load(cmd, patterns, true)
	if err != nil {
		return nil, nil, "", err
	}
	res, err := rewrite.Rewrite(prog, rewrite.Options{Version: version()})
	var rtErr *rewrite.RuntimeError
	switch {
	case errors.As(err, &rtErr):
	case err != nil:
		return nil, nil, "", err
	default:
		return prog, res.AllPlans(), "", nil
	}
	planned, err := rewrite.PlanAll(prog, rewrite.Options{Version: version()})
	if err != nil {
		return nil, nil, "", err
	}
	return prog, planned.AllPlans(), rtErr.Err.Error() + "; the actions are not type-checked", nil
}

// readScrape parses the scrape from a file (relative to -C) or a local URL.
func (o *rankOptions) readScrape(scrape string) ([]rank.RouteMetrics, error) {
	var r io.ReadCloser
	if strings.HasPrefix(scrape, "http://") || strings.HasPrefix(scrape, "https://") {
		body, err := fetchLocal(scrape)
		if err != nil {
			return nil, err
		}
		r = body
	} else {
		path := scrape
		if !filepath.IsAbs(path) && o.dir != "" {
			path = filepath.Join(o.dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("scrape: %w", err)
		}
		r = f
	}
	defer r.Close()
	return rank.ParseScrape(r)
}

// fetchLocal GETs a scrape from this machine only: rank reads what a
// developer's own service or a port-forward exposes, never a remote host.
func fetchLocal(raw string) (io.ReadCloser, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	if !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("scrape: refusing to fetch %s: only localhost URLs are read (save the scrape to a file instead)", u.Redacted())
	}
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("scrape: GET %s: %s", u.Redacted(), resp.Status)
	}
	return resp.Body, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
