package supervisor

import (
	"context"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// Health (DESIGN.md "Supervision"): while a teammate's process lives, its
// state is its health, derived from events, never from polling the agent.
// Each evaluation (evalHealth) reads the pane's last %output time, reads
// the rendered screen once output has been quiet for ScreenSettle (ready
// and prompt patterns of the backend) and, while it is not, for the ready
// screen and at a bounded rate for prompts (readUnsettled), takes the inbox
// and task facts of the work watcher (an auto-mode refusal in an
// idle_notification is needs_input), and arms the teammate's next
// evaluation for the next threshold (NextHealthCheck). A pane adopted alive
// has its screen read at once (adoptHealth). Nothing is evaluated once a
// stop is under way (healthFrozen). While output flows the next evaluation is
// one settle time after the latest output; once it has settled, a waiter
// goroutine blocks on the pane's output notification and reports the first
// new byte (outputSeen), so a quiet teammate costs no wake-up at all and a
// flooding one about one per settle time.

// healthState is what health evaluation keeps of one run. Owned by run.
type healthState struct {
	start      time.Time // policy.HealthInput.StartedAt
	ready      bool      // the ready screen was seen (or the pane was adopted running)
	needsInput bool
	prompt     string
	screen     string    // last screen read
	screenFor  time.Time // the last output time that screen reflects
	screenRead bool
	probedAt   time.Time     // last ready probe (see readyProbe)
	busyReadAt time.Time     // last read of a busy screen (health_busy.go)
	waiter     chan struct{} // closed to stop the output waiter; nil when none
	waiterSeq  int
	// told is what the lead was told about this run's health and is still
	// true (state file HealthTold); kept across startHealth for the same
	// run (adoption), dropped for a new one.
	told *statefile.HealthTold
}

// outputSeen reports new output of a pane whose output had settled.
type outputSeen struct {
	name, pane string
	seq        int
}

func (*outputSeen) isRequest() {}

// startHealth begins health tracking for a run that started at now;
// adopted marks a pane that was running before we watched it (it counts as
// ready).
func (t *team) startHealth(m *mate, now time.Time, adopted bool) {
	m.stopWaiter()
	m.health = policy.NewHealthTracker(t.cfg.Health, now)
	told := m.hs.told
	if told != nil && told.Run != m.exitKey() {
		told = nil
	}
	m.hs = healthState{start: now, ready: adopted, told: told}
	m.checkAt = now
}

// endHealth stops health tracking (the process ended).
func (t *team) endHealth(m *mate) {
	m.stopWaiter()
	m.health = nil
	m.hs.told = nil
	m.checkAt = time.Time{}
}

// stopWaiter ends m's output waiter, if any.
func (m *mate) stopWaiter() {
	if m.hs.waiter != nil {
		close(m.hs.waiter)
		m.hs.waiter = nil
	}
}

// onHealthDue evaluates every teammate whose evaluation is due.
func (t *team) onHealthDue(ctx context.Context) {
	now := t.now()
	for _, m := range t.mates {
		if !m.checkAt.IsZero() && !m.checkAt.After(now) {
			t.evalHealth(ctx, m, now)
		}
	}
}

// onOutputSeen asks for an evaluation of a quiet teammate that printed.
func (t *team) onOutputSeen(r *outputSeen) {
	m := t.mates[r.name]
	if m == nil || m.paneID != r.pane {
		return
	}
	if m.hs.waiterSeq == r.seq {
		m.hs.waiter = nil
	}
	if m.health != nil {
		m.checkAt = t.now()
	}
}

// evalHealth evaluates m's health at now, reports a transition, and arms
// its next evaluation.
func (t *team) evalHealth(ctx context.Context, m *mate, now time.Time) {
	m.checkAt = time.Time{}
	if m.health == nil || !m.state.Alive() || m.processDone() || m.healthFrozen() {
		return
	}
	cfg := t.cfg.Health
	var last time.Time
	if m.out != nil {
		last = m.out.LastActivity()
	}
	var settleAt time.Time
	if !last.IsZero() && (!m.hs.screenRead || last.After(m.hs.screenFor)) {
		if now.Sub(last) >= cfg.ScreenSettle {
			t.readScreen(ctx, m, last, true)
		} else {
			settleAt = t.readUnsettled(ctx, m, last, now, last.Add(cfg.ScreenSettle))
		}
	}
	in := policy.HealthInput{
		Now: now, StartedAt: m.hs.start, LastOutput: last,
		InProgressTasks: len(t.work.tasks[m.name]), OldestUnread: t.work.oldest[m.name],
		Ready: m.hs.ready, NeedsInput: m.hs.needsInput, Prompt: m.hs.prompt,
	}
	if idle := t.work.idle[m.name]; !idle.Before(m.hs.start) {
		in.IdleNotification = idle
		in.Refusal = t.work.refused[m.name]
	}
	if tr, changed := m.health.Update(in); changed {
		t.healthChanged(m, tr)
	}
	next := policy.NextHealthCheck(cfg, in)
	if h := m.health.HoldUntil(); h.After(now) && (next.IsZero() || h.Before(next)) {
		next = h
	}
	if !settleAt.IsZero() && (next.IsZero() || settleAt.Before(next)) {
		next = settleAt
	}
	m.checkAt = next
	if settleAt.IsZero() {
		t.startWaiter(m, last, now)
	}
}

// readyProbe is the pace of screen reads while a teammate starts and its
// output has not settled yet.
const readyProbe = 100 * time.Millisecond

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// readScreen captures m's visible screen and matches the backend's
// patterns; last is the output time the capture reflects. A screen that
// has not settled only tells whether the CLI is ready.
func (t *team) readScreen(ctx context.Context, m *mate, last time.Time, settled bool) {
	if t.conn == nil {
		return
	}
	out, err := t.conn.Command(ctx, "capture-pane", "-p", "-J", "-t", m.paneID)
	if err != nil {
		t.log.Debug("capture screen for health", zap.String("agent", m.name), zap.Error(err))
		return
	}
	screen := readable(strings.Join(out, "\n"), 0)
	ready, prompt, needs := policy.ScreenHealth(m.backend, screen)
	if ready {
		m.hs.ready = true
	}
	if !settled {
		return
	}
	m.hs.needsInput, m.hs.prompt, m.hs.screen = needs, prompt, screen
	m.hs.screenFor, m.hs.screenRead = last, true
}

// startWaiter starts a goroutine that reports m's next output, unless one
// runs or output came in since last (then an evaluation is armed instead).
func (t *team) startWaiter(m *mate, last, now time.Time) {
	if m.hs.waiter != nil || m.out == nil {
		return
	}
	notify := m.out.Notify()
	select {
	case <-notify: // stale: for output we have seen
	default:
	}
	if l := m.out.LastActivity(); l.After(last) {
		at := l.Add(t.cfg.Health.ScreenSettle)
		if m.checkAt.IsZero() || at.Before(m.checkAt) {
			m.checkAt = at
		}
		return
	}
	stop := make(chan struct{})
	m.hs.waiter = stop
	m.hs.waiterSeq++
	r := &outputSeen{name: m.name, pane: m.paneID, seq: m.hs.waiterSeq}
	t.goHelper(func() {
		select {
		case <-notify:
			t.report(r)
		case <-stop:
		}
	})
}

// healthChanged makes a health transition m's state, and tells the lead
// about stalled, needs input and recovered.
func (t *team) healthChanged(m *mate, tr policy.HealthTransition) {
	var extra []zap.Field
	if tr.Prompt != "" {
		extra = append(extra, zap.String("prompt", tr.Prompt))
	}
	if tr.Quiet > 0 {
		extra = append(extra, zap.Duration("quiet", tr.Quiet))
	}
	t.setState(m, protocol.State(tr.To), extra...)
	t.noteTold(m, tr)
	ev := t.leadEvent(m, tr.At)
	t.attachHint(&ev, m)
	switch {
	case tr.To == policy.HealthStalled:
		ev.Kind, ev.Quiet = policy.LeadStalled, tr.Quiet
	case tr.To == policy.HealthNeedsInput:
		ev.Kind, ev.Prompt = policy.LeadNeedsInput, tr.Prompt
	case tr.Recovered:
		ev.Kind, ev.Was, ev.WasPrompt = policy.LeadRecovered, tr.From, tr.WasPrompt
	}
	if ev.Kind != "" {
		ev.LastLines = m.hs.screen
		t.tellLead(ev)
	}
	t.persist()
}
