package tmuxcc

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// newWindow creates a detached window running argv with remain-on-exit set
// on the same line, and returns its pane id and pid. `set-option -w`
// without -t would hit the session's current window, not a new window made
// with -d: the window goes to the end (-a -t {end}) and is targeted there.
func newWindow(t testing.TB, c *Conn, env []string, argv ...string) (string, int) {
	pane, pid, _ := createWindow(t, c, 0, env, argv...)
	return pane, pid
}

// createWindow is newWindow that also keeps the pane's output from its
// first byte in a ring of limit bytes.
func createWindow(t testing.TB, c *Conn, limit int, env []string, argv ...string) (string, int, *PaneOutput) {
	t.Helper()
	end := c.SessionName() + ":{end}"
	args := []string{"new-window", "-d", "-a", "-t", end, "-P", "-F", "#{pane_id} #{pane_pid}"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(append(args, "--"), argv...)
	blocks, po, err := c.CreatePane(ctxT(t), limit, args, []string{"set-option", "-w", "-t", end, "remain-on-exit", "on"})
	if err != nil || po == nil {
		t.Fatalf("new-window: %v", err)
	}
	f := strings.Fields(blocks[0][0])
	pid, _ := strconv.Atoi(f[1])
	if po.Pane() != f[0] {
		t.Fatalf("ring for %s, pane %s", po.Pane(), f[0])
	}
	return f[0], pid, po
}

// waitExit waits for the PaneExited of pane.
func waitExit(t testing.TB, c *Conn, pane string) PaneExited {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed: %v", c.Err())
			}
			if e, ok := ev.(PaneExited); ok && e.Pane == pane {
				return e
			}
		case <-timeout:
			t.Fatalf("no PaneExited for %s", pane)
		}
	}
}

func TestPaneExitStatus(t *testing.T) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			s := newTestServer(t)
			c := s.dial(m)
			cases := []struct {
				script string
				status int // -1: signal
				signal int
			}{
				{"exit 0", 0, 0},
				{"exit 3", 3, 0},
				{"sleep 0.2; kill -KILL $$", -1, 9},
				{"sleep 0.2; kill -TERM $$", -1, 15},
				{"sleep 0.3; exit 42", 42, 0},
			}
			for _, tc := range cases {
				pane, pid := newWindow(t, c, nil, "sh", "-c", tc.script)
				if err := c.WatchPane(pane, pid); err != nil {
					t.Fatal(err)
				}
				e := waitExit(t, c, pane)
				if tc.status >= 0 && (e.Status == nil || *e.Status != tc.status || e.Signal != 0) ||
					tc.status < 0 && (e.Status != nil || e.Signal != tc.signal || e.SignalName == "") {
					t.Errorf("%s: %+v (status %v)", tc.script, e, fmtStatus(e.Status))
				}
				if e.PID != pid || e.Gone {
					t.Errorf("%s: %+v", tc.script, e)
				}
				t.Logf("%s: source %s status %s signal %d %s", tc.script, e.Source, fmtStatus(e.Status), e.Signal, e.SignalName)
			}
		})
	}
}

func fmtStatus(s *int) string {
	if s == nil {
		return "nil"
	}
	return strconv.Itoa(*s)
}

// TestPaneManyQuickExits: dozens of processes exiting at once (tmux 3.3a
// loses SIGCHLDs here) all get an event with their status.
func TestPaneManyQuickExits(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeCC)
	const n = 40
	want := map[string]int{}
	for i := 0; i < n; i++ {
		pane, pid := newWindow(t, c, nil, "sh", "-c", "exit "+strconv.Itoa(i%5))
		want[pane] = i % 5
		if err := c.WatchPane(pane, pid); err != nil {
			t.Fatal(err)
		}
	}
	sources := map[string]int{}
	timeout := time.After(60 * time.Second)
	for len(want) > 0 {
		select {
		case ev := <-c.Events():
			e, ok := ev.(PaneExited)
			if !ok {
				continue
			}
			st, ok := want[e.Pane]
			if !ok {
				t.Fatalf("unexpected or duplicate event %+v", e)
			}
			delete(want, e.Pane)
			if e.Status == nil || *e.Status != st {
				t.Errorf("%s: status %s, want %d", e.Pane, fmtStatus(e.Status), st)
			}
			sources[e.Source]++
		case <-timeout:
			t.Fatalf("%d panes without an event", len(want))
		}
	}
	t.Logf("sources: %v; run-shell reaps: %d", sources, c.panes.reapKicks.Load())
}

// TestPaneGone: a pane that disappears (remain-on-exit off, killed) is
// reported once with Gone set.
func TestPaneGone(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	pane, pid := newWindow(t, c, nil, "sleep", "60")
	if err := c.WatchPane(pane, pid); err != nil {
		t.Fatal(err)
	}
	if err := c.WatchPane(pane, pid); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := c.Command(ctxT(t), "kill-pane", "-t", pane); err != nil {
		t.Fatal(err)
	}
	e := waitExit(t, c, pane)
	if !e.Gone && e.Signal == 0 {
		t.Fatalf("%+v", e)
	}
	t.Logf("killed pane: %+v", e)
	// No second event for the same pane.
	pane2, pid2 := newWindow(t, c, nil, "sh", "-c", "exit 7")
	c.WatchPane(pane2, pid2)
	e2 := waitExit(t, c, pane2)
	if e2.Status == nil || *e2.Status != 7 {
		t.Fatalf("%+v", e2)
	}
	if err := c.WatchPane("bogus", 1); err == nil {
		t.Fatal("bad pane id accepted")
	}
}

// TestPaneWatchWithoutPidfd: with no pid (a remote server, another pid
// namespace) the subscription still reports the exit and its status.
func TestPaneWatchWithoutPidfd(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeCC)
	pane, _ := newWindow(t, c, nil, "sh", "-c", "sleep 0.5; exit 5")
	if err := c.WatchPane(pane, 0); err != nil {
		t.Fatal(err)
	}
	e := waitExit(t, c, pane)
	if e.Status == nil || *e.Status != 5 || e.Source != "subscription" {
		t.Fatalf("%+v status %s", e, fmtStatus(e.Status))
	}
}

// TestPaneWatchDeadPaneReusedPid: a pane that died before WatchPane, whose
// pid now belongs to another live child of the tmux server (pid reuse, as
// when a supervisor re-adopts panes recorded earlier), is still reported:
// the live pidfd must not stand in for a look at the pane itself. Pane B's
// pid plays the reused pid.
func TestPaneWatchDeadPaneReusedPid(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	other, otherPID := newWindow(t, c, nil, "sleep", "60")
	if err := c.WatchPane(other, otherPID); err != nil { // the %* subscription exists from here
		t.Fatal(err)
	}
	// A probe subscription shares the 1 s timer of ours: once it has
	// reported the dead pane, ours has too (and found no watch for it).
	if _, err := c.Command(ctxT(t), "refresh-client", "-B", "probe:%*:#{pane_dead}"); err != nil {
		t.Fatal(err)
	}
	dead, _ := newWindow(t, c, nil, "sh", "-c", "exit 3")
	timeout := time.After(30 * time.Second)
	for reported := false; !reported; {
		select {
		case ev := <-c.Events():
			e, ok := ev.(SubscriptionChanged)
			reported = ok && e.Name == "probe" && e.Pane == dead && e.Value == "1"
		case <-timeout:
			t.Fatal("no subscription report of the dead pane")
		}
	}
	if _, err := c.Command(ctxT(t), "display-message", "-p", "x"); err != nil { // the rest of that tick is read
		t.Fatal(err)
	}
	_, livePID := newWindow(t, c, nil, "sleep", "60")
	if err := c.WatchPane(dead, livePID); err != nil {
		t.Fatal(err)
	}
	e := waitExit(t, c, dead)
	if e.Status == nil || *e.Status != 3 {
		t.Fatalf("%+v status %s", e, fmtStatus(e.Status))
	}
}
