// Package load is the first stage: it reads the module.
//
// In: LoadOptions (directory, patterns, build tags, tests). Out: a Program
// holding the type-checked target packages with their syntax, txscope.yaml
// (rules.Load), which files are generated, the module's roots, and the
// Runtime the pooled handle comes from (txscope's tenantpool required by
// go.mod, or a copy of it inside the module). Load is the only stage that
// reads source files (Program.FileContent); type errors come back as
// path:line:col. Unit makes the same Program from one package a go vet or
// golangci-lint pass hands over, with the facts of its imports in place of
// their syntax.
package load
