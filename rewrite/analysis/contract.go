package analysis

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/printer"
	"go/types"
	"slices"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/importfix"
	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// CommitError is an error that commits the wrapper's transaction instead
// of rolling it back when the callback returns it.
type CommitError struct {
	Name string // importpath.Name of the error variable or type
	Why  string // the test that lets it commit and where, or that the config states it
}

// contract is what readContract reads of a wrapper's handling of a
// callback error. Narrowing moves statements out of the callback and
// relies on "a non-nil error rolls the transaction back, and the wrapper
// returns it" (as it is, or through one function it can call too).
type contract struct {
	rollsBack bool
	why       string // when !rollsBack, for the report
	// unread: txscope could not follow the body, as opposed to reading a
	// contract other than rollback; the config may then state it.
	unread  bool
	commits []CommitError
	// mapsWith is M when the wrapper returns M(e) for the callback's
	// result e on every path (`return errutil.MapDBError(run())`);
	// maps how it returns something else, "" when it never does.
	mapsWith *types.Func
	maps     string
}

const unreadPrefix = "the wrapper's handling of a callback error could not be read"

// maxContractDepth bounds how deep the reader follows module functions
// that run the callback for the wrapper.
const maxContractDepth = 3

// readContract reads what the wrapper in src does when its callback (the
// parameter cbVar) returns a non-nil error, at every place the body calls
// it: each must roll back, never commit, and return an error. The error
// is followed through variables, named results, deferred functions, inner
// closures, library runners (pgx.BeginFunc, GORM's Transaction), module
// wrappers it runs in (read the same way) and mapping calls; what commits
// only for a named error (errors.Is(err, ErrKeep)) is a commit-anyway
// contract, listed in commits.
func readContract(prog *load.Program, src load.FuncSource, cbVar types.Object) contract {
	return newContractReader(prog).read(src, cbVar)
}

// contractReader memoizes the contracts of module functions the wrapper
// runs its callback in.
type contractReader struct {
	prog    *load.Program
	depth   int
	runners map[*types.Func]*contract
}

func newContractReader(prog *load.Program) *contractReader {
	return &contractReader{prog: prog, runners: map[*types.Func]*contract{}}
}

func (cr *contractReader) read(src load.FuncSource, cbVar types.Object) contract {
	info := src.Pkg.TypesInfo
	calls := callbackCalls(info, src.Decl.Body, cbVar)
	if len(calls) == 0 {
		return contract{why: unreadPrefix + ": the callback is not called", unread: true}
	}
	out := contract{rollsBack: true}
	for i, call := range calls {
		c := cr.readCall(src, cbVar, call)
		if !c.rollsBack {
			return c
		}
		for _, ce := range c.commits {
			out.commits = addCommit(out.commits, ce)
		}
		out.maps = cmp.Or(out.maps, c.maps)
		if i == 0 {
			out.mapsWith = c.mapsWith
		} else if out.mapsWith != c.mapsWith {
			out.maps = cmp.Or(out.maps, "maps the callback's error differently where it calls it again")
		}
	}
	if out.maps != "" {
		out.mapsWith = nil
	}
	return out
}

func addCommit(list []CommitError, ce CommitError) []CommitError {
	if slices.ContainsFunc(list, func(x CommitError) bool { return x.Name == ce.Name }) {
		return list
	}
	return append(list, ce)
}

// callbackCalls lists the calls of cbVar in body, in source order.
func callbackCalls(info *types.Info, body *ast.BlockStmt, cbVar types.Object) []*ast.CallExpr {
	var calls []*ast.CallExpr
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && info.Uses[id] == cbVar {
				calls = append(calls, call)
			}
		}
		return true
	})
	return calls
}

// readCall follows the error of one call of the callback out of the
// function literals around it to the wrapper's returns.
func (cr *contractReader) readCall(src load.FuncSource, cbVar types.Object, call *ast.CallExpr) contract {
	info := src.Pkg.TypesInfo
	r := &flow{cr: cr, info: info, cbCall: call, handles: map[types.Object]bool{}}
	if tx := callbackTx(info, cbVar, call); tx != nil {
		r.handles[tx] = true
	}
	// The functions between the wrapper's body and the call, outermost first.
	levels := []ast.Node{src.Decl}
	for _, n := range pathTo(src.Decl.Body, call) {
		if lit, ok := n.(*ast.FuncLit); ok {
			levels = append(levels, lit)
		}
	}
	seeds := []*state{{vals: map[types.Object]val{}, at: call, atVal: val{k: vCallback}}}
	for i := len(levels) - 1; ; i-- {
		body, ftype := funcParts(levels[i])
		if i > 0 {
			r.inGoroutine(funcBody(levels[i-1]), levels[i].(*ast.FuncLit))
			r.assignsOutside(levels[i].(*ast.FuncLit))
		}
		rets := r.from(body, ftype, seeds)
		if r.failed != nil {
			return *r.failed
		}
		if i == 0 {
			return r.classify(rets, ftype)
		}
		invoked, wrap := r.invocation(funcBody(levels[i-1]), levels[i].(*ast.FuncLit))
		if r.failed != nil {
			return *r.failed
		}
		seeds = seeds[:0]
		for _, rt := range rets {
			seeds = append(seeds, &state{vals: map[types.Object]val{}, at: invoked, atVal: wrap(rt.val), commit: rt.st.commit, tests: rt.st.tests})
		}
	}
}

// classify turns the wrapper's returns on the callback's error path into
// its contract.
func (r *flow) classify(rets []ret, ftype *ast.FuncType) contract {
	if !returnsError(r.info, ftype) {
		return contract{why: "the wrapper returns no error, so a callback error cannot reach its caller"}
	}
	if len(rets) == 0 {
		return contract{unread: true, why: fmt.Sprintf("%s: %s, no path returns", unreadPrefix, r.after())}
	}
	out := contract{rollsBack: true}
	asIs, with := 0, map[*types.Func]bool{}
	for _, rt := range rets {
		st, v := rt.st, rt.val
		t, special := st.special()
		if o, ok := st.opaque(); ok && !special && st.commit != nil {
			return contract{why: fmt.Sprintf("the wrapper commits on some callback errors (%s)", o.text)}
		}
		switch {
		case special && st.commit != nil:
			out.commits = addCommit(out.commits, CommitError{Name: t.name, Why: t.text})
		case st.commit != nil:
			return contract{why: fmt.Sprintf("the wrapper commits when the callback returns an error: %s, %s at %s", r.after(), types.ExprString(st.commit.(ast.Expr)), r.pos(st.commit))}
		}
		switch {
		case v.k == vCallback:
			asIs++
		case special:
			out.maps = cmp.Or(out.maps, fmt.Sprintf("returns %s at %s when the callback returns %s (%s)", returned(rt), r.pos(rt.at), shortName(t.name), t.text))
		case v.k == vNil:
			return contract{why: fmt.Sprintf("the wrapper ignores the callback's error: %s, it returns nil at %s", r.after(), r.pos(rt.at))}
		case v.with != nil && r.returnsDirectly(rt, ftype, v):
			with[v.with] = true
		case v.k == vMapped || v.k == vOther:
			out.maps = cmp.Or(out.maps, "returns "+v.why+" in place of the callback's error")
		default:
			return contract{unread: true, why: fmt.Sprintf("%s: %s, the return at %s (%s) returns an error txscope cannot tell is not nil", unreadPrefix, r.after(), r.pos(rt.at), r.snippet(rt.at))}
		}
	}
	switch {
	case len(with) == 1 && asIs == 0 && out.maps == "":
		for fn := range with {
			out.mapsWith = fn
		}
	case len(with) > 0:
		out.maps = cmp.Or(out.maps, "maps the callback's error on some paths and not on others")
	}
	return out
}

// returned is what a return gives back, for the report.
func returned(rt ret) string {
	if rt.val.k == vNil {
		return "nil"
	}
	if rs, ok := rt.at.(*ast.ReturnStmt); ok && len(rs.Results) > 0 {
		return types.ExprString(rs.Results[len(rs.Results)-1])
	}
	return "its named result"
}

// returnsDirectly reports whether the return rt gives back v's call
// itself (`return M(run())`), in a function whose results are unnamed:
// then M applies to whatever the callback's call returns, nil included.
func (r *flow) returnsDirectly(rt ret, ftype *ast.FuncType, v val) bool {
	rs, ok := rt.at.(*ast.ReturnStmt)
	if !ok || len(rs.Results) == 0 || len(namedResults(r.info, ftype)) > 0 {
		return false
	}
	return ast.Unparen(rs.Results[len(rs.Results)-1]) == v.src
}

func returnsError(info *types.Info, ftype *ast.FuncType) bool {
	if ftype.Results == nil || len(ftype.Results.List) == 0 {
		return false
	}
	return isErrorType(info.TypeOf(ftype.Results.List[len(ftype.Results.List)-1].Type))
}

func isErrorType(t types.Type) bool {
	return t != nil && types.Identical(t, types.Universe.Lookup("error").Type())
}

// after is "after fn(tx) at db/db.go:41:9", where every reason starts.
func (r *flow) after() string {
	return fmt.Sprintf("after %s at %s", types.ExprString(r.cbCall), r.pos(r.cbCall))
}

func (r *flow) pos(n ast.Node) string { return r.cr.prog.Position(n.Pos()) }

// snippet is the first line of a statement's source, "go func() {…".
func (r *flow) snippet(n ast.Node) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, r.cr.prog.Fset, n); err != nil {
		return fmt.Sprintf("%T", n)
	}
	text := b.String()
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		return text[:i] + "…"
	}
	return text
}

// giveUp records that the reader cannot follow n (the first such place).
func (r *flow) giveUp(n ast.Node, detail string) {
	if r.failed != nil {
		return
	}
	r.failed = &contract{unread: true, why: fmt.Sprintf("%s: %s, the statement at %s (%s) could not be followed: %s",
		unreadPrefix, r.after(), r.pos(n), r.snippet(n), detail)}
}

// shortName is importpath.Name by its package's assumed name:
// "sql.ErrTxDone".
func shortName(name string) string {
	i := strings.LastIndexByte(name, '.')
	return importfix.AssumedName(name[:i]) + name[i:]
}

// shortFunc names fn by its package's name: "errutil.MapDBError",
// "db.(*DB).InTx".
func shortFunc(fn *types.Func) string {
	name := rules.FuncName(fn)
	if fn.Pkg() == nil {
		return name
	}
	return fn.Pkg().Name() + strings.TrimPrefix(name, fn.Pkg().Path())
}

// setContract records the contract read from the body, and what the
// config states of the wrapper (commits: in txscope.yaml): the statement
// stands where txscope could not read the body, and confirms a
// commit-anyway contract it read when it names every error that commits.
func (w *Wrapper) setContract(cfg *rules.Config, c contract) {
	w.RollsBack, w.Contract, w.Commits, w.MapsWith, w.MapsError = c.rollsBack, c.why, c.commits, c.mapsWith, c.maps
	stated, ok := cfg.StatedCommits(w.Func)
	if !ok {
		return
	}
	switch {
	case c.unread:
		// The config states the contract: rollback, the callback's error
		// returned as it is, except the errors it names, which commit.
		w.RollsBack, w.Contract, w.MapsWith, w.MapsError, w.Commits = true, "", nil, "", nil
	case !c.rollsBack:
		w.Contract += " (its entry under commits in txscope.yaml does not change what txscope read)"
		return
	}
	for _, ce := range w.Commits {
		if !slices.Contains(stated, ce.Name) {
			w.RollsBack, w.Contract = false, fmt.Sprintf("the wrapper commits when the callback returns %s (%s), which its entry under commits in txscope.yaml does not name", ce.Name, ce.Why)
			return
		}
	}
	for _, name := range stated {
		w.Commits = addCommit(w.Commits, CommitError{Name: name, Why: "stated under commits in txscope.yaml"})
	}
}

func IsNil(info *types.Info, e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	_, isNil := info.Uses[id].(*types.Nil)
	return ok && isNil
}

// pathTo is the chain of nodes from root down to target, both included;
// nil when target is not under root.
func pathTo(root, target ast.Node) []ast.Node {
	var stack, found []ast.Node
	ast.Inspect(root, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if !syntax.ContainsNode(n, target) {
			return false
		}
		stack = append(stack, n)
		if n == target {
			found = slices.Clone(stack)
		}
		return true
	})
	return found
}

// libraryContract is a library wrapper's contract as rules states it.
func libraryContract(c rules.WrapperContract) contract {
	if c.RollsBack && c.Commits {
		return contract{rollsBack: true}
	}
	return contract{why: c.Source + " does not roll back on a callback error and commit on nil"}
}
