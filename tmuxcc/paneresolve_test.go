package tmuxcc

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestPaneQueryNoSuchPane: tmux's own message for a pane id that names no
// pane is what query takes as proof that the pane is gone; a live pane is
// never gone.
func TestPaneQueryNoSuchPane(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	pane, _ := newWindow(t, c, nil, "sleep", "60")
	if st, err := c.panes.query(pane); err != nil || st.gone || st.dead || st.pid <= 0 {
		t.Fatalf("live pane: %+v %v", st, err)
	}
	if _, err := c.Command(ctxT(t), "kill-pane", "-t", pane); err != nil {
		t.Fatal(err)
	}
	_, err := c.Command(ctxT(t), "list-panes", "-t", pane, "-F", paneFormat)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Message != noSuchPane(pane) {
		t.Fatalf("list-panes of a killed pane: %v", err)
	}
	if st, err := c.panes.query(pane); err != nil || !st.gone {
		t.Fatalf("killed pane: %+v %v", st, err)
	}
}

// TestPaneQueryFaultsNeverGone: errors and replies that prove nothing (another
// tmux error, a timeout, an odd or empty reply) must not report a live pane
// as exited; the watch keeps asking and reports the real exit later.
func TestPaneQueryFaultsNeverGone(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	pane, pid := newWindow(t, c, nil, "sleep", "60")
	faults := []func(args []string) ([]string, error){
		func(args []string) ([]string, error) {
			return nil, &CommandError{Args: args, Message: "server busy"}
		},
		func([]string) ([]string, error) { return []string{"x", "y"}, nil },
		func([]string) ([]string, error) { return nil, context.DeadlineExceeded },
		func([]string) ([]string, error) { return []string{""}, nil }, // 3.3a display-message for a missing pane
		func([]string) ([]string, error) { return nil, nil },
	}
	var calls atomic.Int64
	c.panes.cmd = func(ctx context.Context, args ...string) ([]string, error) {
		if i := calls.Add(1) - 1; int(i) < len(faults) {
			return faults[i](args)
		}
		return c.Command(ctx, args...)
	}
	if err := c.WatchPane(pane, pid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every fault served and a real query made", func() bool { return calls.Load() > int64(len(faults)) })
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	e := waitExit(t, c, pane)
	if e.Gone || e.Signal != int(syscall.SIGTERM) {
		t.Fatalf("want the real exit (SIGTERM), got %+v", e)
	}
}
