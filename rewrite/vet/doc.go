// Package vet is txscope as a golang.org/x/tools/go/analysis Analyzer: what
// `go vet -vettool=$(which txscope)`, `go fix -fixtool=$(which txscope)` and
// a golangci-lint plugin run.
//
// In: an analysis.Pass. Out: one Diagnostic per finding of `txscope check`
// in the pass's package (same codes, messages and positions; the code is
// the Category and ends the message as "(TSnnn)"), and a SuggestedFix where
// the rewrite is local to the package.
//
// How the program is built. Wrapper detection and the interprocedural
// summaries read function bodies, and a pass only has its own package's
// syntax: the wrapper is usually in another package (db), the helpers in a
// third (store). So Run loads, with load.Load, the pass's package together
// with the packages of its module that it imports (directly or not, found
// from their import declarations), all from source, with the config, the
// schema and the runtime exactly as `txscope check` and `txscope rewrite`
// read them; only the findings in the pass's own files are reported, at the
// pass's positions. This costs one `go list` and a type-check of the
// package's module-local imports per package. Summaries as analysis facts
// would replace it; they are not implemented. What the per-package view
// loses against a whole-module `txscope check`: handlers in packages that
// import the one being analysed (a middleware's handlers elsewhere) are not
// seen from the middleware's package.
//
// Fixes come from rewrite.Rewrite's verified FileEdits for the pass's
// files. Each file's edit is split by top-level declaration: a TS001
// diagnostic gets the new text of the handler it is in, TS003 that of the
// wrapper it is in, each as one TextEdit over the old declaration (doc
// comment included); the change of the import block goes with the first
// fix of the file, so fixes of one file never overlap (applying a later
// fix alone can then leave an import missing: `go fix` applies them all).
// No fix is offered, and the message says why, for a handler behind a
// middleware (the migration changes the middleware and all its handlers,
// across packages too, as one: run `txscope rewrite`) or when the rewrite
// would write txscope's runtime into the module (it does not require
// txscope). A leaky set_config in a wrapper whose package has no rewritten
// handler gets the literal's is_local flag set to true, as the rewrite
// writes it.
package vet
