package mcp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// fileWatch reports changes to one file name in one directory through
// inotify. Writers replace files by rename, so the events of interest are
// IN_MOVED_TO and IN_CREATE/IN_CLOSE_WRITE on that name.
type fileWatch struct {
	f *os.File
	// C receives a value (coalesced) after each change; it is closed when
	// the watch stops working, so a receiver falls back to polling.
	C chan struct{}
}

const watchMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_MODIFY |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// watchFile starts watching dir for changes to name. Callers must Close it.
func watchFile(dir, name string) (*fileWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, &os.SyscallError{Syscall: "inotify_init1", Err: err}
	}
	if _, err := unix.InotifyAddWatch(fd, dir, watchMask); err != nil {
		unix.Close(fd)
		return nil, &os.SyscallError{Syscall: "inotify_add_watch", Err: err}
	}
	// A non-blocking fd in an *os.File is served by the runtime poller, so
	// Read parks the goroutine and Close wakes it.
	w := &fileWatch{f: os.NewFile(uintptr(fd), "inotify:"+dir), C: make(chan struct{}, 1)}
	go w.readLoop([]byte(name))
	return w, nil
}

func (w *fileWatch) readLoop(name []byte) {
	defer close(w.C)
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		if relevant(buf[:n], name) {
			select {
			case w.C <- struct{}{}:
			default:
			}
		}
	}
}

// relevant reports whether a batch of inotify events touches name, the
// directory itself, or overflowed (and so may have).
func relevant(buf, name []byte) bool {
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		// struct inotify_event: wd, mask, cookie, len (uint32 each), name.
		mask := binary.NativeEndian.Uint32(buf[off+4:])
		end := off + unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(buf[off+12:]))
		if end > len(buf) {
			return true
		}
		evName := bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:end], "\x00")
		if mask&(unix.IN_Q_OVERFLOW|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0 ||
			bytes.Equal(evName, name) {
			return true
		}
		off = end
	}
	return false
}

// Close stops the watch and releases its descriptor.
func (w *fileWatch) Close() error {
	if err := w.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
