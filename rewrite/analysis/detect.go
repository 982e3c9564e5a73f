package analysis

import (
	"path"
	"slices"
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
	if ws.plain {
		seen := map[string]bool{}
		for _, s := range Find(prog, ws) {
			if name := rules.FuncName(s.Wrapper.Func); !seen[name] {
				seen[name] = true
				cfg.PlainWrappers = append(cfg.PlainWrappers, name)
			}
		}
		if len(cfg.PlainWrappers) == 0 {
			return nil, errNoWrapper
		}
		slices.Sort(cfg.PlainWrappers)
		describeTenancy(cfg, prog)
		return cfg, nil
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
	describeTenancy(cfg, prog)
	return cfg, nil
}

// describeTenancy writes what the schema says about tenancy into the
// config: row-level security when tables have policies, and the tenant
// column when every secured table has tenant_id. With no schema the
// config says nothing, and txscope assumes row-level security.
func describeTenancy(cfg *rules.Config, prog *load.Program) {
	if prog.Schema == nil {
		return
	}
	secured := SecuredTables(prog.Schema)
	cfg.Tenant.RLS, cfg.Tenant.RLSSet = len(secured) > 0, true
	if column := tenantColumn(cfg, secured); column != "" {
		cfg.Tenant.Column, cfg.Tenant.ColumnSet = column, true
	}
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
