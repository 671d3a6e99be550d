package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// Automatic restarts (DESIGN.md "Supervision"). An exit goes through the
// team's TeamRestarts (exitMate); a restart it plans arms restartTimer
// (rearm). When it is due, the owner loop hands the file work (reading the
// member from config.json, building the launch, writing the restart note
// into the teammate's inbox) to a goroutine, which reports back with a
// restartPrepared; the loop then replaces the dead pane (never with
// respawn-pane, see replacePane) and a last goroutine records the new pane
// id in config.json. A stop in the meantime cancels the restart.

// restartJob is what a prepareRestart goroutine needs: a copy, so the
// goroutine never touches owner-loop state.
type restartJob struct {
	name, oldPane string
	lastExit      string
	restarts      int // the restart this will be (1 for the first)
	// session is the conversation to resume (unless session.fresh).
	session sessionState
}

// restartPrepared reports the outcome of prepareRestart to the loop.
type restartPrepared struct {
	job    restartJob
	member protocol.Member
	launch backends.Launch
	noteID string // the restart note's msg_id, removed if the restart is dropped
	err    error
}

func (*restartPrepared) isRequest() {}

// onRestartDue starts the preparation of every restart that is due. Each
// leaves the restart plan (Cancel) while it is prepared: a failed start
// plans the next one.
func (t *team) onRestartDue(ctx context.Context) {
	now := t.now()
	for _, name := range t.restarts.Due(now) {
		t.restarts.Cancel(name)
		m := t.mates[name]
		if m == nil || m.state != protocol.StateRestarting || m.restarting || t.tearingDown {
			continue
		}
		m.restarting = true
		job := restartJob{name: name, oldPane: m.paneID, lastExit: m.lastExit, restarts: t.restartCount(m) + 1, session: m.session}
		t.log.Info("teammate restart due", append(t.mateFields(m), zap.Int("restart", job.restarts))...)
		t.goHelper(func() { t.report(t.prepareRestart(job)) })
	}
}

// prepareRestart runs outside the loop: it reads the member, builds the
// launch and writes the restart note.
func (t *team) prepareRestart(job restartJob) *restartPrepared {
	r := &restartPrepared{job: job}
	cfg, err := t.store.ReadConfig(t.name)
	if err != nil {
		r.err = err
		return r
	}
	mem, ok := cfg.FindMember(job.name)
	if !ok {
		r.err = fmt.Errorf("restart %s: %w", job.name, protocol.ErrMemberNotFound)
		return r
	}
	r.member = mem
	tm := withSession(teammateOf(mem, cfg, t.store.Root()), mem, job.session.id, job.session.fresh)
	if r.launch, err = t.cfg.launch(t.loopCtx(), mem.BackendType, tm); err != nil {
		r.err = err
		return r
	}
	if why := freshFallback(job.session); why != "" {
		r.launch.FreshReason = why
	}
	msg, err := t.writeRestartNote(mem, false, job.lastExit, job.restarts, r.launch)
	if err != nil {
		t.log.Warn("restart note not written", zap.String("agent", job.name), zap.Error(err))
	}
	r.noteID = msg.MsgID
	return r
}

// onRestartPrepared starts the new pane, unless the restart was cancelled
// while it was prepared.
func (t *team) onRestartPrepared(ctx context.Context, r *restartPrepared) {
	m := t.mates[r.job.name]
	if m == nil || !m.restarting || m.paneID != r.job.oldPane || m.state != protocol.StateRestarting || t.tearingDown {
		if m != nil && m.paneID == r.job.oldPane {
			m.restarting = false
		}
		t.dropNote(r.job.name, r.noteID)
		return
	}
	m.restarting = false
	if errors.Is(r.err, protocol.ErrMemberNotFound) {
		// Removed from the team meanwhile: nothing to restart.
		t.log.Info("teammate restart dropped", append(t.mateFields(m), zap.String("why", "no longer a member"))...)
		t.setState(m, protocol.Exit{Status: m.exitStatus, Signal: m.signal}.Classify(false))
		t.persist()
		return
	}
	err := r.err
	if err == nil {
		res := t.doSpawn(ctx, &spawnReq{
			name: m.name, agentID: m.agentID, backend: r.member.BackendType, color: m.color,
			restart: m.restart, launch: r.launch, respawn: true, auto: true,
		})
		if err = res.err; err == nil {
			t.goHelper(func() { t.recordPane(m.name, r.job.oldPane, res.pane.pane, r.launch.SessionID) })
			return
		}
	}
	t.dropNote(r.job.name, r.noteID)
	t.failedStart(m, err)
}

// failedStart handles a restart whose new process could not be started: it
// counts as a run that failed at once. The teammate keeps its last real
// exit (status or signal, lastExit, the dead pane in its cell) and the
// restart error is kept beside it: the lead and status say both.
func (t *team) failedStart(m *mate, err error) {
	now := t.now()
	t.log.Warn("teammate restart failed", append(t.mateFields(m), zap.Error(err))...)
	d := t.restarts.Exited(m.name, now, policy.RestartExit{Status: -1, Ran: 0})
	m.restartErr = err.Error()
	ev := t.leadEvent(m, now)
	ev.ExitStatus, ev.Signal = m.exitStatus, m.signal
	ev.Restarts, ev.Failures, ev.Policy = d.Restarts, d.Failures, t.restartPolicy(m)
	ev.RestartError = m.restartErr
	ev.LastLines = m.screen
	switch {
	case d.GaveUp:
		t.setState(m, protocol.StateFailed, zap.Int("failures", d.Failures))
		ev.Kind = policy.LeadFailed
		t.tellLead(ev)
	case d.Restart:
		// Still crashed, its retry pending (StateRestarting, next_restart_at).
		t.log.Info("teammate restart planned", append(t.mateFields(m), zap.Duration("backoff", d.Delay))...)
	default:
		t.setState(m, protocol.StateCrashed)
	}
	t.persist()
}

// recordPane points the member's tmuxPaneId at the new pane and its
// sessionId at the new run's conversation, unless the pane was changed
// meanwhile (a manual restart, a new spawn): compare and swap.
func (t *team) recordPane(name, oldPane, newPane, session string) {
	_, err := t.store.UpdateMember(t.name, name, func(x *protocol.Member) error {
		if x.TmuxPaneID != oldPane && x.TmuxPaneID != "" {
			return errPaneMoved
		}
		x.TmuxPaneID, x.SessionID = newPane, session
		return nil
	})
	if err != nil && !errors.Is(err, errPaneMoved) {
		t.log.Warn("new pane not recorded", zap.String("agent", name), zap.String("pane", newPane), zap.Error(err))
	}
}

var errPaneMoved = errors.New("supervisor: pane changed meanwhile")

// dropNote removes a restart note whose restart did not happen.
func (t *team) dropNote(name, msgID string) {
	if msgID == "" {
		return
	}
	t.goHelper(func() {
		if _, err := t.store.RemoveMessage(t.name, name, msgID); err != nil {
			t.log.Debug("restart note not removed", zap.String("agent", name), zap.Error(err))
		}
	})
}

// reviveReq prepares a manual restart (restart_teammate): a failed
// teammate may run again, its failure count starts afresh, and no
// automatic restart stays planned. The reply is when to start it (the
// stagger may ask for a short wait).
type reviveReq struct {
	name  string
	reply chan time.Time
}

func (*reviveReq) isRequest() {}

func (t *team) doRevive(name string) time.Time {
	now := t.now()
	if t.restarts.Tracker(name) == nil {
		policy := protocol.RestartPolicy("")
		if m := t.mates[name]; m != nil {
			policy = protocol.RestartPolicy(m.restart)
		}
		t.restarts.Track(name, policy)
	}
	at, _ := t.restarts.Manual(name, now)
	t.restarts.Cancel(name)
	if m := t.mates[name]; m != nil {
		m.restarting = false
	}
	return at
}

// ownedTaskLines lists the unfinished tasks mem owns ("#3 Write the
// parser (in_progress)"), read from the task files.
func (t *team) ownedTaskLines(mem protocol.Member) []string {
	tasks, err := t.store.ReadTasks(t.name)
	if err != nil {
		return nil
	}
	var out []string
	for _, task := range tasks {
		if !mem.OwnsTask(task) {
			continue
		}
		out = append(out, fmt.Sprintf("#%s %s (%s)", task.ID, task.Subject, task.Status))
	}
	return out
}

// replacePane starts the agent of l in place of a dead pane and removes
// the dead one, never with respawn-pane (tmux 3.3a loses output of a pane
// respawned under a control client and can crash, TMUX.md "Restarting a
// pane"). On a private server the dead pane's window is replaced at the
// same index (new-window -k); in split mode the new pane takes the dead
// one's cell (replaceInPlace); in windows mode a new window is made as for
// a spawn and the dead one killed. Either way the pane id is new.
func (t *team) replacePane(ctx context.Context, oldPane, oldWindow, name, color, agentID string, l backends.Launch) (paneInfo, error) {
	args, err := spawnArgs(l)
	if err != nil {
		return paneInfo{}, err
	}
	t.conn.UnwatchPane(oldPane)
	if t.layout != nil {
		if p, ok, err := t.replaceInPlace(ctx, oldPane, name, agentID, args); ok {
			return p, err
		}
		// Not placed by the layout: the dead pane goes first, so that the
		// layout sees only the lead's and teammates' panes.
		t.killPane(ctx, oldPane)
		return t.newPane(ctx, name, color, agentID, l)
	}
	if t.topo.mode == statefile.ModePrivate && oldWindow != "" {
		if idx, ok := t.windowIndex(ctx, oldWindow); ok {
			p, err := t.windowPaneAt(ctx, name, agentID, args, idx, true)
			if err == nil {
				delete(t.topo.linked, oldWindow)
				t.decorate(ctx, name, color, p)
				return p, nil
			}
			t.log.Debug("replace window", zap.String("window", oldWindow), zap.Error(err))
		}
	}
	p, err := t.newPane(ctx, name, color, agentID, l)
	if err != nil {
		return paneInfo{}, err
	}
	t.killPane(ctx, oldPane)
	return p, nil
}

// windowIndex returns the index of window w in our session.
func (t *team) windowIndex(ctx context.Context, w string) (int, bool) {
	out, err := t.conn.Command(ctx, "list-windows", "-t", "="+t.topo.session, "-F", "#{window_id} #{window_index}")
	if err != nil {
		return 0, false
	}
	for _, l := range out {
		id, idx, ok := strings.Cut(strings.TrimSpace(l), " ")
		if ok && id == w {
			n, err := strconv.Atoi(idx)
			return n, err == nil
		}
	}
	return 0, false
}
