package supervisor

import (
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// leadInTmux starts a "person's" session on the test server, as if the lead
// ran inside tmux, and returns the $TMUX and $TMUX_PANE it would see.
func (h *harness) leadInTmux() (tmuxEnv, leadPane string) {
	h.t.Helper()
	if _, err := h.tmux("new-session", "-d", "-s", "lead", "-x", "160", "-y", "40", "cat"); err != nil {
		h.t.Fatal(err)
	}
	out, err := h.tmux("display-message", "-p", "-t", "=lead:", "#{socket_path} #{pane_id}")
	if err != nil {
		h.t.Fatal(err)
	}
	f := strings.Fields(out)
	return f[0] + ",1,0", f[1]
}

func TestTopologyInsideTmux(t *testing.T) {
	for _, windows := range []bool{false, true} {
		name := "split"
		if windows {
			name = "windows"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			tmuxEnv, lead := h.leadInTmux()
			m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane, c.UseWindows = tmuxEnv, lead, windows })
			mem := h.spawn(m, "w1", "print inside tmux", "wait")
			h.waitOutput(m, "w1", "inside tmux") // %output arrives: the window is in our session

			where, err := h.tmux("display-message", "-p", "-t", mem.TmuxPaneID, "#{session_name} #{window_id}")
			if err != nil {
				t.Fatal(err)
			}
			leadWin, _ := h.tmux("display-message", "-p", "-t", lead, "#{window_id}")
			sameWindow := strings.Fields(where)[1] == strings.TrimSpace(leadWin)
			if sameWindow == windows {
				t.Errorf("teammate pane at %q, lead window %q", where, leadWin)
			}
			sessions, _ := h.tmux("list-windows", "-a", "-F", "#{session_name} #{window_id}")
			tw := strings.Fields(where)[1]
			if !strings.Contains(sessions, "lead "+tw) || !strings.Contains(sessions, "claude-teams-alpha "+tw) {
				t.Errorf("teammate window %s not in both the lead's and our session:\n%s", tw, sessions)
			}
			// The lead's own pane keeps its remain-on-exit.
			if out, _ := h.tmux("show-options", "-w", "-v", "-t", lead, "remain-on-exit"); strings.TrimSpace(out) != "" {
				t.Errorf("lead window remain-on-exit left at %q", out)
			}
			h.ctl("w1", "exit 6")
			ts := h.waitState(m, "w1", protocol.StateCrashed)
			if ts.ExitStatus == nil || *ts.ExitStatus != 6 {
				t.Errorf("status = %+v", ts)
			}
			// An automatic restart puts the new pane where a spawn would,
			// and removes the dead one.
			w2 := h.spawnPolicy(m, "w2", "on-failure", "print w2 up", "wait")
			h.waitOutput(m, "w2", "w2 up")
			h.ctl("w2", "exit 1")
			var ts2 protocol.TeammateStatus
			eventually(t, func() bool {
				ts2 = h.status(m, "w2")
				return ts2.Restarts == 1 && ts2.Alive
			}, "w2 restarted (last %+v)", &ts2)
			h.waitOutput(m, "w2", "w2 up")
			if panes := h.agentPanes(); strings.Contains(panes, w2.TmuxPaneID+" ") || !strings.Contains(panes, ts2.PaneID+" w2@") {
				t.Errorf("panes after the restart of %s -> %s:\n%s", w2.TmuxPaneID, ts2.PaneID, panes)
			}
			where2, _ := h.tmux("display-message", "-p", "-t", ts2.PaneID, "#{window_id}")
			if same := strings.TrimSpace(where2) == strings.TrimSpace(leadWin); same == windows {
				t.Errorf("restarted pane in window %q, lead window %q", where2, leadWin)
			}
			if err := m.Teardown(ctxT(t), h.team); err != nil {
				t.Fatal(err)
			}
			if left := h.agentPanes(); left != "" {
				t.Errorf("panes left:\n%s", left)
			}
			if _, err := h.tmux("has-session", "-t", "=claude-teams-alpha"); err == nil {
				t.Error("our session left after teardown")
			}
			if out, err := h.tmux("display-message", "-p", "-t", lead, "#{pane_dead}"); err != nil || strings.TrimSpace(out) != "0" {
				t.Errorf("the lead's pane was harmed: %q %v", out, err)
			}
		})
	}
}

func TestSpawnArgs(t *testing.T) {
	a, err := spawnArgs(backends.Launch{Argv: []string{"/bin/agent"}, Env: []string{"A=1"}, Dir: "/x#y"})
	if err != nil {
		t.Fatal(err)
	}
	want := "-P -F #{pane_id} #{window_id} #{pane_pid} #{pane_start_path} -c /x##y -e A=1 -- env -- /bin/agent"
	if got := strings.Join(a, " "); got != want {
		t.Errorf("args = %q, want %q", got, want)
	}
	for _, bad := range []backends.Launch{
		{Argv: nil, Dir: "/"},
		{Argv: []string{"a"}, Dir: "rel"},
		{Argv: []string{"a", "b"}, Env: []string{"NOEQ"}, Dir: "/"},
		{Argv: []string{"A=b"}, Dir: "/"},
	} {
		if _, err := spawnArgs(bad); err == nil {
			t.Errorf("spawnArgs(%+v) accepted", bad)
		}
	}
}

// TestSplitHistoryLimit: in the lead's window a teammate's pane still gets
// our history-limit (set on our own session, which the split targets), and
// the person's session keeps its own.
func TestSplitHistoryLimit(t *testing.T) {
	h := newHarness(t)
	tmuxEnv, lead := h.leadInTmux()
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane, c.HistoryLimit = tmuxEnv, lead, 4321 })
	mem := h.spawn(m, "w1", "print split", "wait")
	h.waitOutput(m, "w1", "split")
	got, err := h.tmux("display-message", "-p", "-t", mem.TmuxPaneID, "#{history_limit} #{window_id}")
	if err != nil {
		t.Fatal(err)
	}
	leadWin, _ := h.tmux("display-message", "-p", "-t", lead, "#{window_id}")
	if f := strings.Fields(got); len(f) != 2 || f[0] != "4321" || f[1] != strings.TrimSpace(leadWin) {
		t.Errorf("teammate pane: history-limit and window %q, want 4321 in %s", got, leadWin)
	}
	if out, _ := h.tmux("show-options", "-v", "-t", "=lead:", "history-limit"); strings.TrimSpace(out) != "" {
		t.Errorf("the person's session got history-limit %q", out)
	}
}

// TestPlaceholderNamed: the window that keeps our own session alive in the
// person's server says what it is (tmux ls, choose-tree).
func TestPlaceholderNamed(t *testing.T) {
	h := newHarness(t)
	tmuxEnv, lead := h.leadInTmux()
	m := h.manager(func(c *Config) { c.TMUX, c.TMUXPane = tmuxEnv, lead })
	h.spawn(m, "w1", "print up", "wait")
	out, err := h.tmux("list-windows", "-t", "=claude-teams-alpha", "-F", "#{window_name} #{window_linked}")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, placeholderName+" 0\n") || strings.Count(out, "\n") != 2 {
		t.Errorf("our session's windows:\n%s", out)
	}
	// It runs the inert placeholder, not the person's shell.
	out, err = h.tmux("list-panes", "-t", "=claude-teams-alpha:"+placeholderName, "-F", "#{pane_start_command}")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "sleep") {
		t.Errorf("placeholder runs %q", out)
	}
}

func TestEscapeDir(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/plain", "/plain"},
		{"/x#y", "/x##y"},
		{"/x#[y]", "/x#[y]"},   // tmux copies "#[" as it is
		{"/x##[y]", "/x##[y]"}, // and every run of '#' before '['
		{"/a#{b}", "/a##{b}"},
		{"/e#", "/e##"},
		{"/f##g#[h", "/f####g#[h"},
	} {
		if got := escapeDir(c.in); got != c.want {
			t.Errorf("escapeDir(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if err := checkDirText("/a\nb"); err == nil {
		t.Error("a newline in a working directory was accepted")
	}
	if err := checkStartPath(paneInfo{startPath: "/srv/x##[y]"}, "/srv/x#[y]"); err == nil {
		t.Error("a pane started elsewhere was accepted")
	}
}
