// Package analysis finds and classifies what load read.
//
// In: a load.Program. Out: an Analysis: the tenant wrappers and what they
// guarantee (the setting they make, whether a callback error rolls back),
// every call of one (a Site) with its callback's statements classified
// (StmtEffect, CallEffect: read, write, lock, slow, session check, unknown =
// write, each with its evidence), middleware and the handlers behind them,
// and the findings TS001–TS010 with their positions. Callees are resolved
// through types.Info; a function of the module is summarised once per way
// it is called, SQL passed to it included. A program of one package
// (load.Unit, under go vet) reads what the functions of other packages do
// from the facts their own packages' analysis exported (FuncFact, Facts).
// Nothing here decides what to change: that is plan's.
package analysis
