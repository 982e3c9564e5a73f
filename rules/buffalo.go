package rules

import "go/types"

const (
	buffaloPkg = "github.com/gobuffalo/buffalo"
	popmwPkg   = "github.com/gobuffalo/buffalo-pop/v3/pop/popmw"
)

// BuffaloTxKey is the context key buffalo-pop's middleware puts the
// request's transaction under (c.Set("tx", tx)).
const BuffaloTxKey = "tx"

// Buffalo's API as the Buffalo migration reads it, by FuncName; the
// semantics are Buffalo v1.1's (middleware.go, route_mappings.go).
var (
	// popmw.Transaction(db) is the middleware that runs each request in one
	// transaction on db: it rolls back when the action returns an error or
	// the response status is 400 or more, and commits otherwise.
	popmwTransaction = popmwPkg + ".Transaction"
	// Use appends middleware to the stack; the routes of the App consult it
	// when a request comes, a group copies it when it is made.
	buffaloAppUse = buffaloPkg + ".(*App).Use"
	buffaloUse    = map[string]bool{buffaloAppUse: true, buffaloPkg + ".(*MiddlewareStack).Use": true}
	// Skip leaves a middleware out for handlers, matched by the names of
	// their functions (the middleware's and the handler's, as
	// runtime.FuncForPC prints them); a group copies the skips when it is
	// made.
	buffaloSkip = buffaloPkg + ".(*MiddlewareStack).Skip"
	// The route methods take (path, handler); ANY registers every method.
	buffaloRoutes = names(buffaloPkg+".(*App).", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
	// Resource routes a resource's actions and returns the group it makes;
	// Group and VirtualHost return a group.
	buffaloResource = buffaloPkg + ".(*App).Resource"
	buffaloGroups   = names(buffaloPkg+".(*App).", "Group", "VirtualHost", "Resource")
)

// ResourceActions are the methods Resource routes, the last two when the
// resource declares them; Buffalo names each route "pkgpath.T.Method"
// after the resource's type T, pointer or not.
var ResourceActions = []string{"List", "Create", "New", "Show", "Update", "Destroy", "Edit"}

func names(prefix string, list ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range list {
		m[prefix+n] = true
	}
	return m
}

// IsPopmwTransaction matches buffalo-pop's popmw.Transaction.
func IsPopmwTransaction(fn *types.Func) bool { return FuncName(fn) == popmwTransaction }

// IsBuffaloUse matches (*buffalo.App).Use and (*buffalo.MiddlewareStack).Use.
func IsBuffaloUse(fn *types.Func) bool { return buffaloUse[FuncName(fn)] }

// IsBuffaloAppUse matches (*buffalo.App).Use, which is the App's
// Middleware's Use.
func IsBuffaloAppUse(fn *types.Func) bool { return FuncName(fn) == buffaloAppUse }

// IsBuffaloSkip matches (*buffalo.MiddlewareStack).Skip.
func IsBuffaloSkip(fn *types.Func) bool { return FuncName(fn) == buffaloSkip }

// IsBuffaloRoute matches the methods of *buffalo.App that route a path to
// one handler (GET, POST…).
func IsBuffaloRoute(fn *types.Func) bool { return buffaloRoutes[FuncName(fn)] }

// IsBuffaloResource matches (*buffalo.App).Resource.
func IsBuffaloResource(fn *types.Func) bool { return FuncName(fn) == buffaloResource }

// IsBuffaloGroup matches the methods of *buffalo.App that return a group
// of its routes (Group, VirtualHost, Resource).
func IsBuffaloGroup(fn *types.Func) bool { return buffaloGroups[FuncName(fn)] }

// IsBuffaloContextError matches buffalo.Context's Error, which returns a
// non-nil HTTPError whatever its arguments (DefaultContext.Error).
func IsBuffaloContextError(fn *types.Func) bool { return FuncName(fn) == buffaloPkg+".Context.Error" }

// buffaloResponders are the methods of buffalo.Context that write the
// response, its status included (Render, Redirect), or hand out its writer
// (Response).
var buffaloResponders = names(buffaloPkg+".Context.", "Render", "Redirect", "Response")

// IsBuffaloResponder matches buffalo.Context's Render, Redirect and
// Response: what sets the status popmw.Transaction reads after the action.
func IsBuffaloResponder(fn *types.Func) bool { return buffaloResponders[FuncName(fn)] }

// IsBuffaloContext matches the type buffalo.Context.
func IsBuffaloContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == buffaloPkg && n.Obj().Name() == "Context"
}

// IsContextValue matches context.Context's Value, which buffalo.Context
// embeds: c.Value("tx") is how actions reach popmw's transaction.
func IsContextValue(fn *types.Func) bool { return FuncName(fn) == "context.Context.Value" }
