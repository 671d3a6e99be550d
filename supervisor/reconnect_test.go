package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/internal/fakeclock"
)

// TestSpawnWhileReconnecting: the control connection is lost and, before
// the reconnection timer fires, a spawn connects again. The teammates that
// were running are watched again on that connection too: a later crash is
// seen.
func TestSpawnWhileReconnecting(t *testing.T) {
	h := newHarness(t)
	tmuxEnv, lead := h.leadInTmux()
	clock := fakeclock.New(clockEpoch) // the reconnection timer never fires by itself
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane, c.Clock = tmuxEnv, lead, clock })
	h.spawn(m, "w1", "print before", "wait")
	h.waitOutput(m, "w1", "before")
	if _, err := h.tmux("kill-session", "-t", "=claude-teams-alpha"); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return h.logs.FilterMessage("control connection lost").Len() > 0 }, "the connection to drop")
	h.spawn(m, "w2", "print w2", "wait")
	h.waitOutput(m, "w2", "w2")
	h.ctl("w1", "exit 2")
	ts := h.waitState(m, "w1", protocol.StateCrashed)
	if ts.ExitStatus == nil || *ts.ExitStatus != 2 {
		t.Errorf("w1 = %+v", ts)
	}
}

// TestAdoptWhileTmuxUnusable: a new owner cannot talk to the team's tmux
// server although it runs (here a tmux that fails, as after an upgrade
// that changed the protocol). Its teammates are unknown, not crashed: no
// lead message, no restart; once tmux works again they are adopted and
// watched.
func TestAdoptWhileTmuxUnusable(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "w1", "print up", "wait")
	h.waitOutput(m, "w1", "up")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	broken := filepath.Join(h.dir, "broken")
	if err := os.WriteFile(broken, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(h.dir, "tmux-wrapper")
	script := "#!/bin/sh\nif [ -e " + broken + " ]; then echo 'protocol version mismatch' >&2; exit 1; fi\nexec tmux \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	m2 := h.manager(func(c *Config) { c.Tmux = wrapper })
	if ts := h.status(m2, "w1"); ts.State != protocol.StateUnknown {
		t.Errorf("w1 while tmux fails = %+v", ts)
	}
	if h.logs.FilterMessage("no tmux to adopt from").Len() == 0 {
		t.Error("tmux did not fail")
	}
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	h.waitState(m2, "w1", protocol.StateRunning)
	h.ctl("w1", "exit 3")
	ts := h.waitState(m2, "w1", protocol.StateCrashed)
	if ts.ExitStatus == nil || *ts.ExitStatus != 3 {
		t.Errorf("w1 = %+v", ts)
	}
	_ = m2.Close()
	if n := len(h.leadMessages("w1")); n != 1 {
		t.Errorf("%d lead messages about w1, want 1 (its real crash)", n)
	}
}

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
	ts := h.waitState(m, "w1", protocol.StateCrashed)
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
	h.waitState(m, "w1", protocol.StateRunning)
	h.ctl("w1", "print after")
	out := h.waitOutput(m, "w1", "after")
	if !strings.Contains(out, "before") {
		t.Errorf("screen = %q", out)
	}
	h.ctl("w1", "exit 2")
	ts := h.waitState(m, "w1", protocol.StateCrashed)
	if ts.ExitStatus == nil || *ts.ExitStatus != 2 {
		t.Errorf("status = %+v", ts)
	}
	if n := len(h.leadMessages("w1")); n > 1 {
		t.Errorf("%d reports", n)
	}
}
