// Package verify type-checks edits before anything is printed or written.
//
// In: the program, its FileEdits and the plans. Out: Failures, each tied to
// the plan (or middleware migration) that caused it, with path:line:col
// (marked "(rewritten)" when the line is one txscope wrote). The edited
// packages and every package importing them are checked in dependency
// order against each other's new types.
package verify
