package dirwatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// mask: writers replace files by rename (IN_MOVED_TO) or write them in
// place (IN_CLOSE_WRITE, IN_MODIFY); removals matter too (a message moved
// to history, a task deleted).
const mask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_CLOSE_WRITE | unix.IN_MODIFY |
	unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// New watches dirs for changes to the files keep accepts (by base name;
// Ordinary is the usual choice). The caller must Close it.
func New(dirs []string, keep func(name string) bool) (*Watch, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, &os.SyscallError{Syscall: "inotify_init1", Err: err}
	}
	wds := make(map[int32]string, len(dirs))
	for _, d := range dirs {
		wd, err := unix.InotifyAddWatch(fd, d, mask)
		if err != nil {
			unix.Close(fd)
			return nil, &os.SyscallError{Syscall: "inotify_add_watch " + d, Err: err}
		}
		wds[int32(wd)] = d
	}
	// A non-blocking fd in an *os.File is served by the runtime poller:
	// Read parks the goroutine and Close wakes it.
	f := os.NewFile(uintptr(fd), "inotify")
	ch := make(chan struct{}, 1)
	w := &Watch{C: ch, keep: keep, changed: map[string]bool{}}
	go func() {
		defer close(ch)
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			if w.batch(buf[:n], wds) {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	w.stop = func() error {
		err := f.Close()
		for range ch { // the reader closes ch on its way out
		}
		if err != nil && !errors.Is(err, os.ErrClosed) {
			return err
		}
		return nil
	}
	return w, nil
}

// batch notes a batch of inotify events; it reports whether any counts.
func (w *Watch) batch(buf []byte, wds map[int32]string) bool {
	hit := false
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		// struct inotify_event: wd (int32), mask, cookie, len (uint32), name.
		wd := int32(binary.NativeEndian.Uint32(buf[off:]))
		m := binary.NativeEndian.Uint32(buf[off+4:])
		end := off + unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(buf[off+12:]))
		if end > len(buf) {
			return w.note("", "", true) || hit
		}
		name := string(bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:end], "\x00"))
		everything := m&(unix.IN_Q_OVERFLOW|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0
		if w.note(wds[wd], name, everything) {
			hit = true
		}
		off = end
	}
	return hit
}
