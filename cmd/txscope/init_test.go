package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInitWritesDetectedConfig(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/clean")
	printed, _, code := runIn(dir, "init", "--stdout")
	require.Equal(t, exitOK, code)
	assert.NoFileExists(t, filepath.Join(dir, "txscope.yaml"), "--stdout writes nothing")

	_, stderr, code := runIn(dir, "init")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "txscope: wrote txscope.yaml\n", stderr)
	written, err := os.ReadFile(filepath.Join(dir, "txscope.yaml"))
	require.NoError(t, err)
	assert.Equal(t, printed, string(written))
	assert.Contains(t, printed, `wrappers:   ["example.com/app/db.(*DB).WithTenant"]`)

	// The written config is valid and names what it detected.
	_, stderr, code = runIn(dir, "check")
	assert.Equal(t, exitOK, code, stderr)
}

func TestInitRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dir := fixtureModule(t, "check/clean")
	path := filepath.Join(dir, "txscope.yaml")
	require.NoError(t, os.WriteFile(path, []byte("version: 1\n"), 0o600))

	_, stderr, code := runIn(dir, "init")
	assert.Equal(t, exitError, code)
	assert.Equal(t, "txscope: init: txscope.yaml exists (use --force to overwrite it)\n", stderr)
	kept, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "version: 1\n", string(kept))

	_, stderr, code = runIn(dir, "init", "--force")
	require.Equal(t, exitOK, code, stderr)
	replaced, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(replaced), "WithTenant")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file's mode is kept")
}
