package supervisor

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// A goroutine that signals its end with a deferred wg.Done or close(done)
// is still alive for a moment after the waiter has been released: it has
// to return from the deferred call and leave its frame. runtime.Stack then
// shows it runnable (or running) with its outermost frame of ours on the
// function's closing brace, e.g. tmuxcc.(*Conn).readLoop at conn.go:261
// after Conn.Close's wg.Wait returned. Such a goroutine has finished
// everything it had to do; it is given the processor until it is gone.
// Every other goroutine of ours counts at once, whatever its state.

// maxSettleYields bounds the yields afterClose grants to finishing
// goroutines (a count, not a time: no timers in tests). Each one usually
// leaves within the first yield.
const maxSettleYields = 1000

// afterClose returns the goroutines of ours still there, once those that
// were only leaving their closing brace have left.
func afterClose() []string {
	ours := ourGoroutines()
	for i := 0; i < maxSettleYields && len(ours) > 0; i++ {
		for _, g := range ours {
			if !finishing(g, readSourceLine) {
				return ours
			}
		}
		runtime.Gosched()
		ours = ourGoroutines()
	}
	return ours
}

// finishing reports whether the goroutine of stack g (one record of
// runtime.Stack) is runnable or running with its first frame of ours on
// a closing brace: it has returned from its body and is leaving. line
// returns the source text of file:line.
func finishing(g string, line func(file string, n int) (string, bool)) bool {
	lines := strings.Split(strings.TrimSpace(g), "\n")
	if len(lines) < 3 {
		return false
	}
	state := lines[0] // goroutine 138 [runnable]:
	open, end := strings.IndexByte(state, '['), strings.IndexByte(state, ']')
	if open < 0 || end < open {
		return false
	}
	switch strings.TrimSpace(strings.SplitN(state[open+1:end], ",", 2)[0]) {
	case "runnable", "running":
	default:
		return false
	}
	for i := 1; i+1 < len(lines); i += 2 {
		fn, loc := lines[i], strings.TrimSpace(lines[i+1])
		if strings.HasPrefix(fn, "created by ") {
			return false
		}
		if !strings.Contains(fn, "claude-teams/") {
			continue // runtime or sync frames above ours (wg.Done, close)
		}
		if sp := strings.IndexByte(loc, ' '); sp >= 0 {
			loc = loc[:sp]
		}
		colon := strings.LastIndexByte(loc, ':')
		if colon < 0 {
			return false
		}
		n, err := strconv.Atoi(loc[colon+1:])
		if err != nil {
			return false
		}
		src, ok := line(loc[:colon], n)
		src = strings.TrimSpace(src)
		return ok && (src == "}" || src == "}()")
	}
	return false
}

// readSourceLine returns line n (1-based) of file.
func readSourceLine(file string, n int) (string, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", false
	}
	lines := strings.Split(string(b), "\n")
	if n < 1 || n > len(lines) {
		return "", false
	}
	return lines[n-1], true
}

func TestFinishing(t *testing.T) {
	src := map[string][]string{
		"/m/tmuxcc/conn.go":     {"func (c *Conn) readLoop() {", "\tdefer c.wg.Done()", "\tn, err := c.rd.Read(buf)", "}"},
		"/m/supervisor/team.go": {"\tgo func() {", "\t\tdefer t.helpers.Done()", "\t\tf()", "\t}()"},
	}
	line := func(file string, n int) (string, bool) {
		l, ok := src[file]
		if !ok || n < 1 || n > len(l) {
			return "", false
		}
		return l[n-1], true
	}
	const readLoop = "github.com/f9449b24/claude-teams/tmuxcc.(*Conn).readLoop(0xc00001c488)\n"
	const created = "created by github.com/f9449b24/claude-teams/tmuxcc.Dial in goroutine 131\n\t/m/tmuxcc/conn.go:99 +0xa92"
	cases := []struct {
		name string
		g    string
		want bool
	}{
		{"readLoop on its closing brace (close-fail.log)",
			"goroutine 138 [runnable]:\n" + readLoop + "\t/m/tmuxcc/conn.go:4 +0x939\n" + created, true},
		{"running on a closure's closing brace",
			"goroutine 9 [running]:\ngithub.com/f9449b24/claude-teams/supervisor.(*team).goHelper.func1()\n\t/m/supervisor/team.go:4 +0x94\n" + created, true},
		{"inside wg.Done called from the closing brace",
			"goroutine 9 [runnable]:\nsync.(*WaitGroup).Add(0xc0, 0xffffffffffffffff)\n\t/usr/go/src/sync/waitgroup.go:118 +0x1\n" + readLoop + "\t/m/tmuxcc/conn.go:4 +0x939\n" + created, true},
		{"blocked reading: never called Close",
			"goroutine 138 [IO wait]:\n" + readLoop + "\t/m/tmuxcc/conn.go:3 +0x100\n" + created, false},
		{"blocked on its closing brace",
			"goroutine 138 [chan receive]:\n" + readLoop + "\t/m/tmuxcc/conn.go:4 +0x939\n" + created, false},
		{"runnable in its body",
			"goroutine 138 [runnable]:\n" + readLoop + "\t/m/tmuxcc/conn.go:3 +0x100\n" + created, false},
		{"source not readable",
			"goroutine 138 [runnable]:\n" + readLoop + "\t/elsewhere/conn.go:4 +0x939\n" + created, false},
		{"no frame of ours",
			"goroutine 5 [runnable]:\nos/exec.(*Cmd).Wait(0xc0)\n\t/usr/go/src/os/exec/exec.go:9 +0x1\n" + created, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := finishing(c.g, line); got != c.want {
				t.Fatalf("finishing = %v, want %v for\n%s", got, c.want, c.g)
			}
		})
	}
}
