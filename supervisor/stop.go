package supervisor

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/proctree"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// stopReq asks the owner loop to end a teammate on purpose.
type stopReq struct {
	name   string
	reason protocol.StopReason
	forget bool // spawn rollback: drop the teammate once stopped
	reply  chan error
}

// stopDone reports that a terminate goroutine finished.
type stopDone struct {
	name, pane string
	screen     string
	conn       *tmuxcc.Conn // the connection the pane was removed through
	kept       bool         // the dead pane was left in its cell (stopTarget.keep)
	err        error
}

func (*stopReq) isRequest()  {}
func (*stopDone) isRequest() {}

// doStop marks the stop deliberate first, then hands the slow part (asking
// the process to end, waiting, forcing) to a terminate goroutine. The reply
// comes when the pane and the process are gone.
func (t *team) doStop(ctx context.Context, r *stopReq) {
	m := t.mates[r.name]
	if m == nil {
		r.reply <- nil // nothing of ours runs under that name
		return
	}
	if r.forget {
		m.forget = true
	}
	if m.stopReason == "" {
		m.stopReason = r.reason
	}
	m.stopWaiters = append(m.stopWaiters, r.reply)
	if m.stopping {
		return
	}
	m.stopping = true
	// A deliberate stop ends any restart plan and drops what the lead
	// has not been told yet about this teammate.
	t.restarts.Cancel(m.name)
	m.restarting = false
	t.tellLead(policy.LeadEvent{Agent: m.name, Deliberate: true})
	tg := stopTarget{
		name: m.name, pane: m.paneID, pid: m.pid, id: t.identity(m), exited: m.exited,
		alive: !m.processDone(), conn: t.conn, grace: t.cfg.StopGrace,
		// A manual restart of a dead teammate beside the lead: its dead
		// pane keeps its cell until the new one is swapped in.
		keep:      r.reason == protocol.StopRestart && m.processDone() && t.placed(m.name, m.paneID),
		serverPID: t.topo.serverPID, log: t.log.With(zap.String("agent", m.name)),
	}
	t.log.Info("teammate stopping", append(t.mateFields(m), zap.String("reason", string(m.stopReason)))...)
	// Recorded before anything is signalled: if this process dies before
	// the exit is seen, the next owner still knows it was a stop.
	t.persist()
	t.goHelper(func() {
		screen, err := tg.terminate(t.life)
		t.report(&stopDone{name: tg.name, pane: tg.pane, screen: screen, conn: tg.conn, kept: tg.keep, err: err})
	})
}

// onStopDone completes a stop: the exit is recorded as stopped if the
// process end was not seen otherwise, and every waiter gets its answer.
func (t *team) onStopDone(ctx context.Context, r *stopDone) {
	m := t.mates[r.name]
	if m == nil {
		return
	}
	if m.paneID == r.pane {
		// Only the pane we track as m's is unwatched and forgotten: a
		// stale id may be another teammate's pane now (identity.go).
		own := m.paneID != "" && t.panes[m.paneID] == m
		if !m.processDone() {
			if m.screen == "" {
				m.screen = r.screen
			}
			t.exitMate(ctx, m, exitInfo{Exit: protocol.Exit{Why: "stopped"}, gone: true, source: "stop"})
		}
		if m.state != protocol.StateStopped {
			// A dead pane (exited or crashed earlier) removed on purpose.
			t.setState(m, protocol.StateStopped, zap.String("reason", string(m.stopReason)))
		}
		switch {
		case !own:
		case t.conn != nil:
			if m.out != nil {
				t.conn.UnwatchOutput(m.paneID)
			}
			t.conn.UnwatchPane(m.paneID)
			if t.conn != r.conn {
				// The connection changed while the stop ran: the pane
				// was not removed through it.
				t.killOwnPane(ctx, m.paneID, m.agentID)
			}
		default:
			// Disconnected: remove it once we are connected again.
			t.leftover = append(t.leftover, [2]string{m.paneID, m.agentID})
		}
		m.out = nil
		if own {
			delete(t.panes, m.paneID)
		}
		if m.keptDead = r.kept && own && t.conn != nil && t.conn == r.conn; !m.keptDead {
			t.unplace(ctx, m.name)
		}
	}
	for _, w := range m.stopWaiters {
		w <- r.err
	}
	m.stopWaiters, m.stopping, m.stopReason = nil, false, ""
	if m.forget {
		delete(t.mates, m.name)
		t.dropJoin(m.name, false)
		t.restarts.Forget(m.name)
	}
	t.persist()
}

// killOwnPane removes pane if it still carries agentID and our data root
// (after a reconnection the id could name another pane).
func (t *team) killOwnPane(ctx context.Context, pane, agentID string) {
	if _, ok, why := checkPaneOn(ctx, t.conn, pane, tmuxconv.Identity{AgentID: agentID, Root: t.rootTag}); !ok {
		t.log.Info("pane not ours: left alone", zap.String("agent", agentID), zap.String("pane", pane), zap.String("why", why))
		return
	}
	t.killPane(ctx, pane)
}

// stopDrainTimeout bounds how long a loop that is ending waits for the
// stops in flight (terminate's own limits add up to about 13 s).
const stopDrainTimeout = 20 * time.Second

// finishStops runs as the loop ends (the process shuts down): it waits for
// the terminate goroutines still running and completes their stops, so that
// a stop that was asked for is recorded as one, not left half done for the
// next owner. Other requests that arrive meanwhile are dropped: their
// callers get ErrTeamClosed once the loop is done.
func (t *team) finishStops() {
	pending := func() bool {
		for _, m := range t.mates {
			if m.stopping {
				return true
			}
		}
		return false
	}
	if !pending() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopDrainTimeout)
	defer cancel()
	for pending() {
		select {
		case r := <-t.reqs:
			if d, ok := r.(*stopDone); ok {
				t.onStopDone(ctx, d)
			}
		case <-ctx.Done():
			t.log.Warn("stops still running at shutdown")
			return
		}
	}
}

// stopTarget is what a terminate goroutine needs; it is a copy, so the
// goroutine never touches owner-loop state.
type stopTarget struct {
	name, pane string
	pid        int
	id         tmuxconv.Identity // what makes pane and pid the teammate's
	exited     <-chan struct{}
	alive      bool
	keep       bool // a dead pane is left where it is (for a restart in its cell)
	conn       *tmuxcc.Conn
	grace      time.Duration
	serverPID  int // the tmux server's pid
	log        *zap.Logger

	// Set by terminate. local: pid is a process of this machine (a child
	// of the local tmux server) that we may signal; family lists its
	// other processes.
	local  bool
	family []proctree.Info
}

// terminate ends a pane and its processes: ask nicely (SIGTERM to the
// process group and to every process of the family), wait up to the grace
// period for the agent's exit, remove the pane (which hangs up the
// terminal), then SIGKILL the group and whatever is left of the family, and
// wait until the agent's process is gone. Daemons that left the pane's
// session (setsid) and ignore SIGTERM are found through the family list.
// For a pane of a remote tmux server only the pane is removed. It returns
// the screen it captured if the process had not exited by itself (the
// owner loop captures it otherwise).
func (s stopTarget) terminate(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// Nothing is removed or signalled that is not provably the teammate's:
	// the pane id and the pid may both name someone else's by now.
	var row tmuxconv.Pane
	paneOurs := false
	if s.conn != nil && s.pane != "" {
		var why string
		row, paneOurs, why = checkPaneOn(cctx, s.conn, s.pane, s.id)
		if !paneOurs {
			s.log.Warn("stop: pane is not the teammate's, left alone", zap.String("pane", s.pane), zap.String("why", why))
		}
	}
	if !s.alive || s.pid <= 0 {
		// Already dead (its exit was handled): only the pane is left. The
		// pid was reaped long ago and may belong to someone else now.
		if paneOurs && !s.keep {
			killPaneOn(cctx, s.conn, s.pane)
		}
		return "", nil
	}
	procOurs := (s.id.PIDStart != 0 && tmuxconv.ProcStart(s.pid) == s.id.PIDStart) ||
		(s.id.PIDStart == 0 && paneOurs && row.PID == s.pid && !row.Dead)
	if !procOurs {
		s.log.Warn("stop: process is not the one recorded, not signalled", zap.Int("pid", s.pid))
	}
	if !paneOurs && !procOurs {
		return "", nil
	}
	if procOurs && proctree.LocalChild(s.pid, s.serverPID) {
		// Listed first, while the tree is intact: children that outlive
		// the agent (daemons that setsid) are reparented once it dies.
		s.local, s.family = true, proctree.Family(s.pid)
		s.signalAll(syscall.SIGTERM)
		timer := time.NewTimer(s.grace)
		select {
		case <-s.exited:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	} else {
		s.log.Info("stop: not a local process, removing its pane only",
			zap.Int("pid", s.pid), zap.Int("server_pid", s.serverPID))
	}
	var screen string
	if paneOurs {
		select {
		case <-s.exited:
		default:
			screen, _ = capturePane(cctx, s.conn, s.pane, finalScreenLines)
		}
		killPaneOn(cctx, s.conn, s.pane)
	}
	if !s.local {
		select {
		case <-s.exited:
			return screen, nil
		case <-cctx.Done():
			return screen, fmt.Errorf("stop %s: no exit seen after removing pane %s", s.name, s.pane)
		}
	}
	if pollUntil(time.Second, s.gone) && s.familyGone(200*time.Millisecond) {
		return screen, nil
	}
	if !s.gone() {
		s.signalAll(syscall.SIGKILL)
	} else {
		for _, p := range s.family {
			p.Signal(syscall.SIGKILL)
		}
	}
	gone := pollUntil(5*time.Second, s.gone)
	s.familyGone(time.Second)
	if gone {
		return screen, nil
	}
	return screen, fmt.Errorf("stop %s: process %d still running after SIGKILL", s.name, s.pid)
}

// signalAll sends sig to the agent's process group, the agent, and every
// process of its family that is still the process it was.
func (s stopTarget) signalAll(sig syscall.Signal) {
	signalGroup(s.pid, sig)
	for _, p := range s.family {
		p.Signal(sig)
	}
}

// familyGone waits up to d until no process of the family runs.
func (s stopTarget) familyGone(d time.Duration) bool {
	return pollUntil(d, func() bool {
		for _, p := range s.family {
			if p.Alive() {
				return false
			}
		}
		return true
	})
}

// signalGroup sends sig to the process group of pid (tmux makes each pane's
// process a session and group leader) and to pid itself.
func signalGroup(pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
	_ = syscall.Kill(pid, sig)
}

// gone reports whether the teammate's process has ended: pid gone, or
// now another process (its start time differs).
func (s stopTarget) gone() bool {
	if processGone(s.pid) {
		return true
	}
	return s.id.PIDStart != 0 && tmuxconv.ProcStart(s.pid) != s.id.PIDStart
}

// pollUntil checks done every 10 ms until it holds (true) or d has passed
// (false).
func pollUntil(d time.Duration, done func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if done() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processGone reports whether pid no longer runs. A zombie (exited, not yet
// reaped by tmux: the lost-SIGCHLD case of TMUX.md) counts as gone.
func processGone(pid int) bool {
	if pid <= 0 {
		return true // names no one process (kill(0) or kill(-1) would mean many)
	}
	err := syscall.Kill(pid, 0)
	if errors.Is(err, syscall.ESRCH) {
		return true
	}
	p, ok := proctree.Read(pid)
	if !ok {
		// Reaped between the two looks (a zombie tmux reaps just now), or
		// /proc cannot tell: ask again.
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	}
	return p.Zombie
}
