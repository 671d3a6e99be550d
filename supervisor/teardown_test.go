package supervisor

import (
	"strings"
	"testing"
)

// TestServerKilled: the private tmux server dies under a supervised team;
// its live teammates died with it and are reported as crashed, once.
func TestServerKilled(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "w1", "print alive", "wait")
	h.waitOutput(m, "w1", "alive")
	if _, err := h.tmux("kill-server"); err != nil {
		t.Fatal(err)
	}
	ts := h.waitState(m, "w1", StateCrashed)
	if ts.Alive {
		t.Errorf("status = %+v", ts)
	}
	eventually(t, func() bool { return len(h.leadMessages("w1")) == 1 }, "crash report")
	// The team can still spawn: a new server is started.
	h.spawn(m, "w2", "print reborn", "wait")
	h.waitOutput(m, "w2", "reborn")
}

// TestReconnectAfterSessionKilled: inside the person's tmux, someone kills
// our own session; the supervisor reconnects, re-adopts the teammate (which
// lives in the lead's window) and still sees its later crash.
func TestReconnectAfterSessionKilled(t *testing.T) {
	h := newHarness(t)
	tmuxEnv, lead := h.leadInTmux()
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead })
	h.spawn(m, "w1", "print before", "wait")
	h.waitOutput(m, "w1", "before")
	if _, err := h.tmux("kill-session", "-t", "=claude-teams-alpha"); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		return h.logs.FilterMessage("control connection restored").Len() > 0
	}, "reconnection")
	h.waitState(m, "w1", StateRunning)
	h.ctl("w1", "print after")
	out := h.waitOutput(m, "w1", "after")
	if !strings.Contains(out, "before") {
		t.Errorf("screen = %q", out)
	}
	h.ctl("w1", "exit 2")
	ts := h.waitState(m, "w1", StateCrashed)
	if ts.ExitStatus == nil || *ts.ExitStatus != 2 {
		t.Errorf("status = %+v", ts)
	}
	if n := len(h.leadMessages("w1")); n > 1 {
		t.Errorf("%d reports", n)
	}
}
