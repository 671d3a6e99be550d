package supervisor

import (
	"runtime"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
)

// TestCloseWaitsForEveryGoroutine drives a team through the work that
// starts helper goroutines (spawn, crash and automatic restart with its
// note, a stop, the work watcher, the status socket), then closes the
// Manager: when Close returns, the goroutine count is back to what it was
// before the Manager existed (once the goroutines that have signalled
// their end have returned): anything else still running after Close
// returns is a goroutine Close did not wait for.
func TestCloseWaitsForEveryGoroutine(t *testing.T) {
	h := newHarness(t)
	baseline := len(ourGoroutines())
	m, err := NewManager(h.config())
	if err != nil {
		t.Fatal(err)
	}
	h.launch.set("w1", []string{"print up", "wait"})
	if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "w1", Prompt: "p", Cwd: h.dir, BackendType: "fake"}, protocol.RestartOnFailure); err != nil {
		t.Fatal(err)
	}
	h.spawn(m, "w2", "print w2", "wait")
	h.waitOutput(m, "w1", "up")
	h.waitOutput(m, "w2", "w2")
	h.ctl("w1", "exit 3") // crash: restart preparation and note in helpers
	eventually(t, func() bool {
		st := h.status(m, "w1")
		return st.Restarts == 1 && st.State == protocol.StateRunning
	}, "w1 to run again after its crash")
	if err := m.Stop(ctxT(t), h.team, "w2", protocol.StopKilled); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// Only goroutines running code of ours count: the runtime and the
	// standard library (os/exec's pipe copiers of the harness, timers of
	// the test logger) may still be winding down on their own. A goroutine
	// that signalled its end (the loop's deferred close of done, a
	// WaitGroup's Done) and that Close waited for may still be on its
	// closing brace (see afterClose); any other goroutine of ours fails the
	// test at once.
	if ours := afterClose(); len(ours) > baseline {
		t.Fatalf("%d goroutines of ours after Close, %d before the Manager; still running:\n%s",
			len(ours), baseline, strings.Join(ours, "\n\n"))
	}
}

// ourGoroutines returns the stacks of the goroutines running code of this
// module, other than the test's own goroutine and TestMain's.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var ours []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "claude-teams/") && !strings.Contains(g, "TestCloseWaitsForEveryGoroutine") &&
			!strings.Contains(g, ".TestMain(") {
			ours = append(ours, g)
		}
	}
	return ours
}
