package supervisor

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// TestLockOutlivesSocket: an owner gives up the team's lock only once its
// status socket is gone, whether the process closes or the team's loop ends
// by itself. Otherwise the next owner, which takes the lock at
// that instant, finds the old socket still answering (and serves none) or
// has its own socket file unlinked by the old listener's close.
func TestLockOutlivesSocket(t *testing.T) {
	h := newHarness(t)
	path := statussock.SocketPath(h.root, h.team, os.Getuid(), h.dir)
	for round := 0; round < 5; round++ {
		m := h.manager()
		if own, err := m.Supervise(ctxT(t), h.team); err != nil || !own {
			t.Fatalf("round %d: supervise: owner=%v err=%v", round, own, err)
		}
		eventually(t, func() bool {
			c, err := net.Dial("unix", path)
			if err == nil {
				c.Close()
			}
			return err == nil
		}, "the status socket to answer")
		answered := make(chan bool, 1)
		go func() {
			lk := flock.New(statefile.LockPath(h.store, h.team))
			for {
				if ok, err := lk.TryLock(); err == nil && ok {
					c, err := net.Dial("unix", path)
					if err == nil {
						c.Close()
					}
					_ = lk.Unlock()
					answered <- err == nil
					return
				}
				runtime.Gosched()
			}
		}()
		end := m.Close
		if round%2 == 0 {
			// The loop ends by itself (team_delete), not with the process.
			end = func() error { return m.Teardown(ctxT(t), h.team) }
		}
		if err := end(); err != nil {
			t.Fatal(err)
		}
		if <-answered {
			t.Fatalf("round %d: the lock was free while the old owner's socket still answered", round)
		}
	}
}

// TestSocketPerDataRoot: two data roots ($CLAUDE_CONFIG_DIR) with a team of
// the same name are two teams: each owner serves its own socket, and a
// process of either root reaches its own team's owner.
func TestSocketPerDataRoot(t *testing.T) {
	h := newHarness(t)
	other := protocol.NewStore(t.TempDir())
	if _, err := other.CreateTeam(h.team, "same name, other root", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	for _, store := range []*protocol.Store{h.store, other} {
		m := h.manager(func(c *Config) { c.Store = store })
		if own, err := m.Supervise(ctxT(t), h.team); err != nil || !own {
			t.Fatalf("supervise %s: owner=%v err=%v", store.Root(), own, err)
		}
	}
	for _, store := range []*protocol.Store{h.store, other} {
		fwd := h.manager(func(c *Config) { c.Store = store })
		var st protocol.TeamStatus
		var last string
		eventually(t, func() bool {
			var err error
			st, err = fwd.Status(ctxT(t), h.team)
			if err != nil {
				last = err.Error()
			}
			return err == nil
		}, "a forwarded status in %s (last error: %s)", store.Root(), &last)
		if !st.Supervised {
			t.Errorf("%s: status = %+v", store.Root(), st)
		}
		if fwd.ownedTeam(h.team) != nil {
			t.Errorf("%s: the forwarding manager became an owner", store.Root())
		}
	}
}

// TestTwoRootsOneServer: teams of the same name in two data roots use the
// same private tmux server. Their supervisors' control clients are tagged
// apart: neither kills the other's as a stale client of its own.
func TestTwoRootsOneServer(t *testing.T) {
	h := newHarness(t)
	other := protocol.NewStore(t.TempDir())
	if _, err := other.CreateTeam(h.team, "same name, other root", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	helper := h.startHelper(map[string][]string{"w1": {"print a", "wait"}}, "") // another process
	if l := helper.expect(t, "owner="); l != "owner=true" {
		t.Fatalf("helper: %s", l)
	}
	helper.expect(t, "ready")
	out, err := h.tmux("list-clients", "-F", "#{client_pid}")
	if err != nil {
		t.Fatal(err)
	}
	pidA, _ := strconv.Atoi(strings.TrimSpace(out))
	mB := h.manager(func(c *Config) { c.Store = other })
	if _, err := mB.Spawn(ctxT(t), h.team, protocol.Member{Name: "w2", Prompt: "p", Cwd: h.dir, BackendType: "fake"}, ""); err != nil {
		t.Fatal(err)
	}
	pidB := mB.ownedTeam(h.team).connClientPID(t)
	out, err = h.tmux("list-clients", "-F", "#{client_pid}")
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{pidA, pidB} {
		if !strings.Contains(out, strconv.Itoa(pid)+"\n") {
			t.Errorf("control client %d gone; clients:\n%s", pid, out)
		}
	}
	// Deleting the other root's team leaves ours alone (same agent-id
	// suffix, same session name on the private server).
	if err := mB.Teardown(ctxT(t), h.team); err != nil {
		t.Fatal(err)
	}
	out, _ = h.tmux("list-panes", "-a", "-F", "#{pane_dead} #{"+tmuxconv.PaneAgentOption+"}")
	if !strings.Contains(out, "0 w1@alpha") || strings.Contains(out, "w2@alpha") {
		t.Errorf("panes after the other root's teardown:\n%s", out)
	}
}
