package supervisor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/tmuxcc"
)

// finalScreenLines is how many lines of a dead pane (history included) are
// kept for Capture and check_teammate.
const finalScreenLines = 500

// exitInfo is what is known about one exit of a teammate's process.
type exitInfo struct {
	status *int   // exit status; nil after a signal or when unknown
	signal string // signal name ("SIGKILL"), "" if none
	gone   bool   // the pane had vanished: no status, no screen
	at     time.Time
	source string // how the exit was noticed
	// why explains an exit whose status is unknown, for people.
	why string
}

// classifyExit is the single place where an exit becomes a state: a
// deliberate stop is stopped whatever the status; exit status 0 is exited;
// anything else (a status, a signal, or a pane that vanished) is crashed.
func classifyExit(deliberate bool, x exitInfo) State {
	switch {
	case deliberate:
		return StateStopped
	case x.status != nil && *x.status == 0 && x.signal == "":
		return StateExited
	default:
		return StateCrashed
	}
}

// onPaneExited handles tmuxcc's report that a watched pane's process ended.
func (t *team) onPaneExited(ctx context.Context, ev tmuxcc.PaneExited) {
	m := t.panes[ev.Pane]
	if m == nil || (ev.PID != 0 && m.pid != 0 && ev.PID != m.pid) {
		t.log.Debug("exit of a pane not ours", zap.String("pane", ev.Pane), zap.Int("pid", ev.PID))
		return
	}
	x := exitInfo{status: ev.Status, signal: ev.SignalName, gone: ev.Gone, at: ev.DeadAt, source: ev.Source}
	if x.signal == "" && ev.Signal != 0 {
		x.signal = signalName(ev.Signal)
	}
	if ev.Gone {
		x.why = "its pane was closed"
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
		x.at = t.m.now()
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
	m.exitStatus, m.signal, m.exitedAt = x.status, x.signal, x.at
	close(m.exited)
	st := classifyExit(m.stopReason != "" || t.tearingDown, x)
	extra := []zap.Field{zap.String("source", x.source)}
	if x.why != "" {
		extra = append(extra, zap.String("why", x.why))
	}
	t.setState(m, st, extra...)
	t.notifyExit(m, x)
	t.persist()
}

// notifyExit is the single place where an exit is turned into a lead
// notification: one message per crash, never one for a deliberate stop or a
// clean exit, never twice for the same pane and process (also across
// owners, through the state file's reported key).
func (t *team) notifyExit(m *mate, x exitInfo) {
	key := m.exitKey()
	if m.reported == key {
		return
	}
	m.reported = key
	if m.state != StateCrashed {
		return
	}
	t.notes.push(crashMessage(m, x, t.restartPolicy(m)))
}

// restartPolicy is m's effective restart policy.
func (t *team) restartPolicy(m *mate) string {
	if m.restart != "" {
		return m.restart
	}
	if t.m.cfg.Restart != "" {
		return t.m.cfg.Restart
	}
	return "never"
}

// notifyLines is how many lines of the final screen a crash message quotes.
const notifyLines = 15

// describeExit says how a process ended, for people: "exit status 3",
// "killed by SIGKILL", "exit status unknown (its pane was closed)".
func describeExit(status *int, signal, why string) string {
	switch {
	case signal != "":
		return "killed by " + signal
	case status != nil:
		return "exit status " + strconv.Itoa(*status)
	case why != "":
		return "exit status unknown (" + why + ")"
	default:
		return "exit status unknown"
	}
}

// crashMessage is the lead's inbox entry for a crash, from the teammate.
func crashMessage(m *mate, x exitInfo, policy string) leadNote {
	how := describeExit(x.status, x.signal, x.why)
	var b strings.Builder
	fmt.Fprintf(&b, "Teammate %s crashed: %s.\n", m.name, how)
	fmt.Fprintf(&b, "Pane %s, pid %d", m.paneID, m.pid)
	if !m.startedAt.IsZero() && !x.at.IsZero() && x.at.After(m.startedAt) {
		fmt.Fprintf(&b, ", ran for %s", x.at.Sub(m.startedAt).Round(time.Second))
	}
	fmt.Fprintf(&b, ", restarts so far: %d, restart policy: %s.\n", m.restarts, policy)
	if policy == "never" {
		b.WriteString("It will not be restarted automatically; use spawn_teammate or restart_teammate to start it again.\n")
	}
	if last := lastLines(m.screen, notifyLines); strings.TrimSpace(last) != "" {
		b.WriteString("\nLast lines of its output:\n")
		b.WriteString(last)
		b.WriteString("\n")
	} else {
		b.WriteString("\nIt printed nothing we could capture.\n")
	}
	return leadNote{
		from:    m.name,
		color:   m.color,
		summary: fmt.Sprintf("%s crashed (%s)", m.name, how),
		text:    b.String(),
	}
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
