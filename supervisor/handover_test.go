package supervisor

import (
	"net"
	"os"
	"runtime"
	"testing"

	"github.com/gofrs/flock"

	"github.com/f9449b24/claude-teams/protocol"
)

// TestLockOutlivesSocket: an owner gives up the team's lock only once its
// status socket is gone, whether the process closes or the team's loop ends
// by itself. Otherwise the next owner, which takes the lock at
// that instant, finds the old socket still answering (and serves none) or
// has its own socket file unlinked by the old listener's close.
func TestLockOutlivesSocket(t *testing.T) {
	h := newHarness(t)
	path := SocketPath(h.root, h.team, os.Getuid(), h.dir)
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
			lk := flock.New(LockPath(h.store, h.team))
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
