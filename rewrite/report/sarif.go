package report

import (
	"io"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// WriteSARIF prints the findings as SARIF 2.1.0 for GitHub code scanning.
func (r *Report) WriteSARIF(w io.Writer, version string) error {
	run := sarif.NewRunWithInformationURI("txscope", "https://github.com/txscope/txscope")
	run.Tool.Driver.WithVersion(version)
	for _, c := range Codes {
		run.AddRule(c.Code).WithName(c.Name).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(c.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(c.Why)).
			WithHelp(sarif.NewMultiformatMessageString().WithText(c.Title + ": " + c.Why))
	}
	for _, d := range r.Findings {
		run.AddDistinctArtifact(d.File)
		run.CreateResultForRule(d.Code).
			WithLevel("warning").
			WithMessage(sarif.NewTextMessage(d.Message)).
			AddLocation(sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewSimpleArtifactLocation(d.File).WithURIBaseID("%SRCROOT%")).
				WithRegion(sarif.NewRegion().WithStartLine(d.Line).WithStartColumn(d.Col))))
	}
	report := sarif.NewReport()
	report.AddRun(run)
	return report.PrettyWrite(w)
}
