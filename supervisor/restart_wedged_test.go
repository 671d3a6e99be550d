package supervisor

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// TestRestartWithTmuxWedged: a restart that cannot start its new pane
// (the tmux server stopped with SIGSTOP past the command deadline) leaves
// the teammate crashed with its retry pending, keeping the real last exit
// (status 3), and says why the restart failed; once tmux runs again the
// retry starts it, and in split mode it takes its old cell (issue 10, item
// 9; issue 11, item 4).
func TestRestartWithTmuxWedged(t *testing.T) {
	for _, c := range []struct {
		mode   string
		giveUp bool // MaxFailures 2: the crash and the failed start make it failed
	}{{"private", false}, {"split", false}, {"private", true}} {
		mode := c.mode
		t.Run(mode+map[bool]string{true: "-gives-up"}[c.giveUp], func(t *testing.T) {
			h := newHarness(t)
			var p person
			mod := []func(*Config){func(c *Config) {
				c.CommandTimeout = time.Second
				c.Restarts = policy.RestartConfig{InitialBackoff: time.Second, MinRun: 100 * time.Millisecond, StartGap: -1, Jitter: -1}
			}}
			if c.giveUp {
				mod = append(mod, func(cfg *Config) { cfg.Restarts.MaxFailures = 2 })
			}
			if mode == "split" {
				p = h.personInTmux(160, 40)
				mod = append(mod, func(c *Config) { c.TMUX, c.TMUXPane = p.tmuxEnv, p.lead })
			}
			m := h.manager(mod...)
			h.spawnPolicy(m, "w1", "on-failure", "print up", "wait")
			h.waitOutput(m, "w1", "up")
			first := h.status(m, "w1")
			var cell string
			if mode == "split" {
				cell = h.cellOf(first.PaneID)
			}
			pid, err := strconv.Atoi(h.mustTmux("display-message", "-p", "#{pid}"))
			if err != nil {
				t.Fatal(err)
			}
			h.ctl("w1", "exit 3")
			h.waitState(m, "w1", protocol.StateRestarting)
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			// Past the restart (1 s) and its command deadline (1 s).
			time.Sleep(3 * time.Second)
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			var ts protocol.TeammateStatus
			eventually(t, func() bool {
				ts = h.status(m, "w1")
				return ts.RestartError != "" || ts.Restarts > 0
			}, "the wedged restart to fail (last %+v)", &ts)
			if ts.Restarts > 0 {
				t.Fatalf("the restart did not wait for tmux: %+v", ts)
			}
			if c.giveUp {
				// The lead hears the real last exit and why the restart failed.
				if ts.State != protocol.StateFailed || ts.ExitStatus == nil || *ts.ExitStatus != 3 {
					t.Errorf("after giving up: %+v", ts)
				}
				var text string
				eventually(t, func() bool {
					for _, msg := range h.leadMessages("w1") {
						if strings.Contains(msg.Summary, "failed") {
							text = msg.Summary + "\n" + msg.Text
							return true
						}
					}
					return false
				}, "the lead to hear w1 failed")
				if !strings.Contains(text, "last exit 3") || !strings.Contains(text, "exit status: 3") || !strings.Contains(text, "restart failed: ") {
					t.Errorf("lead message:\n%s", text)
				}
				return
			}
			if ts.State != protocol.StateRestarting || ts.NextRestartAt == "" || ts.ExitStatus == nil || *ts.ExitStatus != 3 ||
				!strings.Contains(ts.RestartError, "deadline") {
				t.Errorf("after the failed restart: %+v", ts)
			}
			eventually(t, func() bool {
				ts = h.status(m, "w1")
				return ts.Restarts == 1 && ts.Alive
			}, "the retry to start w1 (last %+v)", &ts)
			h.waitOutput(m, "w1", "up")
			if ts.RestartError != "" {
				t.Errorf("restart error kept after a good restart: %q", ts.RestartError)
			}
			ids := map[string]bool{}
			for _, r := range h.panesOf("-a") {
				if r.agent == "w1@"+h.team {
					ids[r.id] = true
				}
			}
			if len(ids) != 1 || !ids[ts.PaneID] {
				t.Errorf("panes of w1: %v, status says %s", ids, ts.PaneID)
			}
			if mode == "split" {
				if got := h.cellOf(ts.PaneID); got != cell {
					t.Errorf("restarted at %s, its cell was %s", got, cell)
				}
				h.checkPlaced(p, []string{"w1"})
			}
		})
	}
}
