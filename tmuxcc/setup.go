package tmuxcc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"go.uber.org/zap"
)

// tagEnv is the environment variable that marks our control clients.
const tagEnv = "TMUXCC_TAG"

// setup runs once after attach: client flags, server pid, our tag out of
// the server's environment, stale clients.
func (c *Conn) setup(ctx context.Context) error {
	// ignore-size: our client never counts when tmux sizes windows (it has
	// no size anyway, as long as nobody sends refresh-client -C).
	flags := "ignore-size"
	if c.cfg.PauseAfter > 0 {
		flags += ",pause-after=" + strconv.Itoa(c.cfg.PauseAfter)
	}
	if _, err := c.Command(ctx, "refresh-client", "-f", flags); err != nil {
		var ce *CommandError
		if !errors.As(err, &ce) {
			return fmt.Errorf("set client flags %s: %w", flags, err)
		}
		c.log.Warn("tmux client flags refused", zap.String("flags", flags), zap.Error(err)) // tmux < 3.2
	}
	out, err := c.Command(ctx, "display-message", "-p", "#{pid} #{socket_path}")
	if err != nil {
		return fmt.Errorf("query server pid: %w", err)
	}
	if len(out) == 1 {
		pid, path, _ := strings.Cut(strings.TrimSpace(out[0]), " ")
		c.panes.serverPID, _ = strconv.Atoi(pid)
		c.serverSocket = path
	}
	if c.cfg.Tag != "" {
		// A server our client started copied the client's environment,
		// tag included, into its global environment, from which every
		// new pane would inherit it: a control client run from such a
		// pane would look like a stale one of ours. (Panes created before
		// this keep it; the first window of a session Dial created gets it
		// set to empty, see clientArgs.)
		if _, err := c.Command(ctx, "set-environment", "-g", "-u", tagEnv); err != nil {
			var ce *CommandError
			if !errors.As(err, &ce) {
				return fmt.Errorf("unset %s: %w", tagEnv, err)
			}
		}
		if err := c.killStale(ctx); err != nil {
			return err
		}
	}
	return nil
}

// killStale kills control clients of the server that carry our tag and are
// neither our own client nor a child of this process.
func (c *Conn) killStale(ctx context.Context) error {
	out, err := c.Command(ctx, "list-clients", "-F", "#{client_pid} #{client_control_mode}")
	if err != nil {
		return fmt.Errorf("list clients: %w", err)
	}
	for _, l := range out {
		f := strings.Fields(l)
		if len(f) != 2 || f[1] != "1" {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil || pid == c.ClientPID() || pid <= 1 {
			continue
		}
		if !hasTag(pid, c.cfg.Tag) || parentPID(pid) == os.Getpid() {
			continue
		}
		c.log.Warn("killing stale tmux control client", zap.Int("pid", pid))
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			c.log.Warn("kill stale tmux control client", zap.Int("pid", pid), zap.Error(err))
		}
	}
	return nil
}

// hasTag reports whether process pid carries TMUXCC_TAG=tag. Processes of
// other users cannot be read and never match.
func hasTag(pid int, tag string) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	want := []byte(tagEnv + "=" + tag)
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}

// parentPID returns the parent of pid from /proc, or -1.
func parentPID(pid int) int {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(st, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(st[i+1:]))
	if len(f) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return ppid
}

// WatchOutput starts keeping the output of pane ("%N") in a ring of limit
// bytes (DefaultOutputLimit when limit <= 0) and returns it. It is
// idempotent: a pane already watched returns its existing buffer. Output
// that arrived before the call is not in it.
func (c *Conn) WatchOutput(pane string, limit int) *PaneOutput {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if po := c.outs[pane]; po != nil {
		return po
	}
	po := newPaneOutput(pane, limit)
	c.outs[pane] = po
	return po
}

// UnwatchOutput stops keeping the output of pane.
func (c *Conn) UnwatchOutput(pane string) {
	c.outMu.Lock()
	delete(c.outs, pane)
	c.outMu.Unlock()
}
