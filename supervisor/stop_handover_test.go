package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
	c, _, err := DialTeam(ctxT(t), h.root, h.team, os.Getuid(), h.dir)
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
		out, _ := h.tmux("list-panes", "-a", "-F", "#{pane_dead} #{"+PaneAgentOption+"}")
		return strings.Contains(out, "1 w1@")
	}, "w1 to die unsupervised")

	// The next call makes this process the owner.
	h.waitState(m, "w1", StateStopped)
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
	if ts := h.status(m2, "w1"); ts.State != string(StateStopped) {
		t.Errorf("w1 after takeover = %+v", ts)
	}
	_ = m2.Close()
	if msgs := h.leadMessages("w1"); len(msgs) != 0 {
		t.Errorf("lead told about a deliberate stop: %+v", msgs)
	}
}
