package supervisor

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// Dialog detection does not depend on silence: a CLI may keep a spinner
// turning under a dialog that waits for a person (OpenCode's permission
// prompt, Codex's MCP tool approval), so its output never settles. The
// screen of a busy pane is read anyway, at most once per
// HealthConfig.BusyScreenEvery per pane and within BusyScreenRate reads a
// second for the whole process (busyReads, shared by every team's owner
// loop). A capture costs about 0.1 ms over the control connection.

// busyReads is the process-wide budget of busy-pane screen reads.
type busyReads struct {
	mu    sync.Mutex
	b     *policy.ReadBudget
	taken int64 // reads granted so far (benchmarks)
}

// take spends one read at now.
func (r *busyReads) take(rate int, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.b == nil {
		r.b = policy.NewReadBudget(rate)
	}
	ok := r.b.Take(now)
	if ok {
		r.taken++
	}
	return ok
}

// count returns how many reads were granted.
func (r *busyReads) count() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.taken
}

// readUnsettled reads the screen of m, whose output last changed at last
// and has not settled: for the ready screen while it starts (every
// readyProbe; prompts are not taken from such a read), and for prompts when
// a busy read is due and the budget allows. It returns next lowered to the
// next time such a read is due.
func (t *team) readUnsettled(ctx context.Context, m *mate, last, now, next time.Time) time.Time {
	cfg := t.cfg.Health
	probe := false
	if !m.hs.ready {
		// Starting: the ready screen need not settle (a prompt must).
		every := min(cfg.ScreenSettle, readyProbe)
		if now.Sub(m.hs.probedAt) >= every {
			m.hs.probedAt, probe = now, true
		}
		next = minTime(next, m.hs.probedAt.Add(every))
	}
	busy := now.Sub(m.hs.busyReadAt) >= cfg.BusyScreenEvery &&
		t.busy.take(cfg.BusyScreenRate, now)
	if busy {
		m.hs.busyReadAt = now
	}
	if probe || busy {
		t.readScreen(ctx, m, last, busy)
	}
	if at := m.hs.busyReadAt.Add(cfg.BusyScreenEvery); at.After(now) {
		next = minTime(next, at)
	}
	return next
}

// healthFrozen reports a teammate whose health is no longer followed: a
// deliberate stop is under way, and what a dying CLI draws is no sign of
// recovery.
func (m *mate) healthFrozen() bool { return m.stopping || m.stopReason != "" }

// adoptHealth follows the health of a pane adopted alive: its output
// before now was not seen and a dialog waits in silence, so its screen is
// read now; and when the previous owner told the lead about a dialog of
// this same run (state file), health continues from there, so the lead is
// not told twice while the dialog stays.
func (t *team) adoptHealth(ctx context.Context, m *mate) {
	if m.health == nil {
		return
	}
	now := t.now()
	if told := m.hs.told; told != nil && told.Health == protocol.StateNeedsInput {
		m.health.Restore(policy.HealthNeedsInput, told.Prompt, now)
		t.setState(m, protocol.StateNeedsInput, zap.Bool("adopted", true), zap.String("prompt", told.Prompt))
	}
	t.readScreen(ctx, m, time.Time{}, true)
	m.checkAt = now
}

// noteTold records what the lead is told about m's health in this run.
func (t *team) noteTold(m *mate, tr policy.HealthTransition) {
	switch {
	case tr.To == policy.HealthNeedsInput:
		m.hs.told = &statefile.HealthTold{Run: m.exitKey(), Health: protocol.StateNeedsInput, Prompt: tr.Prompt}
	case tr.From == policy.HealthNeedsInput:
		m.hs.told = nil
	}
}

// healthReason says why m is in its health ("" when not followed).
func (m *mate) healthReason() string {
	if m.health == nil || !m.state.Alive() {
		return ""
	}
	return m.health.Reason()
}

// attachHint fills in how a person reaches m's pane, and its backend
// (which picks the advice for a dialog).
func (t *team) attachHint(ev *policy.LeadEvent, m *mate) {
	ev.Backend = m.backend
	ev.Attach = "claude-teams supervisor attach --team " + t.name
	if m.paneID == "" {
		return
	}
	ev.Target = m.paneID
	if s := t.server; s.Session != "" {
		ev.Target += " in session " + s.Session
	}
	if s := t.server; s.SocketPath != "" {
		ev.Target += " of the tmux server at " + s.SocketPath
	}
}
