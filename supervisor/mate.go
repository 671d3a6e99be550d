package supervisor

import (
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// mate is one teammate as the owner loop sees it. Every field is owned by
// the team's run goroutine.
type mate struct {
	name, agentID, backend, color string
	restart                       protocol.RestartPolicy // restart policy ("" = default)

	paneID, windowID string
	windowName       string // the window's name when the pane was placed ("" unknown)
	pid              int
	pidStart         uint64 // pid's start time (identity.go), 0 when unknown
	state            protocol.State
	startedAt        time.Time
	exitedAt         time.Time
	exitStatus       *int
	signal           string

	// exited is closed once the current pane's process is known to have
	// ended (and its exit handled). A new pane gets a new channel.
	exited chan struct{}
	out    *tmuxcc.PaneOutput // current pane's output ring; nil when not watched
	// lastOutput is the last %output time of an earlier or unwatched pane.
	lastOutput time.Time
	// screen is the readable final screen of the last dead pane.
	screen string
	// reported is the exitKey of the last exit handled for the lead (told
	// or not worth telling); see TeammateState.Reported.
	reported string

	// A deliberate stop: stopReason is set before anything is killed, so
	// the exit is classified as stopped, never crashed.
	stopReason  protocol.StopReason
	stopping    bool // a terminate goroutine is running
	stopWaiters []chan error
	forget      bool // drop the mate once stopped (spawn rollback)
	// keptDead: a stop for a manual restart left the dead pane in its
	// cell beside the lead; the restart's new pane replaces it there.
	keptDead bool
	// known is false for a config member we adopted without any record of
	// ours (no state file entry for its pane) until we see its pane alive.
	known bool

	// Restarts: restarting is set while an automatic restart is being
	// prepared outside the loop (config read, note written) for the dead
	// pane restartOf; a stop or a manual restart clears it.
	restarting bool
	// lastExit describes the last exit for the restart note.
	lastExit string
	// restartErr says why the last automatic restart could not start its
	// pane ("" once a pane runs again); lastExit and the exit status stay
	// those of the last run.
	restartErr string

	// Health of the current run (see health.go); nil while not alive.
	// checkAt is its next evaluation (zero: none planned).
	health  *policy.HealthTracker
	hs      healthState
	checkAt time.Time

	// guard is the lead signing of the current launch (leadguard.go).
	guard leadGuard
	// session is the teammate's conversation (session.go).
	session sessionState
}

// exitKey names one run of one pane; the lead hears about it at most once.
func (m *mate) exitKey() string {
	return m.paneID + ":" + strconv.Itoa(m.pid)
}

// processDone reports whether the current pane's exit was handled.
func (m *mate) processDone() bool {
	if m.exited == nil {
		return true
	}
	select {
	case <-m.exited:
		return true
	default:
		return false
	}
}

// lastOutputAt is when the teammate last printed anything we saw.
func (m *mate) lastOutputAt() time.Time {
	if m.out != nil {
		if t := m.out.LastActivity(); t.After(m.lastOutput) {
			return t
		}
	}
	return m.lastOutput
}

// stateMessages are the log messages of state changes (constant strings,
// data in fields).
var stateMessages = map[protocol.State]string{
	protocol.StateStarting:   "teammate starting",
	protocol.StateRunning:    "teammate running",
	protocol.StateIdle:       "teammate idle",
	protocol.StateStalled:    "teammate stalled",
	protocol.StateNeedsInput: "teammate needs input",
	protocol.StateExited:     "teammate exited",
	protocol.StateCrashed:    "teammate crashed",
	protocol.StateRestarting: "teammate restarting",
	protocol.StateFailed:     "teammate failed",
	protocol.StateStopped:    "teammate stopped",
	protocol.StateUnknown:    "teammate unknown",
}

// setState moves m to state s and logs the change (one event per change).
func (t *team) setState(m *mate, s protocol.State, extra ...zap.Field) {
	prev := m.state
	if prev == s {
		return
	}
	m.state = s
	if s == protocol.StateIdle {
		t.findSession(m) // after its first turn (codex, opencode)
	}
	msg := stateMessages[s]
	if msg == "" {
		msg = "teammate state changed"
	}
	fields := append(t.mateFields(m), zap.String("state", string(s)), zap.String("from", string(prev)))
	t.log.Info(msg, append(fields, extra...)...)
}

// mateFields are the log fields that identify m and its last exit.
func (t *team) mateFields(m *mate) []zap.Field {
	f := []zap.Field{
		zap.String("agent", m.name),
		zap.String("pane", m.paneID),
		zap.Int("pid", m.pid),
		zap.Int("restarts", t.restartCount(m)),
	}
	if m.exitStatus != nil {
		f = append(f, zap.Int("exit_status", *m.exitStatus))
	}
	if m.signal != "" {
		f = append(f, zap.String("signal", m.signal))
	}
	return f
}

// mateView is a copy of a mate's public facts, safe to use outside the
// owner loop.
type mateView struct {
	name, agentID, backend string
	paneID, windowID       string
	windowName             string
	pid                    int
	state                  protocol.State
	exitStatus             *int
	signal                 string
	restarts, failures     int
	restart                protocol.RestartPolicy
	health                 string
	healthReason           string
	startedAt, lastOutput  time.Time
	nextRestart            time.Time
	restartErr             string
	screen                 string
	out                    *tmuxcc.PaneOutput
	// working lists the tasks in progress the work watcher last saw.
	working []string
	// leadSigned says the current launch got --lead-verify-key.
	leadSigned bool
	// session is the teammate's conversation (session.go).
	session sessionState
}

func (t *team) view(m *mate) mateView {
	v := mateView{
		name: m.name, agentID: m.agentID, backend: m.backend,
		paneID: m.paneID, windowID: m.windowID, windowName: m.windowName, pid: m.pid,
		state: m.state, signal: m.signal, restart: m.restart,
		startedAt: m.startedAt, lastOutput: m.lastOutputAt(),
		screen: m.screen, out: m.out, working: t.work.tasks[m.name], restartErr: m.restartErr,
		leadSigned: m.guard.key != "",
		session:    m.session,
	}
	if tr := t.restarts.Tracker(m.name); tr != nil {
		v.restarts, v.failures = tr.Restarts(), tr.Failures(t.now())
		v.nextRestart = tr.NextRestartAt()
	}
	if m.state.Alive() {
		v.health, v.healthReason = string(m.state), m.healthReason()
	}
	if m.exitStatus != nil {
		s := *m.exitStatus
		v.exitStatus = &s
	}
	return v
}

// restartCount is how many times m was started again. Its restart
// tracker keeps the count (every mate has one: adopt restores it, spawn
// makes it); the mate keeps no copy.
func (t *team) restartCount(m *mate) int {
	if tr := t.restarts.Tracker(m.name); tr != nil {
		return tr.Restarts()
	}
	return 0
}

// toState is what the state file keeps of m.
func (t *team) toState(m *mate) statefile.TeammateState {
	ts := statefile.TeammateState{
		AgentID: m.agentID, Backend: m.backend,
		PaneID: m.paneID, WindowID: m.windowID, PID: m.pid, PIDStart: m.pidStart,
		State: m.state, ExitStatus: m.exitStatus, Signal: m.signal,
		Restart:   m.restart,
		StartedAt: statefile.FormatTime(m.startedAt), ExitedAt: statefile.FormatTime(m.exitedAt),
		Reported: m.reported, LastExit: m.lastExit, StopReason: m.stopReason,
		HealthTold:    m.hs.told,
		LeadVerifyKey: m.guard.key, ForgedReported: m.guard.reported,
	}
	sessionToState(&ts, m.session)
	if tr := t.restarts.Tracker(m.name); tr != nil {
		ts.Restarts, ts.Failures = tr.Restarts(), tr.Failures(t.now())
		rs := tr.State()
		for _, f := range rs.FailureTimes {
			ts.FailureTimes = append(ts.FailureTimes, statefile.FormatTime(f))
		}
		ts.GaveUp = rs.Failed
		ts.NextRestartAt = statefile.FormatTime(rs.NextRestartAt)
	}
	if m.state == protocol.StateRestarting && ts.NextRestartAt == "" {
		// Being prepared right now: a later owner must not leave it
		// waiting for a plan that is gone.
		ts.NextRestartAt = statefile.FormatTime(t.now())
	}
	return ts
}

// restartState is the inverse of toState for the restart tracker.
func restartState(ts statefile.TeammateState) policy.RestartState {
	rs := policy.RestartState{Restarts: ts.Restarts, Failed: ts.GaveUp, NextRestartAt: statefile.ParseTime(ts.NextRestartAt)}
	for _, f := range ts.FailureTimes {
		if at := statefile.ParseTime(f); !at.IsZero() {
			rs.FailureTimes = append(rs.FailureTimes, at)
		}
	}
	return rs
}
