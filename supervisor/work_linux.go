package supervisor

import (
	"os"

	"golang.org/x/sys/unix"
)

// watchMask: writers replace files by rename (IN_MOVED_TO) or write them
// in place; removals matter too (a message moved to history).
const watchMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_CLOSE_WRITE |
	unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// watchDirs reports changes in dirs through inotify: the channel receives
// a value (coalesced) after each batch of events and is closed when the
// watch stops working. stop releases it.
func watchDirs(dirs []string) (<-chan struct{}, func(), error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, nil, &os.SyscallError{Syscall: "inotify_init1", Err: err}
	}
	for _, d := range dirs {
		if _, err := unix.InotifyAddWatch(fd, d, watchMask); err != nil {
			unix.Close(fd)
			return nil, nil, &os.SyscallError{Syscall: "inotify_add_watch " + d, Err: err}
		}
	}
	// A non-blocking fd in an *os.File is served by the runtime poller:
	// Read parks the goroutine and Close wakes it.
	f := os.NewFile(uintptr(fd), "inotify")
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	// Closing waits for the reader to end (it closes ch on its way out).
	return ch, func() {
		_ = f.Close()
		for range ch {
		}
	}, nil
}
