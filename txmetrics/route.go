package txmetrics

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// maxCachedRoutes bounds the route cache: a service passing raw paths
// instead of patterns still gets correct metrics, just without the cache.
const maxCachedRoutes = 1024

// routeAttrs holds the ready-made measurement options of one route, so that
// recording allocates nothing.
type routeAttrs struct {
	name     string
	record   []metric.RecordOption
	commit   []metric.RecordOption
	rollback []metric.RecordOption
	deadline []metric.AddOption
	canceled []metric.AddOption
}

func newRouteAttrs(route string) *routeAttrs {
	r := attribute.String(names.AttrRoute, route)
	with := func(kv ...attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(kv...))
	}
	return &routeAttrs{
		name:     route,
		record:   []metric.RecordOption{with(r)},
		commit:   []metric.RecordOption{with(r, attribute.String(names.AttrOutcome, names.OutcomeCommit))},
		rollback: []metric.RecordOption{with(r, attribute.String(names.AttrOutcome, names.OutcomeRollback))},
		deadline: []metric.AddOption{with(r, attribute.String(names.AttrReason, names.ReasonDeadline))},
		canceled: []metric.AddOption{with(r, attribute.String(names.AttrReason, names.ReasonCanceled))},
	}
}

func (a *routeAttrs) outcome(committed bool) []metric.RecordOption {
	if committed {
		return a.commit
	}
	return a.rollback
}

// routeCache maps route patterns to their attributes.
type routeCache struct {
	m         sync.Map // string → *routeAttrs
	n         atomic.Int64
	unmatched *routeAttrs
}

func newRouteCache() *routeCache {
	return &routeCache{unmatched: newRouteAttrs(names.Unmatched)}
}

func (c *routeCache) get(route string) *routeAttrs {
	if route == "" || route == names.Unmatched {
		return c.unmatched
	}
	if a, ok := c.m.Load(route); ok {
		return a.(*routeAttrs)
	}
	a := newRouteAttrs(route)
	if c.n.Load() >= maxCachedRoutes {
		return a
	}
	if prev, loaded := c.m.LoadOrStore(route, a); loaded {
		return prev.(*routeAttrs)
	}
	c.n.Add(1)
	return a
}

// request is the per-request state carried in the context.
type request struct {
	attrs   *routeAttrs
	queries atomic.Int64
}

type requestKey struct{}

func requestFrom(ctx context.Context) *request {
	req, _ := ctx.Value(requestKey{}).(*request)
	return req
}

// StartRequest returns ctx carrying route, so that every connection acquired
// and statement sent with it is attributed to route, and a function to call
// when the request ends, which records the number of statements it sent.
// Pass a route pattern ("GET /orders/{id}"), never a raw path: each distinct
// route is a time series. Middleware and WrapMux call it for net/http; call
// it directly from other routers' middleware once they have matched a route.
func (m *Metrics) StartRequest(ctx context.Context, route string) (context.Context, func()) {
	req := &request{attrs: m.routes.get(route)}
	end := func() { m.queries.Record(ctx, req.queries.Load(), req.attrs.record...) }
	return context.WithValue(ctx, requestKey{}, req), end
}

// Route returns the route that ctx is attributed to, or Unmatched.
func Route(ctx context.Context) string {
	if req := requestFrom(ctx); req != nil {
		return req.attrs.name
	}
	return names.Unmatched
}

// attrsFor returns the attributes of req, of the unmatched route when nil.
func (m *Metrics) attrsFor(req *request) *routeAttrs {
	if req == nil {
		return m.routes.unmatched
	}
	return req.attrs
}
