package protocol

import (
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Exit is how one run of a teammate's process ended: an exit status, a
// signal, or neither (unknown, with Why saying why for people). It is the
// one shape of an exit, classified by Classify and phrased by String for
// lead messages, check_teammate, team_status and the CLI.
type Exit struct {
	// Status is the exit status; nil after a signal or when unknown.
	Status *int
	// Signal is the signal name ("SIGKILL", see SignalName), "" if none.
	Signal string
	// Why explains an exit whose status is unknown ("its pane was closed").
	Why string
}

// Clean reports whether the process exited by itself with status 0.
func (x Exit) Clean() bool { return x.Status != nil && *x.Status == 0 && x.Signal == "" }

// Classify is the single place where an exit becomes a state: a deliberate
// stop is stopped whatever the status; a clean exit is exited; anything
// else (a status ≠ 0, a signal, or an unknown end) is crashed.
func (x Exit) Classify(deliberate bool) State {
	switch {
	case deliberate:
		return StateStopped
	case x.Clean():
		return StateExited
	default:
		return StateCrashed
	}
}

// String says how the process ended, for people: "exit status 3",
// "killed by SIGKILL", "exit status unknown (its pane was closed)".
func (x Exit) String() string {
	switch {
	case x.Signal != "":
		return "killed by " + x.Signal
	case x.Status != nil:
		return "exit status " + strconv.Itoa(*x.Status)
	case x.Why != "":
		return "exit status unknown (" + x.Why + ")"
	default:
		return "exit status unknown"
	}
}

// SignalName names signal number n the way statuses report it ("SIGTERM");
// an unknown number becomes "signal N", and 0 (no signal) "".
func SignalName(n int) string {
	if n <= 0 {
		return ""
	}
	if name := unix.SignalName(syscall.Signal(n)); name != "" {
		return name
	}
	return "signal " + strconv.Itoa(n)
}
