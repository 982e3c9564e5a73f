package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// SrcRoot is the uriBaseId of every artifact: the module (or workspace)
// root, which originalUriBaseIds resolves.
const SrcRoot = "%SRCROOT%"

// WriteSARIF prints the findings as SARIF 2.1.0 for GitHub code scanning.
// Artifact URIs are relative to %SRCROOT% and percent-encoded; with a
// baseline each result carries its baselineState (new or unchanged). The
// baseline's absent findings are not results: they have no location in
// this tree, and code scanning shows every result it is given.
func (r *Report) WriteSARIF(w io.Writer, version string) error {
	run := sarif.NewRunWithInformationURI("txscope", "https://github.com/txscope/txscope")
	run.Tool.Driver.WithVersion(version)
	if r.Root != "" {
		run.WithOriginalUriBaseIds(map[string]sarif.ArtifactLocation{
			SrcRoot: *sarif.NewSimpleArtifactLocation(FileURI(r.Root) + "/").
				WithDescription(sarif.NewTextMessage("the module (or workspace) root")),
		})
	}
	for _, c := range Codes {
		run.AddRule(c.Code).WithName(c.Name).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(c.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(c.Why)).
			WithHelp(sarif.NewMultiformatMessageString().WithText(c.Title + ": " + c.Why))
	}
	artifacts := map[string]int{}
	for _, d := range r.Findings {
		loc := artifactLocation(d.File)
		idx, ok := artifacts[d.File]
		if !ok {
			idx = len(run.Artifacts)
			artifacts[d.File] = idx
			run.Artifacts = append(run.Artifacts, sarif.NewArtifact().WithLocation(artifactLocation(d.File)))
		}
		res := run.CreateResultForRule(d.Code).
			WithLevel("warning").
			WithMessage(sarif.NewTextMessage(d.Message)).
			AddLocation(sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
				WithArtifactLocation(loc.WithIndex(idx)).
				WithRegion(sarif.NewRegion().WithStartLine(d.Line).WithStartColumn(d.Col))))
		if d.Baseline != "" {
			res.WithBaselineState(d.Baseline)
		}
	}
	report := sarif.NewReport()
	report.AddRun(run)
	return report.PrettyWrite(w)
}

// artifactLocation is a file's location: relative to %SRCROOT% when the
// file is under the root (Diagnostic.File is then relative), else an
// absolute file URI.
func artifactLocation(file string) *sarif.ArtifactLocation {
	if filepath.IsAbs(file) {
		return sarif.NewSimpleArtifactLocation(FileURI(file))
	}
	return sarif.NewSimpleArtifactLocation(EncodeURIPath(filepath.ToSlash(file))).WithURIBaseID(SrcRoot)
}

// FileURI is the file: URI of an absolute path.
func FileURI(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/…
	}
	return "file://" + EncodeURIPath(p)
}

// EncodeURIPath percent-encodes a slash-separated path for a URI: every
// byte but the unreserved characters of RFC 3986 and the slashes, so a
// space, '%', '#', '?', a ':' in a first segment or a non-ASCII name
// cannot be misread. A Windows drive's colon ("/C:/") is kept.
func EncodeURIPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~', c == '/':
			b.WriteByte(c)
		case c == ':' && i == 2 && p[0] == '/' && isLetter(p[1]):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
