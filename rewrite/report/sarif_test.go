package report

import (
	"bytes"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeURIPath(t *testing.T) {
	for in, want := range map[string]string{
		"api/api.go":         "api/api.go",
		"my api/a b.go":      "my%20api/a%20b.go",
		"a:b/c.go":           "a%3Ab/c.go",
		"100%/x#1?.go":       "100%25/x%231%3F.go",
		"café/ü.go":          "caf%C3%A9/%C3%BC.go",
		"/C:/work/x.go":      "/C:/work/x.go",
		"/tmp/a:b/x.go":      "/tmp/a%3Ab/x.go",
		"a+b/[x]/~y_z-1.go":  "a%2Bb/%5Bx%5D/~y_z-1.go",
		"semi;colon,comma=1": "semi%3Bcolon%2Ccomma%3D1",
	} {
		assert.Equal(t, want, EncodeURIPath(in), in)
	}
	assert.Equal(t, "file:///tmp/my%20dir", FileURI("/tmp/my dir"))
}

// TestSARIFLocations: artifacts relative to %SRCROOT%, which
// originalUriBaseIds resolves; a file outside the root is an absolute
// file URI; the log stays valid SARIF.
func TestSARIFLocations(t *testing.T) {
	r := &Report{Root: "/work/my module", Findings: []Diagnostic{
		{Code: "TS001", Message: "m", File: "api/a b.go", Line: 3, Col: 2, Baseline: BaselineNew},
		{Code: "TS002", Message: "m", File: "api/a b.go", Line: 5, Col: 2, Baseline: BaselineUnchanged},
		{Code: "TS005", Message: "m", File: "/elsewhere/x.go", Line: 1, Col: 1},
	}}
	var buf bytes.Buffer
	require.NoError(t, r.WriteSARIF(&buf, "test"))
	log, err := sarif.FromBytes(buf.Bytes())
	require.NoError(t, err)
	require.NoError(t, log.Validate())
	run := log.Runs[0]
	assert.Equal(t, "file:///work/my%20module/", *run.OriginalUriBaseIds["%SRCROOT%"].URI)
	require.Len(t, run.Artifacts, 2)
	assert.Equal(t, "api/a%20b.go", *run.Artifacts[0].Location.URI)
	assert.Equal(t, "%SRCROOT%", *run.Artifacts[0].Location.URIBaseID)
	assert.Equal(t, "file:///elsewhere/x.go", *run.Artifacts[1].Location.URI)
	assert.Nil(t, run.Artifacts[1].Location.URIBaseID)

	var uris, states []string
	for _, res := range run.Results {
		loc := res.Locations[0].PhysicalLocation.ArtifactLocation
		uris = append(uris, *loc.URI)
		state := "-"
		if res.BaselineState != nil {
			state = *res.BaselineState
		}
		states = append(states, state)
	}
	assert.Equal(t, []string{"api/a%20b.go", "api/a%20b.go", "file:///elsewhere/x.go"}, uris)
	assert.Equal(t, []string{"new", "unchanged", "-"}, states)
	assert.Equal(t, 1, run.Results[2].Locations[0].PhysicalLocation.ArtifactLocation.Index)
}
