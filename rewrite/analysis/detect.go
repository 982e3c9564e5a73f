package analysis

import (
	"path"
	"strings"

	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
)

// DetectConfig is the configuration `txscope init` writes: the detected
// wrappers, their tenant setting and the pool their transactions begin on,
// on top of the defaults.
func DetectConfig(prog *load.Program) (*rules.Config, error) {
	cfg := rules.Default()
	ws, err := FindWrappers(prog, cfg)
	if err != nil {
		return nil, err
	}
	list := ws.List()
	if len(list) == 0 {
		return nil, errNoWrapper
	}
	for _, w := range list {
		cfg.Wrappers = append(cfg.Wrappers, rules.MustPattern(rules.FuncName(w.Func)))
		cfg.Tenant.Setting, cfg.Tenant.SettingSet = w.Setting, true
		if pool := configPool(w.Pool); pool != "" {
			cfg.Pooled = "tenantpool.For(" + pool + ", {tenant})"
		}
	}
	return cfg, nil
}

// configPool renders a detected pool for the pooled template: {recv} and
// {argN} stay placeholders; a package variable is written qualified by its
// package name for a person to check.
func configPool(pool string) string {
	if rest, ok := strings.CutPrefix(pool, "{pkg "); ok {
		pkgPath, name, _ := strings.Cut(rest, "}")
		return path.Base(pkgPath) + name
	}
	return pool
}
