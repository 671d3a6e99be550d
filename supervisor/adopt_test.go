package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
)

// TestReadoptAfterSIGKILL: the supervising process is SIGKILLed; teammates
// keep running; the next process re-adopts them, reports the one that died
// while nobody watched (once, also across a further takeover), and detects
// a later crash itself.
func TestReadoptAfterSIGKILL(t *testing.T) {
	h := newHarness(t)
	helper := h.startHelper(map[string][]string{
		"w1": {"print hello from w1", "wait"},
		"w2": {"print hello from w2", "wait"},
		"w3": {"print hello from w3", "wait"},
	}, "")
	if l := helper.expect(t, "owner="); l != "owner=true" {
		t.Fatalf("helper: %s", l)
	}
	helper.expect(t, "ready")

	// A second process forwards to the owner over the status socket.
	m := h.manager()
	st, err := m.Status(ctxT(t), h.team)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Supervised || st.SupervisorPID != helper.cmd.Process.Pid || len(st.Teammates) != 3 {
		t.Fatalf("forwarded status = %+v", st)
	}
	panes := map[string]string{}
	for _, ts := range st.Teammates {
		panes[ts.Name] = ts.PaneID
	}
	h.waitOutput(m, "w1", "hello from w1") // forwarded capture
	// A forwarded spawn: the owner creates the pane.
	w4, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "w4", Prompt: "p", Cwd: h.dir, BackendType: "fake"}, "")
	if err != nil || !strings.HasPrefix(w4.TmuxPaneID, "%") {
		t.Fatalf("forwarded spawn = %+v, %v", w4, err)
	}
	if m.ownedTeam(h.team) != nil {
		t.Fatal("the forwarding process became an owner")
	}

	helper.kill()
	// w2 dies while nobody supervises the team.
	h.ctl("w2", "print dying alone")
	h.ctl("w2", "exit 4")
	// (Its status may stay unknown to tmux until someone makes it reap the
	// child: tmux 3.3a's lost SIGCHLD. The new owner must repair that.)
	eventually(t, func() bool {
		out, _ := h.tmux("display-message", "-p", "-t", panes["w2"], "#{pane_dead}")
		return strings.TrimSpace(out) == "1"
	}, "w2 to die unsupervised")
	if out, _ := h.tmux("display-message", "-p", "-t", panes["w1"], "#{pane_dead}"); strings.TrimSpace(out) != "0" {
		t.Fatalf("w1 died with its supervisor: %q", out)
	}

	// The same process notices the owner is gone and takes over.
	owner, err := m.Supervise(ctxT(t), h.team)
	if err != nil || !owner {
		t.Fatalf("takeover: owner=%v err=%v", owner, err)
	}
	panes["w4"] = w4.TmuxPaneID
	for _, n := range []string{"w1", "w3", "w4"} {
		ts := h.waitState(m, n, protocol.StateRunning)
		if ts.PaneID != panes[n] || ts.PID == 0 {
			t.Errorf("adopted %s = %+v", n, ts)
		}
	}
	ts := h.status(m, "w2")
	if ts.State != protocol.StateCrashed || ts.ExitStatus == nil || *ts.ExitStatus != 4 {
		t.Errorf("w2 = %+v", ts)
	}
	eventually(t, func() bool { return len(h.leadMessages("w2")) == 1 }, "report of the unsupervised crash")
	if msg := h.leadMessages("w2")[0]; !strings.Contains(msg.Text, "exit status: 4") || !strings.Contains(msg.Text, "dying alone") {
		t.Errorf("w2 message = %+v", msg)
	}
	if out, err := m.Capture(ctxT(t), h.team, "w1", 10); err != nil || !strings.Contains(out, "hello from w1") {
		t.Errorf("capture of adopted w1 = %q, %v", out, err)
	}

	// A crash after the takeover is the new owner's to see.
	h.ctl("w1", "exit 9")
	ts = h.waitState(m, "w1", protocol.StateCrashed)
	if ts.ExitStatus == nil || *ts.ExitStatus != 9 {
		t.Errorf("w1 = %+v", ts)
	}
	eventually(t, func() bool { return len(h.leadMessages("w1")) == 1 }, "report of w1's crash")

	// A further takeover reports nothing again.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := h.manager()
	if ts := h.status(m2, "w2"); ts.State != protocol.StateCrashed {
		t.Errorf("w2 after second takeover = %+v", ts)
	}
	h.waitState(m2, "w3", protocol.StateRunning)
	_ = m2.Close()
	if n1, n2 := len(h.leadMessages("w1")), len(h.leadMessages("w2")); n1 != 1 || n2 != 1 {
		t.Errorf("messages after second takeover: w1 %d, w2 %d (want 1 each)", n1, n2)
	}
}

// TestRaceToSupervise: several processes start supervising one team at the
// same instant; exactly one wins, the others forward to it.
func TestRaceToSupervise(t *testing.T) {
	h := newHarness(t)
	barrier := filepath.Join(h.dir, "go")
	var procs []*helperProc
	for i := 0; i < 3; i++ {
		procs = append(procs, h.startHelper(nil, barrier))
	}
	if err := os.WriteFile(barrier, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	owners := 0
	for _, p := range procs {
		if p.expect(t, "owner=") == "owner=true" {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("%d processes supervise the team, want exactly 1", owners)
	}
}
