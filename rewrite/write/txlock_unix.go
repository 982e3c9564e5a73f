//go:build unix

package write

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// flock takes an exclusive lock on f without waiting: false while another
// process holds it. The kernel drops it when the holder dies, even by
// SIGKILL, so a crash never leaves the root locked.
func flock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// owner is the user and group that own a file.
func owner(st fs.FileInfo) (uid, gid int) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, -1
	}
	return int(sys.Uid), int(sys.Gid)
}

var faultSignals = map[string]syscall.Signal{"KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "STOP": syscall.SIGSTOP}

// signalSelf sends this process the signal a fault names.
func signalSelf(name string) error {
	sig, ok := faultSignals[name]
	if !ok {
		return errors.New("unknown signal " + name)
	}
	return syscall.Kill(os.Getpid(), sig)
}
