// Package rewrite is txscope's driver: it strings the stages together.
//
//	load → analysis → plan → edit → verify → report, then write
//
// Each stage is a package under rewrite/ that takes and returns plain typed
// values, and data flows one way: a stage imports only the stages before
// it. Check runs load's program through analysis and drops TS001 where a
// rewrite would change nothing (the gate `txscope check` uses). PlanAll
// plans every handler. Rewrite plans, edits in memory and type-checks the
// edits, keeping (with the reason) every plan whose edit cannot be made or
// does not type-check and trying again without it; its Result is what
// `rewrite --dry-run` prints and what write puts on disk.
package rewrite
