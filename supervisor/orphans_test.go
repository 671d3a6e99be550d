package supervisor

import (
	"slices"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// taggedPanes lists the panes of the test's tmux server tagged as agent's
// ("%7 0" per pane: id and pane_dead), each once (list-panes -a names a
// pane once per session its window is linked into).
func (h *harness) taggedPanes(agent string) []string {
	h.t.Helper()
	out := h.mustTmux("list-panes", "-a", "-F", "#{pane_id} #{pane_dead} #{"+tmuxconv.PaneAgentOption+"}")
	var ps []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[2] == agent && !slices.Contains(ps, f[0]+" "+f[1]) {
			ps = append(ps, f[0]+" "+f[1])
		}
	}
	return ps
}

// orphanOf waits for helper, an owner the hook kills once it has made a
// pane, to end, and returns the live pane of agent it left that the member
// record (recorded) does not name.
func (h *harness) orphanOf(helper *helperProc, agent, recorded string) string {
	h.t.Helper()
	for range helper.lines {
	}
	_ = helper.cmd.Wait()
	if ws := helper.cmd.ProcessState.String(); !strings.Contains(ws, "killed") {
		h.t.Fatalf("helper ended with %q, want killed by the hook", ws)
	}
	var orphan string
	for _, p := range h.taggedPanes(agent) {
		if id, dead, _ := strings.Cut(p, " "); dead == "0" {
			orphan = id
		}
	}
	if orphan == "" || orphan == recorded {
		h.t.Fatalf("before the next owner: panes of %s %q (recorded %q), want a live unrecorded one", agent, h.taggedPanes(agent), recorded)
	}
	return orphan
}

// TestOrphanPanesOfDeadOwner: an owner SIGKILLed after making a pane and
// before recording it leaves a pane no record names. The next owner kills
// a new teammate's pane whose spawn was never recorded (the spawn did not
// happen: config.json has no such member, and nothing runs unsupervised),
// and takes over the pane of a restart it was making (the teammate is
// adopted in the new pane, which the member record then names, and not
// restarted a second time; beside the lead the new pane takes the dead
// one's cell). On the old code the orphan stayed running beside a second
// restart.
func TestOrphanPanesOfDeadOwner(t *testing.T) {
	for _, c := range []struct{ mode, stage string }{
		{"private", "spawn"}, {"private", "restart"},
		{"split", "spawn-hidden"}, {"split", "spawn"}, {"split", "restart-hidden"},
	} {
		t.Run(c.mode+"/"+c.stage, func(t *testing.T) {
			h := newHarness(t)
			agent := protocol.AgentID("w1", h.team)
			spec := helperSpec{
				Spawn:            map[string][]string{"w1": {"print up", "wait"}},
				KillWhenPaneMade: c.stage,
				Restart:          protocol.RestartOnFailure,
			}
			var mods []func(*Config)
			var lead person
			if c.mode == "split" {
				lead = h.personInTmuxWith(160, 40, false)
				spec.TMUX, spec.TMUXPane = lead.tmuxEnv, lead.lead
				mods = append(mods, func(c *Config) { c.TMUX, c.TMUXPane = lead.tmuxEnv, lead.lead })
			}
			helper := h.startHelperSpec(spec)
			var first protocol.Member
			var cell string
			spawn := strings.HasPrefix(c.stage, "spawn")
			if spawn {
				helper.expect(t, "owner=")
			} else {
				helper.expect(t, "ready")
				first = h.member("w1")
				if c.mode == "split" {
					cell = h.cellOf(first.TmuxPaneID)
				}
				h.ctl("w1", "exit 3") // the helper restarts it and dies on the way
			}
			orphan := h.orphanOf(helper, agent, first.TmuxPaneID)

			m := h.manager(mods...)
			if own, err := m.Supervise(ctxT(t), h.team); err != nil || !own {
				t.Fatalf("supervise: owner=%v err=%v", own, err)
			}
			if spawn {
				eventually(t, func() bool { return len(h.taggedPanes(agent)) == 0 },
					"the unrecorded spawn's pane to be killed (panes of w1: %q)", h.taggedPanes(agent))
				cfg, err := h.store.ReadConfig(h.team)
				if err != nil {
					t.Fatal(err)
				}
				if mem, ok := cfg.FindMember("w1"); ok {
					t.Fatalf("w1 became a member: %+v", mem)
				}
				eventually(t, func() bool {
					st, err := statefile.LoadTeamState(h.store, h.team)
					return err == nil && st.Teammates["w1"].Joining == nil
				}, "the joining record to go")
				return
			}
			// The restart is finished, not made again.
			got := h.waitState(m, "w1", protocol.StateRunning)
			if got.PaneID != orphan || !got.Alive {
				t.Fatalf("w1 after the next owner = %+v, want alive in the unrecorded pane %s", got, orphan)
			}
			eventually(t, func() bool { return h.member("w1").TmuxPaneID == orphan },
				"the member record to name pane %s", orphan)
			h.launch.mu.Lock()
			h.launch.runs["w1"]++ // the helper's second run
			h.launch.mu.Unlock()
			h.ctl("w1", "print adopted")
			h.waitOutput(m, "w1", "adopted")
			if ps := h.taggedPanes(agent); len(ps) != 1 || ps[0] != orphan+" 0" {
				t.Fatalf("panes of w1: %q, want only %s, alive", ps, orphan)
			}
			if n := h.launch.runCount("w1"); n != 2 {
				t.Fatalf("w1 launched %d times in all, want 2 (no restart after the adoption)", n)
			}
			if c.mode == "split" {
				if got := h.cellOf(orphan); got != cell {
					t.Fatalf("w1's new pane is at %q, want the dead pane's cell %q", got, cell)
				}
			}
		})
	}
}

// TestOrphanRestartPaneWithoutCell: the owner died with a restart's new
// pane still out of sight in our own session, and the teammate's dead pane
// beside the lead is gone too (closed by the person). Nothing can take the
// new pane's place, so the next owner kills it and restarts the teammate
// into the lead's window, where the person sees it; it never runs out of
// sight.
func TestOrphanRestartPaneWithoutCell(t *testing.T) {
	h := newHarness(t)
	agent := protocol.AgentID("w1", h.team)
	lead := h.personInTmuxWith(160, 40, false)
	helper := h.startHelperSpec(helperSpec{
		Spawn:            map[string][]string{"w1": {"print up", "wait"}},
		KillWhenPaneMade: "restart-hidden",
		Restart:          protocol.RestartOnFailure,
		TMUX:             lead.tmuxEnv, TMUXPane: lead.lead,
	})
	helper.expect(t, "ready")
	first := h.member("w1")
	h.ctl("w1", "exit 3") // the helper restarts it and dies on the way
	orphan := h.orphanOf(helper, agent, first.TmuxPaneID)
	h.mustTmux("kill-pane", "-t", first.TmuxPaneID) // the person closes the dead pane

	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = lead.tmuxEnv, lead.lead })
	if own, err := m.Supervise(ctxT(t), h.team); err != nil || !own {
		t.Fatalf("supervise: owner=%v err=%v", own, err)
	}
	h.launch.mu.Lock()
	h.launch.runs["w1"]++ // the helper's second run, in the orphan
	h.launch.mu.Unlock()
	got := h.waitState(m, "w1", protocol.StateRunning)
	if got.PaneID == orphan || got.PaneID == first.TmuxPaneID {
		t.Fatalf("w1 after the next owner = %+v, want a new pane (orphan %s, dead %s)", got, orphan, first.TmuxPaneID)
	}
	eventually(t, func() bool {
		ps := h.taggedPanes(agent)
		return len(ps) == 1 && ps[0] == got.PaneID+" 0"
	}, "only w1's new pane %s to be left (panes of w1: %q)", got.PaneID, h.taggedPanes(agent))
	if w := h.mustTmux("display-message", "-p", "-t", got.PaneID, "#{window_id}"); w != lead.leadWin {
		t.Fatalf("w1's new pane is in window %s, want the lead's %s", w, lead.leadWin)
	}
}
