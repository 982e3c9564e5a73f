package rank

import (
	"go/ast"
	"go/types"
	"sort"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rewrite/plan"
	"github.com/txscope/txscope/rules"
	"github.com/txscope/txscope/txmetrics/names"
)

// RankInput is what rank joins: a scrape's routes, the route registrations
// of the code and the plan of every wrapped function.
type RankInput struct {
	Metrics []RouteMetrics
	Routes  []Route
	Plans   []plan.Plan
	// Top limits each list, the ranked handlers and the unmapped routes;
	// 0 lists all.
	Top int
}

// Ranking lists routes by the connection time they hold: the handlers to
// migrate first, then the routes of the scrape no handler was found for.
type Ranking struct {
	Handlers []RankedRoute   `json:"handlers"`
	Unmapped []UnmappedRoute `json:"unmapped"`
	// MoreHandlers and MoreUnmapped count what Top left out.
	MoreHandlers int `json:"more_handlers,omitempty"`
	MoreUnmapped int `json:"more_unmapped,omitempty"`
	// Skipped counts the samples of the scrape that were NaN or infinite
	// and were left out of every number.
	Skipped int `json:"skipped_samples,omitempty"`
	// Verified is true when the actions come from a rewrite that was
	// applied and type-checked in memory, false when only planned.
	Verified bool `json:"verified"`
	// Note says why the actions were not verified.
	Note string `json:"note,omitempty"`
}

// RankedRoute is a route of the scrape with its handler and the actions
// rewrite takes for the wrapped functions that run for it.
type RankedRoute struct {
	Rank    int    `json:"rank"`
	Route   string `json:"route"`
	Router  string `json:"router"`
	Handler string `json:"handler"` // "(*Server).Show", or "func literal"
	Pkg     string `json:"pkg,omitempty"`
	Pos     string `json:"pos,omitempty"`
	RouteStats
	Actions []RankAction `json:"actions"`
}

// UnmappedRoute is a route of the scrape that no handler was found for.
type UnmappedRoute struct {
	Route string `json:"route"`
	Why   string `json:"why"`
	RouteStats
}

// RouteStats are a route's numbers; a quantile is null when the scrape
// has no buckets for it.
type RouteStats struct {
	HoldSeconds        float64  `json:"hold_seconds"`
	Holds              float64  `json:"holds"`
	HoldP99Ms          *float64 `json:"hold_p99_ms"`
	TxP99Ms            *float64 `json:"tx_p99_ms"`
	Acquires           float64  `json:"acquires"`
	Waited             *float64 `json:"waited"` // acquires that waited over 1 ms
	AcquireWaitSeconds float64  `json:"acquire_wait_seconds"`
	Timeouts           float64  `json:"timeouts"`
}

// RankAction is the plan of one wrapped function that runs for a route.
type RankAction struct {
	Func   string      `json:"func"`
	Pos    string      `json:"pos"`
	Action plan.Action `json:"action"`
	Reason string      `json:"reason,omitempty"`
}

// rankWaitBound is txmetrics's first acquire-wait bucket: an acquire slower
// than 1 ms waited for a connection rather than taking an idle one.
const rankWaitBound = 0.001

// Rank maps each route of the scrape to its registration and handler, and
// orders the mapped ones by total connection-hold seconds. A wrapped
// function belongs to a route when it is the handler, or is called from the
// handler's body (one level).
func Rank(prog *load.Program, in RankInput) *Ranking {
	r := &Ranking{Handlers: []RankedRoute{}, Unmapped: []UnmappedRoute{}}
	for _, m := range in.Metrics {
		r.Skipped += m.Skipped
		stats := newRouteStats(m)
		route, ok := matchRoute(in.Routes, m.Route)
		switch {
		case !ok && m.Route == names.Unmatched:
			r.Unmapped = append(r.Unmapped, UnmappedRoute{Route: m.Route, Why: "work outside any routed request", RouteStats: stats})
		case !ok:
			r.Unmapped = append(r.Unmapped, UnmappedRoute{Route: m.Route, Why: "no registration with this pattern", RouteStats: stats})
		case route.Handler == nil && route.Lit == nil:
			r.Unmapped = append(r.Unmapped, UnmappedRoute{Route: m.Route, Why: "the handler registered at " + prog.Position(route.Pos) + " is not a function, method value or func literal", RouteStats: stats})
		default:
			row := rankedRoute(prog, route, in.Plans)
			row.Route, row.RouteStats = m.Route, stats
			r.Handlers = append(r.Handlers, row)
		}
	}
	sort.SliceStable(r.Handlers, func(i, j int) bool { return r.Handlers[i].HoldSeconds > r.Handlers[j].HoldSeconds })
	sort.SliceStable(r.Unmapped, func(i, j int) bool { return r.Unmapped[i].HoldSeconds > r.Unmapped[j].HoldSeconds })
	r.Handlers, r.MoreHandlers = top(r.Handlers, in.Top)
	r.Unmapped, r.MoreUnmapped = top(r.Unmapped, in.Top)
	for i := range r.Handlers {
		r.Handlers[i].Rank = i + 1
	}
	return r
}

// top keeps the first n of list (all when n is 0) and counts the rest.
func top[T any](list []T, n int) ([]T, int) {
	if n <= 0 || len(list) <= n {
		return list, 0
	}
	return list[:n], len(list) - n
}

func newRouteStats(m RouteMetrics) RouteStats {
	return RouteStats{
		HoldSeconds:        m.Hold.Sum,
		Holds:              m.Hold.Count,
		HoldP99Ms:          rankMillis(m.Hold.Quantile(0.99)),
		TxP99Ms:            rankMillis(m.Tx.Quantile(0.99)),
		Acquires:           m.AcquireWait.Count,
		Waited:             rankNumber(m.AcquireWait.Over(rankWaitBound)),
		AcquireWaitSeconds: m.AcquireWait.Sum,
		Timeouts:           m.Timeouts,
	}
}

func rankMillis(seconds float64) *float64 { return rankNumber(seconds * 1000) }

// rankNumber is nil for what JSON cannot hold: NaN (no buckets to read)
// and an infinite bound.
func rankNumber(v float64) *float64 {
	if !finite(v) {
		return nil
	}
	return &v
}

// matchRoute finds the registration of a route label: the same pattern, a
// registration for any method on the label's path, or, for a label that is
// only a path (a router adapter that passes the template alone), the one
// chi, gin or echo registration on that path.
func matchRoute(routes []Route, label string) (Route, bool) {
	_, path, hasMethod := strings.Cut(label, " ")
	if !hasMethod {
		path = label
	}
	var anyMethod, byPath []Route
	for _, r := range routes {
		switch {
		case r.Pattern == label:
			return r, true
		case r.Method == "" && r.Router != "net/http" && hasMethod && r.Path == path:
			anyMethod = append(anyMethod, r)
		case !hasMethod && r.Router != "net/http" && r.Path == path:
			byPath = append(byPath, r)
		}
	}
	if len(anyMethod) > 0 {
		return anyMethod[0], true
	}
	if len(byPath) == 1 {
		return byPath[0], true
	}
	return Route{}, false
}

// rankedRoute names a route's handler and collects the plans of the
// wrapped functions that run for it.
func rankedRoute(prog *load.Program, route Route, plans []plan.Plan) RankedRoute {
	row := RankedRoute{Router: route.Router, Actions: []RankAction{}}
	var body ast.Node
	var info *types.Info
	if route.Lit != nil {
		row.Handler, row.Pos = "func literal", prog.Position(route.Lit.Pos())
		body, info = route.Lit, route.info
	} else {
		self := route.Handler.Origin()
		row.Handler = rules.FuncName(self)
		if src, ok := prog.Source(self); ok {
			row.Handler = strings.TrimPrefix(row.Handler, self.Pkg().Path()+".")
			row.Pkg, row.Pos = src.Pkg.PkgPath, prog.Position(src.Decl.Pos())
			body, info = src.Decl, src.Pkg.TypesInfo
		}
	}
	if body == nil {
		return row
	}
	callees := rankCallees(info, body)
	for _, p := range plans {
		site := p.Wrapped.Site
		encl, _ := site.Func.Pkg.TypesInfo.Defs[site.Func.Decl.Name].(*types.Func)
		inside := site.Call.Pos() >= body.Pos() && site.Call.End() <= body.End()
		if inside || (encl != nil && callees[encl]) {
			row.Actions = append(row.Actions, RankAction{Func: site.Name(), Pos: prog.Position(site.Call.Pos()), Action: p.Action, Reason: p.Reason})
		}
	}
	return row
}

// rankCallees is the set of functions called in body.
func rankCallees(info *types.Info, body ast.Node) map[*types.Func]bool {
	callees := map[*types.Func]bool{}
	syntax.Calls(info, body, func(_ *ast.CallExpr, fn *types.Func) { callees[fn] = true })
	return callees
}
