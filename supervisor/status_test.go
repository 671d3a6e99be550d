package supervisor

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
)

func TestStatusFields(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "w1", "print hi", "wait")
	h.spawn(m, "w2", "exit 0")
	task, err := h.store.CreateTask(h.team, protocol.TaskInput{Subject: "s", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	owner := "w1"
	if _, err := h.store.UpdateTask(h.team, task.ID, protocol.TaskUpdate{Owner: &owner, By: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "w2", protocol.StateExited)
	h.waitOutput(m, "w1", "hi")
	ts := h.waitState(m, "w1", protocol.StateRunning)
	if ts.Unread < 1 || len(ts.Tasks) != 1 || ts.Tasks[0] != task.ID || ts.LastOutputAt == "" {
		t.Errorf("w1 = %+v", ts)
	}
	st, err := m.Status(ctxT(t), h.team)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != h.team || !st.Supervised || st.SupervisorPID == 0 || len(st.Teammates) != 2 || st.Teammates[0].Name != "w1" {
		t.Fatalf("status = %+v", st)
	}
	b, _ := json.Marshal(st)
	if !strings.Contains(string(b), `"tasks":[]`) || strings.Contains(string(b), `"tasks":null`) {
		t.Errorf("status JSON = %s", b)
	}
}

// TestRestartKeepsIdentity: a crashed teammate restarted on demand keeps
// its agent id, colour and cwd, gets a new pane recorded in config.json and
// a note in its inbox.
func TestRestartKeepsIdentity(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	first := h.spawn(m, "w1", "print run", "wait")
	h.waitOutput(m, "w1", "run")
	h.ctl("w1", "exit 3")
	h.waitState(m, "w1", protocol.StateCrashed)
	ts, err := m.Restart(ctxT(t), h.team, "w1", false)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Restarts != 1 || ts.PaneID == first.TmuxPaneID || !ts.Alive || ts.AgentID != first.AgentID {
		t.Errorf("after restart = %+v (first pane %s)", ts, first.TmuxPaneID)
	}
	h.waitOutput(m, "w1", "run")
	cfg, _ := h.store.ReadConfig(h.team)
	mem, _ := cfg.FindMember("w1")
	if mem.TmuxPaneID != ts.PaneID || mem.Color != first.Color || mem.Cwd != first.Cwd {
		t.Errorf("config member = %+v", mem)
	}
	inbox, _ := h.store.ReadInbox(h.team, "w1", protocol.ReadOptions{})
	last := inbox.Messages[len(inbox.Messages)-1]
	if !strings.Contains(last.Text, "restarted") || !strings.Contains(last.Text, "do w1") {
		t.Errorf("restart note = %+v", last)
	}
	if left := h.agentPanes(); strings.Contains(left, first.TmuxPaneID+" ") {
		t.Errorf("old pane left:\n%s", left)
	}
	// The restart's stop is deliberate: only the first crash was reported.
	if _, err := m.Restart(ctxT(t), h.team, "w1", false); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "w1", protocol.StateRunning)
	eventually(t, func() bool { return len(h.leadMessages("w1")) == 1 }, "one report")
	if ts := h.status(m, "w1"); ts.Restarts != 2 {
		t.Errorf("restarts = %d", ts.Restarts)
	}
}
