//go:build linux

package supervisor

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/supervisor/proctree"
)

// TestStopKillsProcessFamily: stopping a teammate also ends the processes
// it started that ignore SIGTERM and SIGHUP, both one in its process group
// and a daemon that left its session (setsid), like the
// `codex app-server --managed-daemon` a codex teammate leaves behind.
func TestStopKillsProcessFamily(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.StopGrace = 300 * time.Millisecond })
	group := filepath.Join(h.dir, "group.pid")
	daemon := filepath.Join(h.dir, "daemon.pid")
	h.spawn(m, "w1",
		"child ignore-term,pidfile "+group+",hang",
		"child ignore-term,setsid,pidfile "+daemon+",hang",
		"print ready", "wait")
	pids := map[string]int{}
	eventually(t, func() bool {
		for _, f := range []string{group, daemon} {
			b, err := os.ReadFile(f)
			if err != nil || len(b) == 0 {
				return false
			}
			pids[f], _ = strconv.Atoi(string(b))
		}
		return true
	}, "children's pid files")
	if p, ok := proctree.Read(pids[daemon]); !ok || p.SID != pids[daemon] {
		t.Fatalf("daemon did not leave the session: %+v", p)
	}
	if err := m.Stop(ctxT(t), h.team, "w1", "killed"); err != nil {
		t.Fatal(err)
	}
	for f, pid := range pids {
		if !processGone(pid) {
			t.Errorf("%s: process %d still running after Stop", filepath.Base(f), pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
