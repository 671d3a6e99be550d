package tmuxcc

import (
	"context"
	"errors"
	"fmt"
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
// (the pane is alive), an ended watch or an ended connection. An uncertain
// answer from tmux is asked again (with a growing pause, at most 1 s) for
// as long as the watch and the connection last.
func (pw *paneWatcher) resolve(w *paneWatch, t trigger) (PaneExited, bool) {
	c := pw.c
	exited := t.source == "pidfd" // the process is gone for sure
	ev := PaneExited{Pane: w.pane, PID: w.pid, DeadAt: t.at, Source: t.source}
	begin := time.Now()
	deadline := begin.Add(statusWait)
	kickAt := begin.Add(kickAfter)
	unsure := 0
	for {
		st, err := pw.query(w.pane)
		if errors.Is(err, errPaneUnsure) {
			// tmux said nothing certain: ask again, never guess "gone".
			unsure++
			c.log.Warn("tmux pane state unknown; asking again", zap.String("pane", w.pane), zap.Error(err))
			if !pw.sleep(w, min(time.Duration(unsure)*100*time.Millisecond, time.Second)) {
				return ev, false
			}
			continue
		}
		if err != nil {
			return ev, false // connection ended: see Conn's lifecycle
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
		if !pw.sleep(w, wait) {
			return ev, false
		}
	}
}

// sleep waits for d; false if the watch stopped or the connection ended.
func (pw *paneWatcher) sleep(w *paneWatch, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.stop:
		return false
	case <-pw.c.done:
		return false
	}
}

// paneFormat is the query for one pane's state.
const paneFormat = "#{pane_id} #{pane_pid} #{pane_dead} #{pane_dead_status} #{pane_dead_signal}"

// errPaneUnsure is returned by query when tmux answered but said nothing
// certain about the pane (an unexpected error or reply): the caller asks
// again later and never reports the pane gone on its strength.
var errPaneUnsure = errors.New("tmuxcc: pane state unknown")

// queryTimeout bounds one query; a query that times out is retried.
const queryTimeout = 30 * time.Second

// noSuchPane is tmux's message for a pane id that names no pane (3.3a
// cmd-find.c, also in 3.4 and 3.5): "can't find pane: %N".
func noSuchPane(pane string) string { return "can't find pane: " + pane }

// command runs a query command (a seam for tests).
func (pw *paneWatcher) command(args ...string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	if pw.cmd != nil {
		return pw.cmd(ctx, args...)
	}
	return pw.c.Command(ctx, args...)
}

// query reads the state of pane over the connection. A pane is reported
// gone only on positive evidence: tmux's own "can't find pane: %N" for it,
// or its absence from a successful, well-formed list-panes -a. Any other
// failure is errPaneUnsure or, once the connection has ended, an error
// wrapping ErrClosed — never "gone": a live pane must not look exited.
func (pw *paneWatcher) query(pane string) (paneState, error) {
	// list-panes -t %N lists the window of %N and fails with tmux's
	// "can't find pane" when there is no such pane (display-message
	// -t %N would succeed with empty formats instead).
	out, err := pw.command("list-panes", "-t", pane, "-F", paneFormat)
	if err == nil {
		for _, l := range out {
			if st, ok := parsePaneState(pane, l); ok {
				return st, nil
			}
		}
		return pw.confirmGone(pane, fmt.Errorf("pane %s missing from its window listing", pane))
	}
	if errors.Is(err, ErrClosed) {
		return paneState{}, err
	}
	var ce *CommandError
	if errors.As(err, &ce) && ce.Message == noSuchPane(pane) {
		return paneState{gone: true}, nil
	}
	return pw.confirmGone(pane, err)
}

// confirmGone settles an unexpected answer about pane with list-panes -a:
// gone if the pane is absent from a successful listing whose every line is a
// pane id, else errPaneUnsure (wrapping why) or the connection's end.
func (pw *paneWatcher) confirmGone(pane string, why error) (paneState, error) {
	out, err := pw.command("list-panes", "-a", "-F", "#{pane_id}")
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return paneState{}, err
		}
		return paneState{}, fmt.Errorf("%w: %w; list-panes -a: %w", errPaneUnsure, why, err)
	}
	for _, l := range out {
		if !validPaneID(l) {
			return paneState{}, fmt.Errorf("%w: %w; list-panes -a printed %q", errPaneUnsure, why, l)
		}
		if l == pane {
			return paneState{}, fmt.Errorf("%w: %w; pane still listed", errPaneUnsure, why)
		}
	}
	if len(out) == 0 { // our session always has a pane while we are attached
		return paneState{}, fmt.Errorf("%w: %w; list-panes -a printed nothing", errPaneUnsure, why)
	}
	return paneState{gone: true}, nil
}

// parsePaneState parses a paneFormat line; ok is false for a line that is
// not about pane or is malformed.
func parsePaneState(pane, line string) (paneState, bool) {
	f := strings.Split(line, " ")
	if len(f) != 5 || f[0] != pane || (f[2] != "0" && f[2] != "1") {
		return paneState{}, false
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
	return st, true
}
