package supervisor

import (
	"net"
	"os"
	"runtime"
	"testing"

	"github.com/gofrs/flock"
)

// TestLockOutlivesSocket: an owner gives up the team's lock only once its
// status socket is gone, whether the process closes or the team's loop ends
// by itself. Otherwise the next owner, which takes the lock at
// that instant, finds the old socket still answering (and serves none) or
// has its own socket file unlinked by the old listener's close.
func TestLockOutlivesSocket(t *testing.T) {
	h := newHarness(t)
	path := SocketPath(h.team, os.Getuid(), h.dir)
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
