//go:build unix

package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	zero := filepath.Join(dir, "zero.yaml")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte("#\n"), MaxConfigSize/2+1), 0o644))
	tests := []struct {
		name string
		path string
		want string
	}{
		{"fifo", fifo, fifo + " is a named pipe, not a regular file"},
		{"link to /dev/zero", zero, zero + " is a device, not a regular file"},
		{"directory", dir, dir + " is a directory, not a regular file"},
		{"too large", big, big + " is larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadConfig(tt.path)
				done <- err
			}()
			select {
			case err := <-done:
				assert.EqualError(t, err, tt.want)
			case <-time.After(10 * time.Second):
				t.Fatal("ReadConfig hangs")
			}
		})
	}
}
