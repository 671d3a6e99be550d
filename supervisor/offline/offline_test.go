package offline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc/tmuxtest"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOfflineTeammate(t *testing.T) {
	zero, three := 0, 3
	m := protocol.Member{Name: "w1", AgentID: "w1@alpha", BackendType: "codex", TmuxPaneID: "%1"}
	list := func(p ...tmuxconv.Pane) []paneListing { return []paneListing{{panes: p, running: true}} }
	self := os.Getpid()
	selfStart := tmuxconv.ProcStart(self)
	tests := []struct {
		name    string
		saved   statefile.TeammateState
		panes   []paneListing
		state   string
		alive   bool
		pane    string
		exit    *int
		signal  string
		started string
		why     string // in HealthReason ("-": there is none)
	}{
		{name: "alive", panes: list(tmuxconv.Pane{ID: "%1", PID: 9}), state: "running", alive: true, pane: "%1"},
		{name: "tag beats id", panes: list(tmuxconv.Pane{ID: "%1", PID: 9, Agent: "x@alpha"}, tmuxconv.Pane{ID: "%5", PID: 10, Agent: "w1@alpha"}),
			state: "running", alive: true, pane: "%5", why: "-"},
		{name: "other's pane with our id", panes: list(tmuxconv.Pane{ID: "%1", Agent: "x@alpha"}), state: "unknown", pane: "%1"},
		{name: "other root's pane", panes: list(tmuxconv.Pane{ID: "%1", PID: 9, Agent: "w1@alpha", Root: "theirs"}), state: "unknown", pane: "%1"},
		{name: "our root's pane", panes: list(tmuxconv.Pane{ID: "%7", PID: 9, Agent: "w1@alpha", Root: "ours"}), state: "running", alive: true, pane: "%7"},
		{name: "exit 0", panes: list(tmuxconv.Pane{ID: "%1", Dead: true, ExitStatus: &zero}), state: "exited", pane: "%1", exit: &zero},
		{name: "exit 3", panes: list(tmuxconv.Pane{ID: "%1", Dead: true, ExitStatus: &three}), state: "crashed", pane: "%1", exit: &three},
		{name: "signal", panes: list(tmuxconv.Pane{ID: "%1", Dead: true, Signal: "SIGKILL"}), state: "crashed", pane: "%1", signal: "SIGKILL"},
		{name: "unreaped", panes: list(tmuxconv.Pane{ID: "%1", Dead: true}), state: "unknown", pane: "%1"},
		{name: "deliberate stop", saved: statefile.TeammateState{PaneID: "%1", State: protocol.StateStopped},
			panes: list(tmuxconv.Pane{ID: "%1", Dead: true, Signal: "SIGTERM"}), state: "stopped", pane: "%1", signal: "SIGTERM"},
		{name: "gone, saved failed", saved: statefile.TeammateState{PaneID: "%1", State: protocol.StateFailed, ExitStatus: &three},
			panes: list(), state: "failed", pane: "%1", exit: &three},
		{name: "gone, saved running", saved: statefile.TeammateState{PaneID: "%1", State: protocol.StateRunning}, panes: list(), state: "unknown", pane: "%1"},
		{name: "no server", panes: nil, state: "unknown", pane: "%1"},
		{name: "restarted pane", saved: statefile.TeammateState{PaneID: "%4", StartedAt: "2026-01-01T00:00:00.000Z", Restarts: 2},
			panes: list(tmuxconv.Pane{ID: "%4", PID: 7}), state: "running", alive: true, pane: "%4", started: "2026-01-01T00:00:00.000Z"},
		{name: "second server", panes: append(list(), list(tmuxconv.Pane{ID: "%1", PID: 3})...), state: "running", alive: true, pane: "%1"},
		{name: "untagged, our process", saved: statefile.TeammateState{PaneID: "%1", PID: self, PIDStart: selfStart},
			panes: list(tmuxconv.Pane{ID: "%1", PID: self}), state: "running", alive: true, pane: "%1", why: "-"},
		{name: "untagged, another process on our id", saved: statefile.TeammateState{PaneID: "%1", PID: self, PIDStart: selfStart},
			panes: list(tmuxconv.Pane{ID: "%1", PID: 1}), state: "unknown", pane: "%1", why: "pane %1 is not this teammate's (untagged, runs pid 1"},
		{name: "untagged, our pid started another time", saved: statefile.TeammateState{PaneID: "%1", PID: self, PIDStart: selfStart + 1},
			panes: list(tmuxconv.Pane{ID: "%1", PID: self}), state: "unknown", pane: "%1", why: "started at another time"},
		{name: "untagged and dead, process recorded", saved: statefile.TeammateState{PaneID: "%1", PID: self, PIDStart: selfStart, State: protocol.StateRunning},
			panes: list(tmuxconv.Pane{ID: "%1", Dead: true, ExitStatus: &zero}), state: "unknown", pane: "%1", why: "untagged and dead"},
		{name: "untagged, nothing recorded", panes: list(tmuxconv.Pane{ID: "%1", PID: 9}), state: "running", alive: true, pane: "%1",
			why: "taken as the teammate's by its id alone"},
		{name: "launched with a lead key", saved: statefile.TeammateState{PaneID: "%1", LeadVerifyKey: "1.AA"},
			panes: list(tmuxconv.Pane{ID: "%1", PID: 9}), state: "running", alive: true, pane: "%1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := offlineTeammate("alpha", "ours", m, tt.saved, tt.panes)
			if string(ts.State) != tt.state || ts.Alive != tt.alive || ts.PaneID != tt.pane || ts.Signal != tt.signal ||
				ts.StartedAt != tt.started || mustJSON(t, ts.ExitStatus) != mustJSON(t, tt.exit) {
				t.Errorf("got %s", mustJSON(t, ts))
			}
			if tt.why == "-" && ts.HealthReason != "" || tt.why != "-" && !strings.Contains(ts.HealthReason, tt.why) {
				t.Errorf("reason = %q, want it to say %q", ts.HealthReason, tt.why)
			}
			if ts.Backend != "codex" || ts.AgentID != "w1@alpha" || ts.Restarts != tt.saved.Restarts || ts.Tasks == nil ||
				ts.LeadSigned != (tt.saved.LeadVerifyKey != "") {
				t.Errorf("identity: %s", mustJSON(t, ts))
			}
		})
	}
}

// offlineTmux starts a private tmux server for one test and returns a
// function running tmux commands on it.
func offlineTmux(t *testing.T) (tmuxconv.TmuxServer, func(args ...string) string) {
	t.Helper()
	s := tmuxtest.New(t, "tt-")
	return tmuxconv.TmuxServer{Socket: s.Socket}, s.Must
}

// newOfflineTeam creates team alpha with teammates w1..w4 in a fresh
// data root.
func newOfflineTeam(t *testing.T, panes map[string]string) *protocol.Store {
	t.Helper()
	store := protocol.NewStore(t.TempDir())
	if _, err := store.CreateTeam("alpha", "", protocol.Member{Cwd: "/"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"w1", "w2", "w3", "w4"} {
		if _, err := store.AddMember("alpha", protocol.Member{Name: name, TmuxPaneID: panes[name], BackendType: "claude", Cwd: "/"}); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

func TestOfflineStatusRealTmux(t *testing.T) {
	srv, tmux := offlineTmux(t)
	tmux("new-session", "-d", "-s", "alpha", "-x", "80", "-y", "24", "sleep 600")
	tmux("set-option", "-g", "remain-on-exit", "on")
	live := tmux("display-message", "-p", "-t", "alpha:0", "#{pane_id}")
	tmux("set-option", "-p", "-t", live, tmuxconv.PaneAgentOption, "w1@alpha")
	crashed := tmux("new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "alpha", "sh -c 'echo bye; exit 3'")
	killed := tmux("new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "alpha", "sh -c 'kill -KILL $$'")
	// Wait until tmux has reaped both (TMUX.md: nudge with run-shell -b).
	tmuxtest.Eventually(t, func() bool {
		tmux("run-shell", "-b", "true")
		out := tmux("list-panes", "-a", "-F", "#{pane_dead}#{pane_dead_status}#{pane_dead_signal}")
		return strings.Contains(out, "13") && strings.Contains(out, "19")
	}, "tmux to reap both panes")

	store := newOfflineTeam(t, map[string]string{"w1": "%99", "w2": crashed, "w3": killed, "w4": "%77"})
	// w4 was stopped on purpose by a supervisor that has gone away since.
	if err := statefile.SaveTeamState(store, "alpha", statefile.TeamState{SupervisorPID: 1, Teammates: map[string]statefile.TeammateState{
		"w2": {PaneID: crashed, Restarts: 2, Failures: 1},
		"w4": {PaneID: "%77", State: protocol.StateStopped},
	}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := store.Send("alpha", "w1", protocol.Message{From: protocol.LeadName, Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	// Setting an owner also sends a task_assignment: w1 ends with 4
	// unread messages, w2 with 1.
	for i, owner := range []string{"w1", "w2", "w1", ""} {
		task, err := store.CreateTask("alpha", protocol.TaskInput{Subject: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if _, err := store.UpdateTask("alpha", task.ID, protocol.TaskUpdate{Owner: protocol.Ptr(owner)}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 1 {
			if _, err := store.UpdateTask("alpha", task.ID, protocol.TaskUpdate{Status: protocol.Ptr(protocol.StatusCompleted)}); err != nil {
				t.Fatal(err)
			}
		}
	}

	var calls int
	run := func(ctx context.Context, argv []string) ([]byte, error) {
		calls++
		return tmuxconv.ExecRunner(ctx, argv)
	}
	r := NewReader(Config{Store: store, Servers: []tmuxconv.TmuxServer{{Name: "cts-none-" + t.Name()}, srv}, Run: run})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := r.Status(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if st.Supervised || st.SupervisorPID != 0 || st.Name != "alpha" || len(st.Teammates) != 4 {
		t.Fatalf("team: %s", mustJSON(t, st))
	}
	got := map[string]protocol.TeammateStatus{}
	for _, ts := range st.Teammates {
		got[ts.Name] = ts
	}
	check := func(name, state string, alive bool, exit string, signal string) {
		t.Helper()
		ts := got[name]
		if string(ts.State) != state || ts.Alive != alive || mustJSON(t, ts.ExitStatus) != exit || ts.Signal != signal {
			t.Errorf("%s: %s", name, mustJSON(t, ts))
		}
	}
	check("w1", "running", true, "null", "")
	check("w2", "crashed", false, "3", "")
	check("w3", "crashed", false, "null", "SIGKILL")
	check("w4", "stopped", false, "null", "")
	if w1 := got["w1"]; w1.PaneID != live || w1.PID == 0 || w1.Unread != 4 || strings.Join(w1.Tasks, ",") != "1,3" {
		t.Errorf("w1 details: %s", mustJSON(t, w1))
	}
	if w2 := got["w2"]; w2.Restarts != 2 || w2.Failures != 1 || len(w2.Tasks) != 0 || w2.Unread != 1 {
		t.Errorf("w2 details: %s", mustJSON(t, w2))
	}
	if _, err := r.Status(ctx, "alpha"); err != nil || calls != 2 {
		t.Errorf("second status: %v, %d tmux runs (want 2: one per server, cached)", err, calls)
	}
	if r.TmuxErr() != nil {
		t.Errorf("TmuxErr = %v", r.TmuxErr())
	}

	if _, err := r.Status(ctx, "beta"); !errors.Is(err, protocol.ErrTeamNotFound) {
		t.Errorf("missing team: %v", err)
	}
	if _, err := r.Status(ctx, "../x"); !errors.Is(err, protocol.ErrInvalidName) {
		t.Errorf("bad team: %v", err)
	}
}

// TestOfflineStatusRefusesReusedPaneID: w1 ran in %N, the supervisor went
// away, tmux restarted and %N is now the person's own pane (untagged, some
// other process). The status must not call it w1's, and must say why.
func TestOfflineStatusRefusesReusedPaneID(t *testing.T) {
	srv, tmux := offlineTmux(t)
	tmux("new-session", "-d", "-s", "mine", "-x", "80", "-y", "24", "sleep 600")
	editor := tmux("display-message", "-p", "-t", "mine:0", "#{pane_id}")
	store := newOfflineTeam(t, map[string]string{"w1": editor})
	self := os.Getpid()
	if err := statefile.SaveTeamState(store, "alpha", statefile.TeamState{SupervisorPID: 1, Teammates: map[string]statefile.TeammateState{
		"w1": {PaneID: editor, PID: self, PIDStart: tmuxconv.ProcStart(self), State: protocol.StateRunning},
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Status(ctx, Config{Store: store, Servers: []tmuxconv.TmuxServer{srv}}, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	w1 := st.Teammates[0]
	if w1.Name != "w1" || w1.State != protocol.StateUnknown || w1.Alive || w1.PID != 0 ||
		!strings.Contains(w1.HealthReason, "pane "+editor+" is not this teammate's (untagged, runs pid") {
		t.Fatalf("w1 = %s, want unknown, not alive, and the refusal said", mustJSON(t, w1))
	}
}
