// Package importfix adds and removes imports in a file's source text,
// keeping the file's own grouping and order, and names the package an
// import path is assumed to declare.
package importfix
