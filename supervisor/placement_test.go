package supervisor

import (
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// person is a person's own tmux on the harness's server: session "person"
// whose first window holds the lead's pane, a second window, and the
// person's client attached through a pty of the window's size (so tmux
// sizes the windows as for a person).
type person struct {
	tmuxEnv, lead, leadWin string
	second, secondSize     string
	w, h                   int
}

func (h *harness) personInTmux(w, hgt int) person {
	h.t.Helper()
	return h.personInTmuxWith(w, hgt, true)
}

// personInTmuxWith is personInTmux; without attach, no person's client
// is attached (tmux then redraws no screen).
func (h *harness) personInTmuxWith(w, hgt int, attach bool) person {
	h.t.Helper()
	h.mustTmux("new-session", "-d", "-s", "person", "-x", strconv.Itoa(w), "-y", strconv.Itoa(hgt), "cat")
	h.mustTmux("new-window", "-d", "-t", "=person:", "cat")
	p := person{w: w, h: hgt}
	p.lead = h.mustTmux("display-message", "-p", "-t", "=person:0.0", "#{pane_id}")
	p.leadWin = h.mustTmux("display-message", "-p", "-t", p.lead, "#{window_id}")
	p.second = h.mustTmux("display-message", "-p", "-t", "=person:1", "#{window_id}")
	if attach {
		h.attachPerson(w, hgt)
	}
	p.secondSize = h.mustTmux("display-message", "-p", "-t", p.second, "#{window_width}x#{window_height}")
	sock := h.mustTmux("display-message", "-p", "#{socket_path}")
	p.tmuxEnv = sock + ",1,0"
	return p
}

// attachPerson attaches a person's client to "person" through a pty of
// w×hgt plus tmux's status line, and waits until it is in.
func (h *harness) attachPerson(w, hgt int) {
	cmd := exec.Command("tmux", "-L", h.socket, "attach-session", "-t", "=person")
	cmd.Env = append(append([]string{}, h.env...), "TERM=xterm-256color")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(w), Rows: uint16(hgt + 1)})
	if err != nil {
		h.t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, f) }()
	h.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = f.Close() })
	eventually(h.t, func() bool {
		out, _ := h.tmux("list-clients", "-t", "=person", "-F", "#{client_tty}")
		return strings.TrimSpace(out) != ""
	}, "the person's client to attach")
}

func (h *harness) mustTmux(args ...string) string {
	h.t.Helper()
	out, err := h.tmux(args...)
	if err != nil {
		h.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// paneRow is a pane of the server as these tests look at it.
type paneRow struct {
	id, window, session, title, agent string
	w, h, winW, winH                  int
	dead                              bool
}

// panesOf lists the panes of scope ("-a", or "-s -t =person").
func (h *harness) panesOf(scope ...string) []paneRow {
	h.t.Helper()
	args := append(append([]string{"list-panes"}, scope...), "-F",
		"#{pane_id}\t#{window_id}\t#{session_name}\t#{pane_title}\t#{"+tmuxconv.PaneAgentOption+"}\t#{pane_width}\t#{pane_height}\t#{window_width}\t#{window_height}\t#{pane_dead}")
	var rows []paneRow
	for _, l := range strings.Split(h.mustTmux(args...), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 10 {
			continue
		}
		n := func(s string) int { v, _ := strconv.Atoi(s); return v }
		rows = append(rows, paneRow{id: f[0], window: f[1], session: f[2], title: f[3], agent: f[4],
			w: n(f[5]), h: n(f[6]), winW: n(f[7]), winH: n(f[8]), dead: f[9] == "1"})
	}
	return rows
}

// checkPlaced checks what a person sees after spawns and restarts: one
// live pane per teammate, titled with its name, shown in the person's
// session; nothing dead left; the lead keeps ≥ 30 % of its window's width
// and its full height; the person's second window keeps its size.
func (h *harness) checkPlaced(p person, names []string) {
	h.t.Helper()
	byAgent := map[string][]paneRow{}
	for _, r := range h.panesOf("-a") {
		if r.dead && r.session != "person" {
			h.t.Errorf("dead pane left: %+v", r)
		}
		if r.session != "person" {
			continue // our session's view of the same windows
		}
		if r.dead {
			h.t.Errorf("dead pane left: %+v", r)
		}
		if r.agent != "" {
			byAgent[r.agent] = append(byAgent[r.agent], r)
		}
		// Full height: the window's, less the border line with the titles.
		if r.id == p.lead && (r.h < r.winH-1 || r.w*100 < 30*r.winW) {
			h.t.Errorf("lead pane %dx%d in a %dx%d window: want full height, ≥ 30 %% width", r.w, r.h, r.winW, r.winH)
		}
	}
	for _, n := range names {
		ps := byAgent[n+"@"+h.team]
		if len(ps) != 1 {
			h.t.Errorf("teammate %s: %d panes in the person's session: %+v", n, len(ps), ps)
			continue
		}
		if ps[0].title != n {
			h.t.Errorf("teammate %s: pane %s titled %q", n, ps[0].id, ps[0].title)
		}
	}
	if len(byAgent) != len(names) {
		h.t.Errorf("%d teammates in the person's session, want %d: %v", len(byAgent), len(names), byAgent)
	}
	if got := h.mustTmux("display-message", "-p", "-t", p.second, "#{window_width}x#{window_height}"); got != p.secondSize {
		h.t.Errorf("the person's second window went from %s to %s", p.secondSize, got)
	}
}

// TestSplitLayoutEightWithRestarts: 8 teammates beside a lead in a
// 200×50 window, three of them crashing and restarting in place: every
// spawn succeeds, the lead keeps its share at full height, no dead pane
// is left, each teammate has one titled pane; teardown gives the lead its
// window back.
func TestSplitLayoutEightWithRestarts(t *testing.T) {
	h := newHarness(t)
	p := h.personInTmux(200, 50)
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = p.tmuxEnv, p.lead })
	borderBefore, _ := h.tmux("show-options", "-w", "-v", "-t", p.leadWin, "pane-border-status")
	var names []string
	for i := 1; i <= 8; i++ {
		n := fmt.Sprintf("w%d", i)
		names = append(names, n)
		h.launch.set(n, []string{"print up " + n, "wait"})
		if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: n, Prompt: "do " + n, Cwd: h.dir, BackendType: "fake"}, protocol.RestartOnFailure); err != nil {
			t.Fatalf("spawn %s: %v", n, err)
		}
	}
	for _, n := range names {
		h.waitOutput(m, n, "up "+n)
	}
	h.checkPlaced(p, names)
	for _, n := range []string{"w2", "w5", "w8"} {
		before := h.status(m, n)
		cell := h.cellOf(before.PaneID)
		h.ctl(n, "exit 3")
		var ts protocol.TeammateStatus
		eventually(t, func() bool {
			ts = h.status(m, n)
			return ts.Restarts == 1 && ts.Alive && ts.PaneID != before.PaneID
		}, "%s restarted (last %+v)", n, &ts)
		h.waitOutput(m, n, "up "+n)
		if got := h.cellOf(ts.PaneID); got != cell {
			t.Errorf("%s restarted at %s, its cell was %s", n, got, cell)
		}
		if !strings.Contains(ts.Window, p.leadWin) {
			t.Errorf("%s: status window %q, want the lead's %s", n, ts.Window, p.leadWin)
		}
	}
	h.checkPlaced(p, names)

	if err := m.Teardown(ctxT(t), h.team); err != nil {
		t.Fatal(err)
	}
	rows := h.panesOf("-t", p.leadWin)
	if len(rows) != 1 || rows[0].id != p.lead || rows[0].w != rows[0].winW || rows[0].h != rows[0].winH {
		t.Errorf("lead's window after teardown: %+v", rows)
	}
	if after, _ := h.tmux("show-options", "-w", "-v", "-t", p.leadWin, "pane-border-status"); after != borderBefore {
		t.Errorf("pane-border-status %q after teardown, was %q", after, borderBefore)
	}
	if saved, _ := h.tmux("show-options", "-w", "-t", p.leadWin); strings.Contains(saved, "@claude-teams") {
		t.Errorf("records left on the lead's window:\n%s", saved)
	}
}

// cellOf is where a pane sits: window, left, top, width, height.
func (h *harness) cellOf(pane string) string {
	h.t.Helper()
	return h.mustTmux("display-message", "-p", "-t", pane, "#{window_id} #{pane_left},#{pane_top} #{pane_width}x#{pane_height}")
}

// TestSplitLayoutTwentyIn80x24: 20 teammates beside a lead in an 80×24
// window all start, in the lead's window and overflow windows of the
// person's session named after the team, each visible there; status says
// where each is.
func TestSplitLayoutTwentyIn80x24(t *testing.T) {
	h := newHarness(t)
	p := h.personInTmux(80, 24)
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = p.tmuxEnv, p.lead })
	var names []string
	for i := 1; i <= 20; i++ {
		n := fmt.Sprintf("w%d", i)
		names = append(names, n)
		h.spawn(m, n, "print up "+n, "wait")
	}
	h.checkPlaced(p, names)
	windows := h.mustTmux("list-windows", "-t", "=person", "-F", "#{window_name}")
	if !strings.Contains(windows, "alpha-2") {
		t.Errorf("no overflow window alpha-2 in the person's session:\n%s", windows)
	}
	ts := h.status(m, "w20")
	if !strings.HasPrefix(ts.Window, "alpha-") || !strings.Contains(ts.Window, "(@") {
		t.Errorf("w20's window = %q", ts.Window)
	}
}

// TestWindowsModeNamedAndTitled: with USE_TMUX_WINDOWS each teammate's
// window in the person's session is named after it, its pane titled.
func TestWindowsModeNamedAndTitled(t *testing.T) {
	h := newHarness(t)
	p := h.personInTmux(120, 40)
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane, c.UseWindows = p.tmuxEnv, p.lead, true })
	for _, n := range []string{"w1", "w2"} {
		mem := h.spawn(m, n, "print up", "wait")
		got := h.mustTmux("display-message", "-p", "-t", mem.TmuxPaneID, "#{window_name} #{pane_title} #{pane-border-status}")
		if got != n+" "+n+" top" {
			t.Errorf("%s's window name, pane title, border = %q", n, got)
		}
		if ts := h.status(m, n); ts.Window != n+" ("+h.mustTmux("display-message", "-p", "-t", mem.TmuxPaneID, "#{window_id}")+")" {
			t.Errorf("%s's status window = %q", n, ts.Window)
		}
	}
	h.checkPlaced(p, []string{"w1", "w2"})
}

func TestLeadShareChecked(t *testing.T) {
	h := newHarness(t)
	for _, share := range []int{5, 91} {
		cfg := h.config()
		cfg.LeadShare = share
		if _, err := NewManager(cfg); err == nil || !strings.Contains(err.Error(), "LeadShare "+strconv.Itoa(share)) {
			t.Errorf("LeadShare %d: err = %v", share, err)
		}
	}
}

// TestSplitRestartAfterDeadPaneClosed: the person closes a crashed
// teammate's dead pane before its restart: the new pane joins the lead's
// window like a spawn, laid out, one pane for the teammate.
func TestSplitRestartAfterDeadPaneClosed(t *testing.T) {
	h := newHarness(t)
	p := h.personInTmux(160, 40)
	m := h.manager(func(c *Config) {
		c.TMUX, c.TMUXPane = p.tmuxEnv, p.lead
		c.Restarts.InitialBackoff, c.Restarts.Jitter = time.Second, -1
	})
	h.spawn(m, "w1", "print up", "wait")
	first := h.spawnPolicy(m, "w2", "on-failure", "print up", "wait")
	h.waitOutput(m, "w2", "up")
	h.ctl("w2", "exit 3")
	h.waitState(m, "w2", protocol.StateRestarting)
	h.mustTmux("kill-pane", "-t", first.TmuxPaneID)
	var ts protocol.TeammateStatus
	eventually(t, func() bool {
		ts = h.status(m, "w2")
		return ts.Restarts == 1 && ts.Alive
	}, "w2 restarted (last %+v)", &ts)
	h.waitOutput(m, "w2", "up")
	if !strings.Contains(ts.Window, p.leadWin) {
		t.Errorf("w2 restarted in %q, want the lead's window %s", ts.Window, p.leadWin)
	}
	h.checkPlaced(p, []string{"w1", "w2"})
}

// TestSplitManualRestartKeepsCell: restart_teammate of a crashed teammate
// beside the lead puts its new pane in its old cell (the dead pane keeps
// it until then); a force kill afterwards removes it and lays out the rest.
func TestSplitManualRestartKeepsCell(t *testing.T) {
	h := newHarness(t)
	p := h.personInTmux(160, 40)
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = p.tmuxEnv, p.lead })
	for _, n := range []string{"w1", "w2", "w3"} {
		h.spawn(m, n, "print up", "wait")
	}
	h.waitOutput(m, "w1", "up")
	before := h.status(m, "w1")
	cell := h.cellOf(before.PaneID)
	h.ctl("w1", "exit 3")
	h.waitState(m, "w1", protocol.StateCrashed)
	if got := h.cellOf(before.PaneID); got != cell {
		t.Errorf("dead pane moved from %s to %s", cell, got)
	}
	ts, err := m.Restart(ctxT(t), h.team, "w1", false)
	if err != nil {
		t.Fatal(err)
	}
	h.waitOutput(m, "w1", "up")
	if got := h.cellOf(ts.PaneID); got != cell || ts.PaneID == before.PaneID {
		t.Errorf("restarted as %s at %s, its cell was %s (%s)", ts.PaneID, got, cell, before.PaneID)
	}
	h.checkPlaced(p, []string{"w1", "w2", "w3"})
	if err := m.Stop(ctxT(t), h.team, "w2", protocol.StopKilled); err != nil {
		t.Fatal(err)
	}
	h.checkPlaced(p, []string{"w1", "w3"})
}
