//go:build !unix

package write

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
)

// flock refuses: without a lock two runs could interleave their writes.
func flock(*os.File) (bool, error) {
	return false, errors.New("txscope cannot lock a module on " + runtime.GOOS + ": use rewrite --dry-run and git apply")
}

// owner keeps the creator's: the file system has no uid and gid.
func owner(fs.FileInfo) (uid, gid int) { return -1, -1 }

// signalSelf can only kill here.
func signalSelf(name string) error {
	if name != "KILL" {
		return errors.New("cannot send " + name + " on " + runtime.GOOS)
	}
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		return err
	}
	return p.Kill()
}
