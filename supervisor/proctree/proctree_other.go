//go:build !linux

package proctree

import "syscall"

// Info is a process; without /proc only its pid is known.
type Info struct {
	PID, PPID, PGID, SID int
	// Start and Zombie are never known here.
	Start  uint64
	Zombie bool
}

// Family cannot list a pane's descendants without /proc: stops
// rely on the process group signal and the pane's hangup.
func Family(pid int) []Info { return nil }

func (p Info) Alive() bool { return syscall.Kill(p.PID, 0) == nil }

func (p Info) Signal(sig syscall.Signal) { _ = syscall.Kill(p.PID, sig) }

// LocalChild cannot check the parent without /proc: a tmux server whose
// pid is a process here is taken for a local one.
func LocalChild(pid, serverPID int) bool {
	return serverPID > 0 && syscall.Kill(serverPID, 0) == nil
}

// Read cannot read a process without /proc.
func Read(pid int) (Info, bool) { return Info{}, false }
