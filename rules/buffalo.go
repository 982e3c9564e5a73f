package rules

const (
	buffaloPkg = "github.com/gobuffalo/buffalo"
	popmwPkg   = "github.com/gobuffalo/buffalo-pop/v3/pop/popmw"
)
