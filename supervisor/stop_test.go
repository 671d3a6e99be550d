package supervisor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// paneIDsOf lists the panes of the test server that carry an agent id.
func (h *harness) agentPanes() string {
	out, _ := h.tmux("list-panes", "-a", "-F", "#{pane_id} #{"+tmuxconv.PaneAgentOption+"}")
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "@") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestStopEndsPaneAndProcess(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.StopGrace = 300 * time.Millisecond })
	polite := h.spawn(m, "polite")
	stubborn := h.spawn(m, "stubborn", "ignore-term", "print ignoring", "wait")
	h.waitOutput(m, "stubborn", "ignoring")
	pids := map[string]int{}
	for _, n := range []string{"polite", "stubborn"} {
		pids[n] = h.waitState(m, n, protocol.StateRunning).PID
	}
	for _, n := range []string{"polite", "stubborn"} {
		if err := m.Stop(ctxT(t), h.team, n, "killed"); err != nil {
			t.Fatalf("stop %s: %v", n, err)
		}
		// Gone when Stop returns: no waiting here.
		if !processGone(pids[n]) {
			stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pids[n]) + "/stat")
			t.Errorf("%s: process %d still running after Stop: %s\nlog: %v", n, pids[n], stat,
				h.logs.FilterField(zap.String("agent", n)).All())
		}
		ts := h.status(m, n)
		if ts.State != protocol.StateStopped || ts.Alive {
			t.Errorf("%s: status after stop = %+v", n, ts)
		}
	}
	if left := h.agentPanes(); left != "" {
		t.Errorf("panes left after stop:\n%s\n(polite %s, stubborn %s)", left, polite.TmuxPaneID, stubborn.TmuxPaneID)
	}
	if n := len(h.leadMessages("polite")) + len(h.leadMessages("stubborn")); n != 0 {
		t.Errorf("%d lead messages for deliberate stops", n)
	}
	// Stopping again, or stopping someone unknown, is fine.
	if err := m.Stop(ctxT(t), h.team, "polite", "killed"); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if err := m.Stop(ctxT(t), h.team, "nobody", "killed"); err != nil {
		t.Errorf("stop of unknown teammate: %v", err)
	}
}

// TestStopDeadPane: stopping a crashed teammate removes its dead pane and
// turns it stopped, without a second report.
func TestStopDeadPane(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "w1", "print bye", "exit 5")
	h.waitState(m, "w1", protocol.StateCrashed)
	if err := m.Stop(ctxT(t), h.team, "w1", "shutdown"); err != nil {
		t.Fatal(err)
	}
	if ts := h.status(m, "w1"); ts.State != protocol.StateStopped || ts.ExitStatus == nil || *ts.ExitStatus != 5 {
		t.Errorf("status = %+v", ts)
	}
	if left := h.agentPanes(); left != "" {
		t.Errorf("dead pane left:\n%s", left)
	}
	eventually(t, func() bool { return len(h.leadMessages("w1")) == 1 }, "one crash message")
}

func TestTeardownLeavesNothing(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.StopGrace = 300 * time.Millisecond })
	h.spawn(m, "a")
	h.spawn(m, "b", "ignore-term", "wait")
	h.spawn(m, "c", "exit 2")
	h.waitState(m, "c", protocol.StateCrashed)
	h.waitState(m, "a", protocol.StateRunning)
	done := m.Done(h.team)
	if done == nil {
		t.Fatal("manager does not own the team")
	}
	if err := m.Teardown(ctxT(t), h.team); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("owner loop still running after teardown")
	}
	if left := h.agentPanes(); left != "" {
		t.Errorf("panes left after teardown:\n%s", left)
	}
	if _, err := h.tmux("has-session", "-t", "="+h.team); err == nil {
		t.Error("team session left after teardown")
	}
	if n := len(h.leadMessages("a")) + len(h.leadMessages("b")); n != 0 {
		t.Errorf("%d crash messages for a teardown", n)
	}
}

// TestStopOutlivesSupervisorCrash: the supervising process is SIGKILLed
// after it asked a teammate to end (SIGTERM) and before the teammate's
// exit was seen. The next owner knows a stop was under way (state file):
// the exit is a stop, never reported as a crash, and the dead pane goes.
func TestStopOutlivesSupervisorCrash(t *testing.T) {
	h := newHarness(t)
	termed := filepath.Join(h.dir, "termed")
	helper := h.startHelper(map[string][]string{"w1": {"on-term " + termed, "print up", "wait"}}, "")
	if l := helper.expect(t, "owner="); l != "owner=true" {
		t.Fatalf("helper: %s", l)
	}
	helper.expect(t, "ready")
	m := h.manager() // forwards to the helper until it is gone
	h.waitOutput(m, "w1", "up")
	c, _, err := statussock.DialTeam(ctxT(t), h.root, h.team, os.Getuid(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stopErr := make(chan error, 1)
	go func() { stopErr <- c.Stop(ctxT(t), h.team, "w1", "killed") }()
	eventually(t, func() bool { _, err := os.Stat(termed); return err == nil }, "w1 to get SIGTERM")
	helper.kill() // w1 exits 300 ms later, with nobody watching
	<-stopErr     // the connection broke: the caller sees an error
	eventually(t, func() bool {
		out, _ := h.tmux("list-panes", "-a", "-F", "#{pane_dead} #{"+tmuxconv.PaneAgentOption+"}")
		return strings.Contains(out, "1 w1@")
	}, "w1 to die unsupervised")

	// The next call makes this process the owner.
	h.waitState(m, "w1", protocol.StateStopped)
	eventually(t, func() bool { return h.agentPanes() == "" }, "the dead pane to go")
	_ = m.Close() // delivers queued lead notifications
	if msgs := h.leadMessages("w1"); len(msgs) != 0 {
		t.Errorf("lead told about a deliberate stop: %+v", msgs)
	}
}

// TestCloseFinishesStops: the process shuts down (Manager.Close) while a
// stop waits for a teammate that ignores SIGTERM. Close finishes the stop
// first, so the next owner finds a stopped teammate, not a crash.
func TestCloseFinishesStops(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "w1", "ignore-term", "print up", "wait")
	h.waitOutput(m, "w1", "up")
	go func() { _ = m.Stop(ctxT(t), h.team, "w1", "killed") }()
	eventually(t, func() bool { return h.logs.FilterMessage("teammate stopping").Len() > 0 }, "the stop to begin")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if left := h.agentPanes(); left != "" {
		t.Errorf("panes left after Close:\n%s", left)
	}
	m2 := h.manager()
	if ts := h.status(m2, "w1"); ts.State != protocol.StateStopped {
		t.Errorf("w1 after takeover = %+v", ts)
	}
	_ = m2.Close()
	if msgs := h.leadMessages("w1"); len(msgs) != 0 {
		t.Errorf("lead told about a deliberate stop: %+v", msgs)
	}
}

// TestStopAcrossReconnect: the control connection drops while a stop waits
// for a teammate that ignores SIGTERM (inside the person's tmux, someone
// killed our session). The stop still removes the pane, through the new
// connection: no dead pane is left in the lead's window.
func TestStopAcrossReconnect(t *testing.T) {
	h := newHarness(t)
	tmuxEnv, lead := h.leadInTmux()
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane, c.StopGrace = tmuxEnv, lead, time.Second })
	h.spawn(m, "w1", "ignore-term", "print up", "wait")
	h.waitOutput(m, "w1", "up")
	stopped := make(chan error, 1)
	go func() { stopped <- m.Stop(ctxT(t), h.team, "w1", "killed") }()
	eventually(t, func() bool { return h.logs.FilterMessage("teammate stopping").Len() > 0 }, "the stop to begin")
	if _, err := h.tmux("kill-session", "-t", "=claude-teams-alpha"); err != nil {
		t.Fatal(err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	eventually(t, func() bool { return h.agentPanes() == "" }, "the pane to go (left: %s)", h.agentPanes())
	if ts := h.status(m, "w1"); ts.State != protocol.StateStopped {
		t.Errorf("w1 = %+v", ts)
	}
}
