package rewrite

import "github.com/txscope/txscope/rules"

// DetectConfig is the configuration `txscope init` writes: the detected
// wrappers and their tenant setting, on top of the defaults.
func DetectConfig(prog *Program) (*rules.Config, error) {
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
		cfg.Tenant.Setting = w.Setting
	}
	return cfg, nil
}
