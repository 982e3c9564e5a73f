// Package vet is txscope as a golang.org/x/tools/go/analysis Analyzer: what
// `go vet -vettool=$(which txscope)`, `go fix -fixtool=$(which txscope)` and
// a golangci-lint plugin run.
//
// In: an analysis.Pass. Out: one Diagnostic per finding of `txscope check`
// in the pass's package (same codes, messages and positions; the code is
// the Category and ends the message as "(TSnnn)"), a SuggestedFix where
// the rewrite is local to the package, and facts for the packages that
// import it.
//
// How the program is built. The pass is the program (load.Unit): its
// files and types as the driver made them, so the files and build tags
// are the driver's, and nothing is loaded again. What the functions of
// other packages do comes from analysis facts (analysis.FuncFact), which
// each package's pass exports for its functions after the analysis: the
// summaries of their bodies for each way of passing them the tx, the
// wrappers, middleware and layers among them, whether their SQL filters on
// the tenant column. go vet runs the tool on every dependency for its
// facts; only the packages of the main modules are analysed, a dependency's
// functions stay unknown as for `txscope check`. The config, the schema and
// the runtime are read as `txscope check` and `txscope rewrite` read them,
// from the module root (Options.Config names another config); the
// runtime's types, needed only when a handler is rewritten, come from the
// export data the go command builds (one `go list -export`), read into the
// pass's own types.
//
// What a package's pass cannot see against a whole-module `txscope
// check`: the constant SQL a caller passes to a helper of another package
// (the helper's fact has its SQL parameter as not a constant); whether a
// configured name exists in another package (check reports typos); and
// the findings about the schema and the config (TS008, TS009, TS011),
// which have no position in the package.
//
// Fixes come from rewrite.Rewrite's verified FileEdits for the pass's
// files. Each file's edit is split by top-level declaration: a finding gets
// the new text of the declaration it is in (TS001 that of its handler when
// the handler is rewritten; TS002 and TS006 that of a handler rewritten
// without a TS001; TS003 and TS004 that of their wrapper), the first
// finding of a declaration only, each as one TextEdit over the old
// declaration (doc comment included); the change of the import block goes
// with the first fix of the file, so fixes of one file never overlap
// (applying a later fix alone can then leave an import missing: `go fix`
// applies them all). No fix is offered, and the message says why, for a
// handler behind a middleware (the migration changes the middleware and
// all its handlers, across packages too, as one: run `txscope rewrite`) or
// when the rewrite would write txscope's runtime into the module (it does
// not require txscope). A leaky wrapper is fixed in its own package's
// pass, rewritten handler or not (plan.WrapperFixes of a program of one
// package): its handlers in other packages are fixed on the understanding
// that it is (go fix applies every package's fixes), and kept when it
// cannot be.
package vet
