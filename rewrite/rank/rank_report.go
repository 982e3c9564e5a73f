package rank

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the ranked handlers as a table, then the unmapped
// routes, then where the actions come from.
func (r *Ranking) WriteText(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tROUTE\tHANDLER\tPOSITION\tHOLD s\tHOLD p99 ms\tTX p99 ms\tWAITED\tTIMEOUTS\tACTION")
	for _, h := range r.Handlers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", h.Rank, h.Route, h.Handler, rankOrDash(h.Pos), h.RouteStats.columns(), h.action())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeMore(&b, r.MoreHandlers)
	if len(r.Unmapped) > 0 {
		fmt.Fprintf(&b, "\nunmapped routes:\n")
		fmt.Fprintln(tw, "ROUTE\tHOLD s\tHOLD p99 ms\tTX p99 ms\tWAITED\tTIMEOUTS\tWHY")
		for _, u := range r.Unmapped {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Route, u.RouteStats.columns(), u.Why)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	writeMore(&b, r.MoreUnmapped)
	if r.Skipped > 0 {
		fmt.Fprintf(&b, "\n%d samples of the scrape were NaN or infinite and were left out\n", r.Skipped)
	}
	if r.Verified {
		fmt.Fprintln(&b, "\nactions: what txscope rewrite does, type-checked in memory")
	} else {
		fmt.Fprintf(&b, "\nactions: planned only, not applied or type-checked (%s)\n", r.Note)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMore says how many rows of a list --top left out.
func writeMore(b *strings.Builder, n int) {
	if n > 0 {
		fmt.Fprintf(b, "… %d more not listed (--top)\n", n)
	}
}

// columns are the numeric cells of a row, tab-separated.
func (s RouteStats) columns() string {
	return strings.Join([]string{
		fmt.Sprintf("%.2f", s.HoldSeconds),
		rankOptional(s.HoldP99Ms, "%.1f"),
		rankOptional(s.TxP99Ms, "%.1f"),
		rankOptional(s.Waited, "%.0f"),
		fmt.Sprintf("%.0f", s.Timeouts),
	}, "\t")
}

// action summarises the plans of a route's wrapped functions: the action,
// the function when it is not the handler itself, and the reason.
func (h RankedRoute) action() string {
	if len(h.Actions) == 0 {
		return "no tenant transaction found"
	}
	var parts []string
	for _, a := range h.Actions {
		s := string(a.Action)
		if a.Func != h.Handler {
			s += " in " + a.Func
		}
		if a.Reason != "" {
			s += ": " + a.Reason
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func rankOptional(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

func rankOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteJSON prints the ranking as indented JSON.
func (r *Ranking) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
