package supervisor

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procInfo is one process as /proc/<pid>/stat tells it.
type procInfo struct {
	pid, ppid, pgid, sid int
	start                uint64 // start time in clock ticks since boot: tells a reused pid apart
	zombie               bool
}

// readProc reads /proc/<pid>/stat.
func readProc(pid int) (procInfo, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime ...; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return procInfo{}, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 20 {
		return procInfo{}, false
	}
	p := procInfo{pid: pid, zombie: f[0] == "Z" || f[0] == "X"}
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgid, _ = strconv.Atoi(f[2])
	p.sid, _ = strconv.Atoi(f[3])
	p.start, _ = strconv.ParseUint(f[19], 10, 64)
	return p, true
}

// processFamily returns the processes that belong to the pane process pid
// besides itself: its descendants (by parent pid, so also those that left
// its session or process group with setsid or setpgid), and every process
// of its session or process group (tmux makes the pane process a session
// and group leader). Read once, before anything is signalled: a daemon
// that is reparented once its parent dies is still known by its pid and
// start time.
func processFamily(pid int) []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	all := map[int]procInfo{}
	children := map[int][]int{}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil || n == pid {
			continue
		}
		p, ok := readProc(n)
		if !ok || p.zombie {
			continue
		}
		all[n] = p
		children[p.ppid] = append(children[p.ppid], n)
	}
	// Roots: the pane process and the members of its session and process
	// group; then everything below them.
	seen := map[int]bool{pid: true}
	var out []procInfo
	queue := []int{pid}
	for n, p := range all {
		if p.sid == pid || p.pgid == pid {
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

// alive reports whether p still runs as the same process (same start
// time; a zombie does not count).
func (p procInfo) alive() bool {
	now, ok := readProc(p.pid)
	return ok && !now.zombie && now.start == p.start
}

// signal sends sig to p if it is still the same process.
func (p procInfo) signal(sig syscall.Signal) {
	if p.alive() {
		_ = syscall.Kill(p.pid, sig)
	}
}

// localChild reports whether pid is a child of serverPID on this machine:
// a pane process of a local tmux server, which we may signal (a remote
// server's pids mean nothing here).
func localChild(pid, serverPID int) bool {
	p, ok := readProc(pid)
	return ok && serverPID > 0 && p.ppid == serverPID
}
