package supervisor

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// TestHungTmuxDoesNotStallLoop: the tmux server stops answering (stopped
// here with SIGSTOP; tmux 3.3a can hang for real, TMUX.md "Transport")
// while the owner loop sends it a command. The command gives up after
// Config.CommandTimeout and the loop goes on serving: a status call is
// answered, and once tmux runs again everything works.
func TestHungTmuxDoesNotStallLoop(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.CommandTimeout = 300 * time.Millisecond })
	h.spawn(m, "w1", "print up", "wait")
	h.waitOutput(m, "w1", "up")
	out, err := h.tmux("display-message", "-p", "#{pid}")
	if err != nil {
		t.Fatal(err)
	}
	server, _ := strconv.Atoi(strings.TrimSpace(out))
	if err := syscall.Kill(server, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(server, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)

	// A spawn makes the loop talk to the stopped server.
	spawned := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := m.Spawn(ctx, h.team, protocol.Member{Name: "w2", Prompt: "p", Cwd: h.dir, BackendType: "fake"}, "")
		spawned <- err
	}()
	if err := <-spawned; err == nil {
		t.Fatal("spawn succeeded on a stopped tmux server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := m.Status(ctx, h.team); err != nil {
		t.Fatalf("status while tmux is stopped: %v", err)
	}
	resume()
	h.spawn(m, "w3", "print w3", "wait")
	h.waitOutput(m, "w3", "w3")
	h.ctl("w1", "exit 4")
	h.waitState(m, "w1", protocol.StateCrashed)
}
