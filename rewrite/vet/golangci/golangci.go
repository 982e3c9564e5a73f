// Package golangci is txscope as a golangci-lint v2 module plugin.
//
// A custom golangci-lint built with `golangci-lint custom` from a
// .custom-gcl.yml naming this package imports it; init registers the
// plugin as "txscope", and .golangci.yml enables it as a custom linter of
// type module, with these settings (both optional):
//
//	linters:
//	  settings:
//	    custom:
//	      txscope:
//	        type: module
//	        settings:
//	          config: ci/txscope.yaml   # the txscope.yaml to use, from the module root (default: the root's)
//	          codes: [TS001, TS003]     # the finding codes to report (default: all)
//
// The analyzer is vet.New's: the findings of `txscope check` for each
// package, with the fixes local to the package (`golangci-lint run --fix`
// applies them). Editors reach txscope through golangci-lint: gopls cannot
// load third-party analyzers.
package golangci

import (
	"fmt"

	"github.com/golangci/plugin-module-register/register"
	"github.com/txscope/txscope/rewrite/vet"
	"golang.org/x/tools/go/analysis"
)

func init() {
	register.Plugin("txscope", New)
}

// Settings are the plugin's settings in .golangci.yml.
type Settings struct {
	// Config is the txscope.yaml to use instead of the module root's
	// (a relative path is taken from the module root).
	Config string `json:"config"`
	// Codes, when not empty, are the finding codes reported (TS001…).
	Codes []string `json:"codes"`
}

// Plugin is the registered linter plugin.
type Plugin struct {
	Settings Settings
}

// New decodes the settings golangci-lint passes (unknown keys and unknown
// finding codes are errors).
func New(settings any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](settings)
	if err != nil {
		return nil, fmt.Errorf("txscope: %w", err)
	}
	if err := vet.CheckCodes(s.Codes); err != nil {
		return nil, fmt.Errorf("txscope: settings: codes: %w", err)
	}
	return &Plugin{Settings: s}, nil
}

// BuildAnalyzers is the one txscope analyzer with the settings applied.
func (p *Plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) {
	return []*analysis.Analyzer{vet.New(vet.Options{Codes: p.Settings.Codes, Config: p.Settings.Config})}, nil
}

// GetLoadMode is types and syntax: the analyzer type-checks the package.
func (p *Plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
