package supervisor

import (
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// personScreen is what the person's own panes show.
const personScreen = "PERSON SCREEN canary"

// restartTmux kills the test's tmux server (the teammates die with it) and
// starts a new one on the same socket with the person's session "lead",
// whose pane is the new $TMUX_PANE. It then opens windows of the person's
// (a canary sleep each) until every id of ids names one of them, and returns
// the new $TMUX, the lead pane and the canaries by pane id with their pids.
func (h *harness) restartTmux(ids ...string) (tmuxEnv, lead string, canaries map[string]int) {
	h.t.Helper()
	h.tmux("kill-server")
	eventually(h.t, func() bool { _, err := h.tmux("list-sessions"); return err != nil }, "the tmux server to go")
	canary := []string{"sh", "-c", "echo " + personScreen + "; exec sleep 1000"}
	var out string
	var err error
	eventually(h.t, func() bool {
		out, err = h.tmux(append([]string{"-f", "/dev/null", "new-session", "-d", "-s", "lead", "-x", "160", "-y", "40"}, canary...)...)
		return err == nil
	}, "a new tmux server (last output %s)", &out)
	out, err = h.tmux("display-message", "-p", "-t", "=lead:", "#{socket_path} #{pane_id}")
	if err != nil {
		h.t.Fatal(err)
	}
	f := strings.Fields(out)
	tmuxEnv, lead = f[0]+",1,0", f[1]
	want := 0
	for _, id := range ids {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "%"))
		want = max(want, n)
	}
	canaries = map[string]int{}
	for n := 0; n < want; n++ {
		out, err := h.tmux(append([]string{"new-window", "-d", "-t", "=lead", "-P", "-F", "#{pane_id} #{pane_pid}"}, canary...)...)
		if err != nil {
			h.t.Fatal(err)
		}
		id, pid, _ := strings.Cut(strings.TrimSpace(out), " ")
		canaries[id], _ = strconv.Atoi(pid)
	}
	for _, id := range ids {
		if canaries[id] == 0 {
			h.t.Fatalf("pane %s is not the person's after the restart (%v)", id, canaries)
		}
	}
	return tmuxEnv, lead, canaries
}

// canariesAlive fails the test for every canary killed or removed.
func (h *harness) canariesAlive(when string, canaries map[string]int) {
	h.t.Helper()
	out, err := h.tmux("list-panes", "-a", "-F", tmuxconv.PaneListFormat)
	if err != nil {
		h.t.Fatalf("%v: %s", err, out)
	}
	alive := map[string]bool{}
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if r, ok := tmuxconv.ParsePane(l); ok {
			alive[r.ID] = !r.Dead
		}
	}
	for id, pid := range canaries {
		if !alive[id] || syscall.Kill(pid, 0) != nil {
			h.t.Errorf("%s: the person's pane %s (pid %d) was killed", when, id, pid)
		}
	}
}

// TestTmuxRestartPersonPanesTakeOldIDs: the lead (inside the person's tmux)
// spawns w1 and w2 and exits; tmux restarts; the person's own panes now
// carry w1's and w2's pane ids. The lead comes back: adoption refuses them
// (by the server identity, and without it by the tags and pids alone), the
// teammates are crashed and reported once, check_teammate does not show the
// person's screen, and force kill and team teardown leave the panes alone.
func TestTmuxRestartPersonPanesTakeOldIDs(t *testing.T) {
	for _, tc := range []struct {
		name         string
		dropServerID bool // a state file without the server's identity
	}{{"server identity", false}, {"tags and pids", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tmuxEnv, lead := h.leadInTmux()
			m1 := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead })
			w1 := h.spawn(m1, "w1", "print hello from w1", "wait")
			w2 := h.spawn(m1, "w2", "print hello from w2", "wait")
			h.waitOutput(m1, "w1", "hello from w1")
			if err := m1.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.dropServerID {
				st, err := statefile.LoadTeamState(h.store, h.team)
				if err != nil || st.Server.ServerPID == 0 {
					t.Fatalf("state file has no server identity: %+v, %v", st.Server, err)
				}
				st.Server.ServerPID, st.Server.ServerStart = 0, 0
				if err := statefile.SaveTeamState(h.store, h.team, st); err != nil {
					t.Fatal(err)
				}
			}
			tmuxEnv, lead, canaries := h.restartTmux(w1.TmuxPaneID, w2.TmuxPaneID)

			m2 := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead })
			for _, name := range []string{"w1", "w2"} {
				ts := h.waitState(m2, name, protocol.StateCrashed)
				if ts.PID == canaries[ts.PaneID] {
					t.Errorf("%s took the person's process: %+v", name, ts)
				}
			}
			eventually(t, func() bool { return len(h.leadMessages("w1")) == 1 && len(h.leadMessages("w2")) == 1 },
				"one report each of the vanished panes")
			adopted := h.logs.FilterMessage("teammate adopted").Len()
			refused := h.logs.FilterMessage("pane refused").Len()
			t.Logf("adoption after a tmux restart (%s): adopted %d, refused %d, reported crashed %d",
				tc.name, adopted, refused, len(h.leadMessages("w1"))+len(h.leadMessages("w2")))
			if adopted != 0 || refused != 2 {
				t.Errorf("adopted %d, refused %d; want 0 and 2", adopted, refused)
			}
			h.canariesAlive("adoption", canaries)
			if s, err := m2.Capture(ctxT(t), h.team, "w1", 50); err != nil || strings.Contains(s, "PERSON") {
				t.Errorf("check_teammate w1 = %q, %v: the person's screen", s, err)
			}
			if err := m2.Stop(ctxT(t), h.team, "w1", protocol.StopKilled); err != nil {
				t.Errorf("force kill w1: %v", err)
			}
			h.canariesAlive("force kill", canaries)
			if err := m2.Teardown(ctxT(t), h.team); err != nil {
				t.Errorf("teardown: %v", err)
			}
			h.canariesAlive("teardown", canaries)
			if n := len(h.leadMessages("w1")) + len(h.leadMessages("w2")); n != 2 {
				t.Errorf("%d reports, want 2 (one each)", n)
			}
		})
	}
}

// TestStaleIDOfCrashedTeammateIsAnotherTeammates: after a tmux restart w1's
// recorded pane id is given to w3, spawned by the new owner. Force killing
// the crashed w1 must neither kill w3's pane nor make the owner forget it.
func TestStaleIDOfCrashedTeammateIsAnotherTeammates(t *testing.T) {
	h := newHarness(t)
	tmuxEnv, lead := h.leadInTmux()
	m1 := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead })
	w1 := h.spawn(m1, "w1", "print hello from w1", "wait")
	h.waitOutput(m1, "w1", "hello from w1")
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	tmuxEnv, lead, _ = h.restartTmux()

	m2 := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead })
	h.waitState(m2, "w1", protocol.StateCrashed)
	var w3 protocol.Member
	for i := 0; ; i++ {
		w3 = h.spawn(m2, "w3"+strings.Repeat("x", i), "print hello from w3", "wait")
		if w3.TmuxPaneID == w1.TmuxPaneID {
			break
		}
		n1, _ := strconv.Atoi(strings.TrimPrefix(w1.TmuxPaneID, "%"))
		n3, _ := strconv.Atoi(strings.TrimPrefix(w3.TmuxPaneID, "%"))
		if n3 > n1 {
			t.Fatalf("no teammate got w1's old id %s (last %s)", w1.TmuxPaneID, w3.TmuxPaneID)
		}
	}
	h.waitOutput(m2, w3.Name, "hello from w3")
	pid := h.status(m2, w3.Name).PID
	if err := m2.Stop(ctxT(t), h.team, "w1", protocol.StopKilled); err != nil {
		t.Errorf("force kill w1: %v", err)
	}
	if syscall.Kill(pid, 0) != nil {
		t.Fatalf("force kill of the crashed w1 killed %s (pid %d)", w3.Name, pid)
	}
	if ts := h.status(m2, w3.Name); ts.State != protocol.StateRunning && ts.State != protocol.StateIdle {
		t.Errorf("%s after w1's force kill = %+v", w3.Name, ts)
	}
	// Still watched: its crash is seen.
	h.ctl(w3.Name, "exit 3")
	ts := h.waitState(m2, w3.Name, protocol.StateCrashed)
	if ts.ExitStatus == nil || *ts.ExitStatus != 3 {
		t.Errorf("%s = %+v", w3.Name, ts)
	}
}

// TestRestartAfterTmuxRestartLeavesPersonPanes: with restart on failure,
// the teammates whose panes vanished with the old tmux server are restarted
// in new panes; the person's panes that now carry the old ids stay.
func TestRestartAfterTmuxRestartLeavesPersonPanes(t *testing.T) {
	h := newHarness(t)
	tmuxEnv, lead := h.leadInTmux()
	onFailure := func(c *Config) { c.Restarts.Policy = protocol.RestartOnFailure }
	m1 := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead }, onFailure)
	w1 := h.spawn(m1, "w1", "print hello from w1", "wait")
	h.waitOutput(m1, "w1", "hello from w1")
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	tmuxEnv, lead, canaries := h.restartTmux(w1.TmuxPaneID)
	m2 := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead }, onFailure)
	var ts protocol.TeammateStatus
	eventually(t, func() bool {
		ts = h.status(m2, "w1")
		return ts.State == protocol.StateRunning && ts.PaneID != w1.TmuxPaneID && ts.Restarts == 1
	}, "w1 restarted in a new pane (last %+v)", &ts)
	h.canariesAlive("restart", canaries)
}
