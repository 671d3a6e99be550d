package protocol

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by the error for a file of ours or Claude
// Code's that is a FIFO, socket, device, directory or (where links are
// refused) a symbolic link: reading or writing it could block for ever or
// reach outside the data root, so it is refused.
var ErrNotRegular = errors.New("protocol: not a regular file")

// fileKind names the type of a file mode for an error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	}
	return "irregular file"
}

func notRegular(path string, m fs.FileMode) error {
	return fmt.Errorf("%s is a %s: %w", path, fileKind(m), ErrNotRegular)
}

// openRegular opens path with flag, never blocking on a FIFO (O_NONBLOCK)
// and, when noFollow, never through a symbolic link (O_NOFOLLOW); it
// refuses anything but a regular file. A missing file is an error
// wrapping fs.ErrNotExist.
func openRegular(path string, flag int, perm fs.FileMode, noFollow bool) (*os.File, error) {
	flag |= syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if noFollow {
		flag |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		if noFollow && errors.Is(err, syscall.ELOOP) {
			return nil, notRegular(path, fs.ModeSymlink)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, fi.Mode())
	}
	return f, nil
}

// readExisting returns the content of the regular file path (a symbolic
// link to one is followed). A missing file is an error wrapping
// fs.ErrNotExist; a FIFO, socket, device or directory one wrapping
// ErrNotRegular, returned at once.
func readExisting(path string) ([]byte, error) {
	f, err := openRegular(path, os.O_RDONLY, 0, false)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}
