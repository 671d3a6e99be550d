package proctree

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Info is one process as /proc/<pid>/stat tells it.
type Info struct {
	PID, PPID, PGID, SID int
	// Start is the start time in clock ticks since boot: it tells a reused
	// pid apart.
	Start uint64
	// Zombie says the process has exited and awaits reaping.
	Zombie bool
}

// Read reads /proc/<pid>/stat.
func Read(pid int) (Info, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Info{}, false
	}
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime ...; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return Info{}, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 20 {
		return Info{}, false
	}
	p := Info{PID: pid, Zombie: f[0] == "Z" || f[0] == "X"}
	p.PPID, _ = strconv.Atoi(f[1])
	p.PGID, _ = strconv.Atoi(f[2])
	p.SID, _ = strconv.Atoi(f[3])
	p.Start, _ = strconv.ParseUint(f[19], 10, 64)
	return p, true
}

// Family returns the processes that belong to the pane process pid
// besides itself: its descendants (by parent pid, so also those that left
// its session or process group with setsid or setpgid), and every process
// of its session or process group (tmux makes the pane process a session
// and group leader). Read once, before anything is signalled: a daemon
// that is reparented once its parent dies is still known by its pid and
// start time.
func Family(pid int) []Info {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	all := map[int]Info{}
	children := map[int][]int{}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil || n == pid {
			continue
		}
		p, ok := Read(n)
		if !ok || p.Zombie {
			continue
		}
		all[n] = p
		children[p.PPID] = append(children[p.PPID], n)
	}
	// Roots: the pane process and the members of its session and process
	// group; then everything below them.
	seen := map[int]bool{pid: true}
	var out []Info
	queue := []int{pid}
	for n, p := range all {
		if p.SID == pid || p.PGID == pid {
			seen[n] = true
			out = append(out, p)
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !seen[c] {
				seen[c] = true
				out = append(out, all[c])
				queue = append(queue, c)
			}
		}
	}
	return out
}

// Alive reports whether p still runs as the same process (same start
// time; a zombie does not count).
func (p Info) Alive() bool {
	now, ok := Read(p.PID)
	return ok && !now.Zombie && now.Start == p.Start
}

// Signal sends sig to p if it is still the same process.
func (p Info) Signal(sig syscall.Signal) {
	if p.Alive() {
		_ = syscall.Kill(p.PID, sig)
	}
}

// LocalChild reports whether pid is a child of serverPID on this machine:
// a pane process of a local tmux server, which we may signal (a remote
// server's pids mean nothing here).
func LocalChild(pid, serverPID int) bool {
	p, ok := Read(pid)
	return ok && serverPID > 0 && p.PPID == serverPID
}
