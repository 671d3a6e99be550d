package tmuxcc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// paneState is what tmux says about a pane.
type paneState struct {
	gone   bool // no such pane any more
	pid    int
	dead   bool
	status *int
	signal int
}

// statusWait bounds how long a death with an unknown status is re-queried
// (lost SIGCHLD) before PaneExited goes out with Status nil.
const statusWait = 5 * time.Second

// kickAfter is how long a missing status is awaited before tmux is made to
// reap its children (tmux normally has it ~2 ms after the exit); kickEvery
// repeats that while it is still missing.
const (
	kickAfter = 3 * time.Millisecond
	kickEvery = 50 * time.Millisecond
)

// resolve asks tmux about the pane after trigger t. It returns the event and
// true once the pane is known to be dead or gone; false for a false alarm
// (the pane is alive) or a lost connection.
func (pw *paneWatcher) resolve(w *paneWatch, t trigger) (PaneExited, bool) {
	c := pw.c
	exited := t.source == "pidfd" // the process is gone for sure
	ev := PaneExited{Pane: w.pane, PID: w.pid, DeadAt: t.at, Source: t.source}
	begin := time.Now()
	deadline := begin.Add(statusWait)
	kickAt := begin.Add(kickAfter)
	for {
		st, err := pw.query(w.pane)
		if err != nil {
			return ev, false // connection gone: nothing to report
		}
		switch {
		case st.gone:
			ev.Gone = true
			return ev, true
		case st.status != nil || st.signal != 0:
			ev.Status, ev.Signal, ev.SignalName = st.status, st.signal, exitSignalName(st.signal)
			return ev, true
		case !st.dead && !exited:
			return ev, false // alive
		case exited && w.pid > 0 && st.pid > 0 && st.pid != w.pid:
			return ev, true // the pane runs another process now; ours is unknowable
		}
		// Dead (or exited) with no status yet. Usually tmux catches up
		// within ~2 ms; with 3.3a's lost SIGCHLD it never does by itself
		// and the child stays a zombie. A background job makes tmux reap
		// every child; it prints nothing anywhere.
		now := time.Now()
		if now.After(deadline) {
			c.log.Warn("tmux pane exit status unknown", zap.String("pane", w.pane), zap.Int("pid", w.pid))
			return ev, true
		}
		if !now.Before(kickAt) {
			pw.reapKicks.Add(1)
			if _, err := c.Command(context.Background(), "run-shell", "-b", "true"); errors.Is(err, ErrClosed) {
				return ev, false
			}
			kickAt = now.Add(kickEvery)
		}
		wait := time.Millisecond // a query costs ~0.05 ms
		if now.Sub(begin) > 100*time.Millisecond {
			wait = 20 * time.Millisecond
		}
		select {
		case <-time.After(wait):
		case <-c.done:
			return ev, false
		}
	}
}

// paneFormat is the query for one pane's state.
const paneFormat = "#{pane_id} #{pane_pid} #{pane_dead} #{pane_dead_status} #{pane_dead_signal}"

// query reads the state of pane over the connection.
func (pw *paneWatcher) query(pane string) (paneState, error) {
	out, err := pw.c.Command(context.Background(), "display-message", "-p", "-t", pane, paneFormat)
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) {
			return paneState{gone: true}, nil // "can't find pane"
		}
		return paneState{}, err
	}
	if len(out) != 1 {
		return paneState{gone: true}, nil
	}
	return parsePaneState(pane, out[0]), nil
}

// parsePaneState parses a paneFormat line. A line about another pane (tmux
// 3.3a falls back to a default target for a missing pane) means gone.
func parsePaneState(pane, line string) paneState {
	f := strings.Split(line, " ")
	if len(f) != 5 || f[0] != pane {
		return paneState{gone: true}
	}
	st := paneState{dead: f[2] == "1"}
	st.pid, _ = strconv.Atoi(f[1])
	if f[3] != "" {
		if n, err := strconv.Atoi(f[3]); err == nil {
			st.status = &n
		}
	}
	if f[4] != "" {
		st.signal, _ = strconv.Atoi(f[4])
	}
	return st
}
