// Added by orivon at build time (examples/bitcoin/btcd): goleveldb's file
// storage for GOOS=wasip1, which has no file locking (upstream issue
// syndtr/goleveldb#382). A lock is an open file and nothing more, so one
// data directory must never be shared by two nodes: orivon gives each
// module a directory of its own.

//go:build wasip1

package storage

import (
	"os"
	"syscall"
)

type wasip1FileLock struct {
	f *os.File
}

func (fl *wasip1FileLock) release() error { return fl.f.Close() }

func newFileLock(path string, readOnly bool) (fileLock, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if os.IsNotExist(err) {
		f, err = os.OpenFile(path, flag|os.O_CREATE, 0644)
	}
	if err != nil {
		return nil, err
	}
	return &wasip1FileLock{f: f}, nil
}

func rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func isErrInvalid(err error) bool {
	if err == os.ErrInvalid {
		return true
	}
	if patherr, ok := err.(*os.PathError); ok && patherr.Err == syscall.EINVAL {
		return true
	}
	return false
}

// syncDir flushes a directory where the host allows it; Wasmtime's
// preview1 refuses fsync on a directory (EBADF), which is not an error
// worth failing a write for: the files themselves are synced.
func syncDir(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_ = f.Sync()
	return nil
}
