package tmuxcc

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// clientProcAttr returns the tmux client's process attributes. Pdeathsig:
// if we die, the client dies with us instead of freezing panes whose
// output it can no longer deliver (TMUX.md, Transport).
func clientProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// pidfdOpen opens a non-blocking pidfd for pid.
func pidfdOpen(pid int) (int, error) {
	return unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
}

// pidfdReadable reports whether fd is readable within timeoutMS.
func pidfdReadable(fd, timeoutMS int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, timeoutMS)
	return err == nil && n > 0
}
