// Package edit renders plans into new file contents, in memory.
//
// In: the program and the plans. Out: FileEdits (path, old and new bytes;
// the runtime's copy as created files) and Failures (a plan whose edit
// could not be made, with its position). It switches on what plan decided
// and decides nothing itself; only the edited declarations are reprinted,
// every other byte of a file stays as it was (line endings included), and
// imports are fixed in the file's own grouping.
package edit
