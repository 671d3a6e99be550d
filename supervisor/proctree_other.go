//go:build !linux

package supervisor

import "syscall"

// procInfo is a process; without /proc only its pid is known.
type procInfo struct{ pid int }

// processFamily cannot list a pane's descendants without /proc: stops
// rely on the process group signal and the pane's hangup.
func processFamily(pid int) []procInfo { return nil }

func (p procInfo) alive() bool { return syscall.Kill(p.pid, 0) == nil }

func (p procInfo) signal(sig syscall.Signal) { _ = syscall.Kill(p.pid, sig) }

// localChild cannot check the parent without /proc: a tmux server whose
// pid is a process here is taken for a local one.
func localChild(pid, serverPID int) bool {
	return serverPID > 0 && syscall.Kill(serverPID, 0) == nil
}
