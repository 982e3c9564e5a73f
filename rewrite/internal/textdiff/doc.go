// Package textdiff compares texts line by line: unified diffs that git
// apply accepts, and the restoration of lines a reprint changed only in
// layout, so untouched lines of an edited file stay byte-identical.
package textdiff
