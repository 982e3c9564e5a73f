package main

import (
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/report"
)

// TestCheckSARIF validates `check --sarif` on the incident's shape against
// the SARIF 2.1.0 schema that go-sarif embeds, and checks what GitHub code
// scanning reads: rule ids and result locations.
func TestCheckSARIF(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/incident")
	stdout, stderr, code := runIn(dir, "check", "--sarif")
	require.Equal(t, exitFindings, code, stderr)

	sarifLog, err := sarif.FromBytes([]byte(stdout))
	require.NoError(t, err)
	require.NoError(t, sarifLog.Validate())
	assert.Equal(t, "2.1.0", sarifLog.Version)
	require.Len(t, sarifLog.Runs, 1)
	run := sarifLog.Runs[0]

	var ruleIDs []string
	for _, r := range run.Tool.Driver.Rules {
		ruleIDs = append(ruleIDs, *r.ID)
	}
	var codes []string
	for _, c := range report.Codes {
		codes = append(codes, c.Code)
	}
	assert.Equal(t, codes, ruleIDs)

	counts := map[string]int{}
	for _, res := range run.Results {
		require.NotNil(t, res.RuleID)
		counts[*res.RuleID]++
	}
	assert.Equal(t, map[string]int{"TS001": 3, "TS002": 1, "TS003": 1}, counts)

	first := run.Results[0]
	require.Len(t, first.Locations, 1)
	loc := first.Locations[0].PhysicalLocation
	assert.Equal(t, "api/api.go", *loc.ArtifactLocation.URI)
	require.NotNil(t, loc.ArtifactLocation.URIBaseID)
	assert.Equal(t, "%SRCROOT%", *loc.ArtifactLocation.URIBaseID)
	root, ok := run.OriginalUriBaseIds["%SRCROOT%"]
	require.True(t, ok)
	assert.Equal(t, report.FileURI(dir)+"/", *root.URI)
	assert.Equal(t, 22, *loc.Region.StartLine)
	assert.Equal(t, 9, *loc.Region.StartColumn)
	assert.Contains(t, *first.Message.Text, "ShowCustomer")
}
