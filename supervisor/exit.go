package supervisor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// finalScreenLines is how many lines of a dead pane (history included) are
// kept for Capture and check_teammate.
const finalScreenLines = 500

// exitInfo is what is known about one exit of a teammate's process: the
// exit itself (protocol.Exit, the one shape, classifier and phrasing of an
// exit) and how it was noticed.
type exitInfo struct {
	protocol.Exit
	gone   bool // the pane had vanished: no status, no screen
	at     time.Time
	source string // how the exit was noticed
}

// onPaneExited handles tmuxcc's report that a watched pane's process ended.
func (t *team) onPaneExited(ctx context.Context, ev tmuxcc.PaneExited) {
	m := t.panes[ev.Pane]
	if m == nil || (ev.PID != 0 && m.pid != 0 && ev.PID != m.pid) {
		t.log.Debug("exit of a pane not ours", zap.String("pane", ev.Pane), zap.Int("pid", ev.PID))
		return
	}
	x := exitInfo{Exit: protocol.Exit{Status: ev.Status, Signal: protocol.SignalName(ev.Signal)}, gone: ev.Gone, at: ev.DeadAt, source: ev.Source}
	if ev.Signal != 0 {
		x.Signal = protocol.SignalName(ev.Signal) // one spelling, whatever tmuxcc says
	}
	if ev.Gone {
		x.Why = "its pane was closed"
	}
	t.exitMate(ctx, m, x)
}

// exitMate handles the end of m's current process exactly once: it saves
// the final screen (before anything clears the dead pane), classifies the
// exit, records it, tells the lead when that is due, and persists.
func (t *team) exitMate(ctx context.Context, m *mate, x exitInfo) {
	if m.processDone() {
		return
	}
	if x.at.IsZero() {
		x.at = t.now()
	}
	if !x.gone && t.conn != nil {
		if s, err := capturePane(ctx, t.conn, m.paneID, finalScreenLines); err == nil {
			m.screen = s
		} else {
			t.log.Debug("capture final screen", zap.String("agent", m.name), zap.Error(err))
		}
	}
	if m.out != nil {
		if m.screen == "" {
			m.screen = readable(string(m.out.Snapshot()), finalScreenLines)
		}
		m.lastOutput = m.lastOutputAt()
		if t.conn != nil {
			t.conn.UnwatchOutput(m.paneID)
		}
		m.out = nil
	}
	m.exitStatus, m.signal, m.exitedAt = x.Status, x.Signal, x.at
	close(m.exited)
	t.endHealth(m)
	deliberate := m.stopReason != "" || t.tearingDown
	if !m.stopping {
		// A stop a previous owner began (state file) ends with this exit.
		m.stopReason = ""
	}
	base := x.Classify(deliberate)
	m.lastExit = x.String()
	now := t.now()
	d := t.restarts.Exited(m.name, now, restartExit(x, m.startedAt, now, deliberate))
	t.sessionExited(m, x, d, deliberate)
	extra := []zap.Field{zap.String("source", x.source)}
	if x.Why != "" {
		extra = append(extra, zap.String("why", x.Why))
	}
	t.setState(m, base, extra...)
	switch {
	case d.Restart:
		t.setState(m, protocol.StateRestarting, zap.Duration("backoff", d.Delay), zap.Int("failures", d.Failures))
	case d.State == protocol.StateFailed:
		t.setState(m, protocol.StateFailed, zap.Int("failures", d.Failures))
	}
	t.notifyExit(m, x, base, d, deliberate)
	t.persist()
}

// restartExit is what the restart policy needs of an exit. How long the
// process ran is unknown for a pane that died while nobody supervised it.
func restartExit(x exitInfo, started, now time.Time, deliberate bool) policy.RestartExit {
	e := policy.RestartExit{Status: -1, Signal: x.Signal, Ran: -1, Deliberate: deliberate}
	if x.Status != nil {
		e.Status = *x.Status
	}
	if !started.IsZero() && x.source != "adopt" {
		e.Ran = now.Sub(started)
	}
	return e
}

// notifyExit is the single place where an exit is turned into a lead
// notification (through the LeadNotifier's dedup and rate limit): a crash,
// a clean exit that will be restarted, or the exit that made the teammate
// failed; never a deliberate stop or a clean exit that is left alone, and
// never twice for the same pane and process (also across owners, through
// the state file's reported key).
func (t *team) notifyExit(m *mate, x exitInfo, base protocol.State, d policy.RestartDecision, deliberate bool) {
	key := m.exitKey()
	if m.reported == key {
		return
	}
	m.reported = key
	ev := t.leadEvent(m, t.now())
	ev.ExitStatus, ev.Signal = x.Status, x.Signal
	if !m.startedAt.IsZero() && x.source != "adopt" {
		ev.Ran = max(x.at.Sub(m.startedAt), 0)
	}
	ev.WillRestart, ev.RestartIn = d.Restart, d.Delay
	ev.Policy, ev.Restarts, ev.Failures = t.restartPolicy(m), d.Restarts, d.Failures
	ev.LastLines = m.screen
	if x.Why != "" && strings.TrimSpace(m.screen) == "" {
		ev.LastLines = "(" + x.Why + ")"
	}
	switch {
	case deliberate:
		ev.Deliberate = true
	case d.GaveUp:
		ev.Kind = policy.LeadFailed
	case base == protocol.StateCrashed:
		ev.Kind = policy.LeadCrashed
	case d.Restart:
		ev.Kind = policy.LeadExited
	default:
		return // a clean exit left alone is no news
	}
	t.tellLead(ev)
}

// restartPolicy is m's effective restart policy.
func (t *team) restartPolicy(m *mate) protocol.RestartPolicy {
	if tr := t.restarts.Tracker(m.name); tr != nil {
		return tr.Policy()
	}
	if m.restart != "" {
		return protocol.RestartPolicy(m.restart)
	}
	return t.cfg.Restarts.Policy
}

// capturePane returns the readable screen of pane, with up to lines lines
// of history: capture-pane over the control connection, joined wrapped
// lines, no escapes, trailing blanks trimmed.
func capturePane(ctx context.Context, conn *tmuxcc.Conn, pane string, lines int) (string, error) {
	if lines <= 0 {
		lines = 20
	}
	out, err := conn.Command(ctx, "capture-pane", "-p", "-J", "-S", "-"+strconv.Itoa(lines), "-t", pane)
	if err != nil {
		return "", fmt.Errorf("capture %s: %w", pane, err)
	}
	return readable(dropDeadNotice(out), lines), nil
}

// deadNotice starts the line tmux writes at the bottom of a dead pane with
// remain-on-exit ("Pane is dead (status 1, <time>)"; 3.4+ makes it
// remain-on-exit-format, same default text).
const deadNotice = "Pane is dead ("

// dropDeadNotice joins captured lines, leaving out tmux's dead-pane notice
// (it sits on the last row, after blank rows that would hide the agent's
// last lines from a short capture).
func dropDeadNotice(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, deadNotice) {
			lines = lines[:i]
		}
		break
	}
	return strings.Join(lines, "\n")
}
