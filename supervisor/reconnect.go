package supervisor

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// Reconnection. When the control connection ends (connLost) or a new owner
// cannot reach the team's tmux server (adoptAtStart), the teammates we
// believe alive are re-adopted once a connection is made again, by the
// redial timer or by the next spawn (ensureConn), whichever comes first.
// Failing to connect is not proof that a teammate died: only a server that
// is gone, or a tmux that answers without the teammate's pane, is. A tmux
// we cannot use at all (an upgrade changed its protocol, say) leaves the
// teammates unknown, and the redials go on at a slow pace.

// Redial backoff: 100 ms doubling up to maxRedialDelay. After maxRedials
// quick attempts, each failure also asks tmux directly (a subprocess)
// whether the server and the teammates' panes are still there.
const (
	firstRedial    = 100 * time.Millisecond
	maxRedials     = 6
	maxRedialDelay = 30 * time.Second
)

func (t *team) scheduleRedial() {
	if t.redial.timer != nil {
		t.redial.timer.Stop()
	}
	d := min(firstRedial<<min(t.redial.attempts, 10), maxRedialDelay)
	t.redial.timer = t.cfg.Clock.NewTimer(d)
}

// stopRedial forgets a pending redial.
func (t *team) stopRedial() {
	if t.redial.timer != nil {
		t.redial.timer.Stop()
	}
	t.redial = redialState{}
}

// reconnect connects to topology tp, re-adopts the teammates we believe
// alive (they are not watched on a new connection until then) and removes
// the panes stops could not remove while we were disconnected.
func (t *team) reconnect(ctx context.Context, tp topology, create bool) error {
	if err := t.connect(ctx, tp, create); err != nil {
		return err
	}
	if live := t.liveMates(); len(live) > 0 {
		t.adopt(ctx, live)
	}
	for _, p := range t.leftover {
		t.killOwnPane(ctx, p[0], p[1])
	}
	t.leftover = nil
	return nil
}

// tryRedial reconnects and re-adopts the live teammates. When the server is
// gone for good, the live teammates died with it: they crashed.
func (t *team) tryRedial(ctx context.Context) {
	tp := t.topo
	err := t.reconnect(ctx, tp, false)
	if err == nil {
		t.log.Info("control connection restored", zap.Int("attempts", t.redial.attempts+1))
		return
	}
	t.redial.attempts++
	if t.redial.attempts < maxRedials && !serverGone(tp.socketPath) {
		t.log.Info("reconnect failed", zap.Error(err), zap.Int("attempts", t.redial.attempts))
		t.scheduleRedial()
		return
	}
	rows, running, lerr := t.offlinePanes(ctx, tp)
	if serverGone(tp.socketPath) || (lerr == nil && !running) {
		t.log.Warn("tmux server gone", zap.Error(err))
		t.stopRedial()
		for _, m := range t.liveMates() {
			t.exitMate(ctx, m, exitInfo{Exit: protocol.Exit{Why: "its tmux server went away"}, gone: true, source: "server-gone"})
		}
		return
	}
	if lerr == nil {
		// The server answers a plain tmux command: what it does not list
		// has ended.
		for _, m := range t.liveMates() {
			row, ok := rows[m.paneID]
			if ok {
				ok, _ = t.identity(m).Proves(row)
			}
			switch {
			case !m.known && !ok:
				m.exited = nil // never ours to watch (see adoptMissing)
			case !ok:
				t.exitMate(ctx, m, exitInfo{Exit: protocol.Exit{Why: "its pane vanished"}, gone: true, source: "redial"})
			case row.Dead && (row.ExitStatus != nil || row.Signal != ""):
				t.exitMate(ctx, m, exitInfo{Exit: protocol.Exit{Status: row.ExitStatus, Signal: row.Signal}, source: "redial"})
			}
		}
	}
	live := t.liveMates()
	if len(live) == 0 {
		t.stopRedial()
		return
	}
	t.log.Warn("tmux unusable: teammates unknown until it answers", zap.Error(err),
		zap.NamedError("list_error", lerr), zap.Int("attempts", t.redial.attempts), zap.Int("live", len(live)))
	t.scheduleRedial()
}

// deferAdopt takes cands over without a connection to their tmux server,
// which may still run them: those we believe alive become unknown until
// a redial (or a spawn) connects and adopts them.
func (t *team) deferAdopt(tp topology, cands []*mate) {
	t.topo = tp
	for _, m := range cands {
		t.mates[m.name] = m
		if m.state.Alive() || m.state == protocol.StateUnknown {
			t.setState(m, protocol.StateUnknown)
			m.exited = make(chan struct{})
		}
	}
	t.redial = redialState{since: t.now()}
	t.scheduleRedial()
}

// tmuxMayRun reports whether the server of tp may still run (a subprocess
// asks it when connecting failed): false only when it is gone for sure.
func (t *team) tmuxMayRun(ctx context.Context, tp topology) bool {
	if serverGone(tp.socketPath) {
		return false
	}
	_, running, err := t.offlinePanes(ctx, tp)
	return err != nil || running
}

// offlinePaneTimeout bounds the tmux subprocess of offlinePanes.
const offlinePaneTimeout = 5 * time.Second

// offlinePanes lists the panes of tp's server with a tmux subprocess (in
// the environment of our control client), for when the control connection
// cannot be made. running is false, with no error, when no server runs.
func (t *team) offlinePanes(ctx context.Context, tp topology) (map[string]tmuxconv.Pane, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, offlinePaneTimeout)
	defer cancel()
	run := func(ctx context.Context, argv []string) ([]byte, error) {
		return tmuxconv.RunEnv(ctx, argv, t.cfg.TmuxEnv)
	}
	panes, running, err := tmuxconv.ListPanes(ctx, run, t.cfg.Tmux, tmuxconv.TmuxServer{Socket: tp.socketPath, Name: tp.socketName})
	if err != nil || !running {
		return nil, running, err
	}
	rows := make(map[string]tmuxconv.Pane, len(panes))
	for _, p := range panes {
		rows[p.ID] = p
	}
	return rows, true, nil
}
