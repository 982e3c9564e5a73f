// Package report turns an analysis, and a rewrite's plans, into plain data
// (Report) printed as text, JSON or SARIF 2.1.0, and documents the finding
// codes (Codes). In: analysis results and plans. Out: bytes on a writer.
package report
