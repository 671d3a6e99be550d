package tmuxcc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCommandDeadlineWhileServerStopped: with the tmux server stopped
// (SIGSTOP), capture-pane under a ctx without deadline fails after
// CommandTimeout instead of waiting as long as tmux is stopped; once the
// server continues, the connection answers again.
func TestCommandDeadlineWhileServerStopped(t *testing.T) {
	s := newTestServer(t)
	cfg := s.config(ModeCC)
	cfg.CommandTimeout = 300 * time.Millisecond
	c, err := Dial(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	out, err := c.Command(ctxT(t), "display-message", "-p", "#{pid}")
	if err != nil || len(out) != 1 {
		t.Fatalf("server pid: %v %v", out, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	cont := func() {
		if stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			stopped = false
		}
	}
	t.Cleanup(cont)
	done := make(chan error, 1)
	go func() {
		_, err := c.Command(context.Background(), "capture-pane", "-p", "-t", "main:")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrCommandTimeout) || !strings.Contains(err.Error(), "capture-pane") {
			t.Fatalf("capture while stopped: %v, want ErrCommandTimeout naming capture-pane", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("capture-pane still waiting for a stopped tmux after 60 s")
	}
	cont()
	if _, err := c.Command(ctxT(t), "display-message", "-p", "ok"); err != nil {
		t.Fatalf("after SIGCONT: %v", err)
	}
}
