package supervisor

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// watchMembers reads config.json over and over until the test ends and
// fails it if a teammate is ever recorded without a pane id.
func watchMembers(t *testing.T, h *harness) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			cfg, err := h.store.ReadConfig(h.team)
			if err != nil {
				continue
			}
			for _, mem := range cfg.Members {
				if mem.Name != protocol.LeadName && mem.TmuxPaneID == "" {
					t.Errorf("config.json names %s without its pane id", mem.Name)
					return
				}
			}
		}
	}()
	t.Cleanup(func() { close(done); wg.Wait() })
}

// TestMemberNeverWithoutPane: a spawned member reaches config.json only
// with its pane id. The owner is killed between the two steps (pane made,
// member not written): the next owner finds the joining record, writes the
// member with its pane id and adopts the live pane.
func TestMemberNeverWithoutPane(t *testing.T) {
	h := newHarness(t)
	watchMembers(t, h)
	helper := h.startHelper(map[string][]string{"w1": {"print hello from w1", "wait"}}, "",
		func(s *helperSpec) { s.KillAfterPane = true })
	if l := helper.expect(t, "owner="); l != "owner=true" {
		t.Fatalf("helper: %s", l)
	}
	for range helper.lines { // until it is killed
	}
	_ = helper.cmd.Wait()
	if ws := helper.cmd.ProcessState.String(); !strings.Contains(ws, "killed") {
		t.Fatalf("helper ended with %q, want killed by the hook", ws)
	}

	cfg, err := h.store.ReadConfig(h.team)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.FindMember("w1"); ok {
		t.Fatal("w1 is in config.json although its owner died before writing it")
	}
	st, err := statefile.LoadTeamState(h.store, h.team)
	if err != nil {
		t.Fatal(err)
	}
	j := st.Teammates["w1"].Joining
	if j == nil || !strings.HasPrefix(j.TmuxPaneID, "%") {
		t.Fatalf("state file: joining record of w1 = %+v, want one with the pane id", j)
	}
	pane := j.TmuxPaneID
	if out, err := h.tmux("display-message", "-p", "-t", pane, "#{pane_dead}"); err != nil || strings.TrimSpace(out) != "0" {
		t.Fatalf("pane %s of the dead owner: %q %v, want alive", pane, out, err)
	}

	m := h.manager()
	if own, err := m.Supervise(ctxT(t), h.team); err != nil || !own {
		t.Fatalf("supervise: owner=%v err=%v", own, err)
	}
	var mem protocol.Member
	eventually(t, func() bool {
		cfg, err := h.store.ReadConfig(h.team)
		ok := false
		if err == nil {
			mem, ok = cfg.FindMember("w1")
		}
		return ok
	}, "the next owner to record w1")
	if mem.TmuxPaneID != pane || mem.AgentID != protocol.AgentID("w1", h.team) || mem.Color == "" {
		t.Fatalf("next owner recorded w1 = %+v, want pane %s, agent id and colour", mem, pane)
	}
	got := h.waitState(m, "w1", protocol.StateRunning)
	if got.PaneID != pane || !got.Alive {
		t.Fatalf("adopted w1 = %+v, want alive in pane %s", got, pane)
	}
	h.ctl("w1", "print adopted")
	h.waitOutput(m, "w1", "adopted")
	eventually(t, func() bool {
		st, err := statefile.LoadTeamState(h.store, h.team)
		return err == nil && st.Teammates["w1"].Joining == nil && st.Teammates["w1"].PaneID == pane
	}, "the joining record to go once w1 is a member")
}

// TestRemoveTellsOwner: Remove, from the owner and forwarded by a process
// that does not own the team, kills the pane, makes the owner forget the
// teammate (status, state file), removes the member and releases its tasks
// (owned by name or by agent id).
func TestRemoveTellsOwner(t *testing.T) {
	h := newHarness(t)
	watchMembers(t, h)
	owner := h.manager()
	other := h.manager() // forwards to owner over the status socket
	for _, c := range []struct {
		name  string
		via   *Manager
		owner func(name, team string) string
	}{
		{"w1", owner, func(name, _ string) string { return name }},
		{"w2", other, protocol.AgentID},
	} {
		mem := h.spawn(owner, c.name, "print up", "wait")
		h.waitOutput(owner, c.name, "up")
		task, err := h.store.CreateTask(h.team, protocol.TaskInput{Subject: "work of " + c.name})
		if err != nil {
			t.Fatal(err)
		}
		owned, busy := c.name, protocol.StatusInProgress
		if _, err := h.store.UpdateTask(h.team, task.ID, protocol.TaskUpdate{Owner: &owned, Status: &busy}); err != nil {
			t.Fatal(err)
		}
		if id := c.owner(c.name, h.team); id != c.name {
			// As native teammates may write it: the agent id.
			path := h.store.TaskPath(h.team, task.ID)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			raw["owner"] = id
			if b, err = json.Marshal(raw); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if x, _ := h.store.GetTask(h.team, task.ID); x.Owner != id {
				t.Fatalf("task owner = %q, want %q", x.Owner, id)
			}
		}
		rm, err := c.via.Remove(ctxT(t), h.team, c.name, protocol.StopKilled)
		if err != nil {
			t.Fatalf("remove %s: %v", c.name, err)
		}
		if rm.Member.Name != c.name || len(rm.Released) != 1 || rm.Released[0].ID != task.ID {
			t.Fatalf("remove %s = %+v, want the member and task %s released", c.name, rm, task.ID)
		}
		if x, err := h.store.GetTask(h.team, task.ID); err != nil || x.Status != protocol.StatusPending || x.Owner != "" {
			t.Fatalf("task of %s after remove = %+v %v, want pending without owner", c.name, x, err)
		}
		cfg, err := h.store.ReadConfig(h.team)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cfg.FindMember(c.name); ok {
			t.Fatalf("%s still in config.json", c.name)
		}
		if out, err := h.tmux("display-message", "-p", "-t", mem.TmuxPaneID, "#{pane_id}"); err == nil && strings.TrimSpace(out) == mem.TmuxPaneID {
			t.Fatalf("pane %s of %s still exists", mem.TmuxPaneID, c.name)
		}
		st, err := owner.Status(ctxT(t), h.team)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range st.Teammates {
			if x.Name == c.name {
				t.Fatalf("owner still reports %s: %+v", c.name, x)
			}
		}
		fs, err := statefile.LoadTeamState(h.store, h.team)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fs.Teammates[c.name]; ok {
			t.Fatalf("state file still has %s", c.name)
		}
		// Repeated (an answer lost on the way): no error, nothing released.
		if rm, err := c.via.Remove(ctxT(t), h.team, c.name, protocol.StopKilled); err != nil || len(rm.Released) != 0 {
			t.Fatalf("second remove of %s = %+v %v, want no error and nothing released", c.name, rm, err)
		}
	}
	if _, err := owner.Remove(ctxT(t), h.team, protocol.LeadName, protocol.StopKilled); err == nil {
		t.Fatal("removing the lead succeeded")
	}
	if _, err := owner.Remove(ctxT(t), h.team, "../x", protocol.StopKilled); !errors.Is(err, protocol.ErrInvalidName) {
		t.Fatalf("remove ../x: %v, want ErrInvalidName", err)
	}
}
