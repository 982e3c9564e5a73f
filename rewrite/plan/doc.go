// Package plan decides what a behaviour-preserving rewrite may do.
//
// In: analysis handlers and middleware. Out: a Plan per handler (Action
// pooled, narrowed, kept with its Reason, or unchanged; where the write
// block starts; the --split cuts; the pooled handle's template; what moves,
// for the report) and a ChainPlan per middleware (how it moves and the
// tagged ChainOps that make the move, with each handler's own wrapper
// call). Every refusal is made here, with its reason: anything the planner
// cannot prove keeps the handler. Data flow (which reads feed a write, a
// guard or what follows) and the shape of the callback's returns are
// planning questions and live here too.
package plan
