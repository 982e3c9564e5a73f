// Package rank orders a service's routes by what their transactions cost.
//
// In: a Prometheus scrape of txmetrics' metrics (ParseScrape), the routes
// registered in the program (FindRoutes: net/http, chi, gin, echo, route
// tables) and the plans rewrite made. Out: a Ranking, printed as text or
// JSON, of connection hold, waits and timeouts per route with the action
// txscope takes for each. Metric names come from txmetrics/names, so the
// analysis does not link the runtime.
package rank
