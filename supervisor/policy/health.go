package policy

import (
	"time"

	"github.com/f9449b24/claude-teams/backends"
)

// Health is what a live teammate is doing, derived from events (output,
// inbox, tasks, the rendered screen), never from polling the agent. Its
// values are the live states of DESIGN.md, so State(h) is the teammate's
// state while its process runs.
type Health string

// The health values.
const (
	// HealthStarting: the CLI has not yet drawn its ready screen.
	HealthStarting Health = "starting"
	// HealthRunning: working, or at least not known to be anything else.
	HealthRunning Health = "running"
	// HealthIdle: it said so (idle_notification), or it is quiet with no
	// work.
	HealthIdle Health = "idle"
	// HealthStalled: quiet for StallAfter while it has work.
	HealthStalled Health = "stalled"
	// HealthNeedsInput: its screen shows a prompt waiting for a person.
	HealthNeedsInput Health = "needs_input"
)

// HealthConfig holds the thresholds; cmd sets them from the environment
// variables named below. The zero value gives the defaults.
type HealthConfig struct {
	// StallAfter: no output for this long while the teammate owns an
	// in_progress task, or has an unread message at least this old, is
	// stalled (CLAUDE_TEAMS_STALL_AFTER). Default 10 min.
	StallAfter time.Duration
	// IdleAfter: no output for this long with no task in progress and no
	// unread message is idle (CLAUDE_TEAMS_IDLE_AFTER). Default 30 s.
	IdleAfter time.Duration
	// StartTimeout: a CLI whose ready screen was never recognised counts
	// as running after this long, so a changed screen cannot leave it
	// starting for ever (CLAUDE_TEAMS_START_TIMEOUT). Default 60 s.
	StartTimeout time.Duration
	// IdleGrace: output up to this long after an idle_notification (the
	// CLI redrawing its prompt) does not cancel the idleness. Default 5 s.
	IdleGrace time.Duration
	// ScreenSettle: the supervisor captures the screen to look for
	// prompts once output has paused this long; a prompt is drawn and
	// then waits. Default 1 s.
	ScreenSettle time.Duration
	// BusyScreenEvery: a pane whose output never pauses (a spinner drawn
	// under a dialog) has its screen read anyway, at most once per this
	// long, so that dialog detection does not depend on silence. Default
	// 3 s.
	BusyScreenEvery time.Duration
	// BusyScreenRate caps those busy-pane reads for the whole process, in
	// reads per second (a token bucket holding as many): with many busy
	// teammates each is read less often. Default 20.
	BusyScreenRate int
}

// Health defaults (HealthConfig's zero values).
const (
	DefaultStallAfter   = 10 * time.Minute
	DefaultIdleAfter    = 30 * time.Second
	DefaultStartTimeout = time.Minute
	DefaultIdleGrace    = 5 * time.Second
	DefaultScreenSettle = time.Second
	DefaultBusyEvery    = 3 * time.Second
	DefaultBusyRate     = 20
)

// WithDefaults returns c with zero fields set to the defaults.
func (c HealthConfig) WithDefaults() HealthConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.StallAfter, DefaultStallAfter)
	def(&c.IdleAfter, DefaultIdleAfter)
	def(&c.StartTimeout, DefaultStartTimeout)
	def(&c.IdleGrace, DefaultIdleGrace)
	def(&c.ScreenSettle, DefaultScreenSettle)
	def(&c.BusyScreenEvery, DefaultBusyEvery)
	if c.BusyScreenRate <= 0 {
		c.BusyScreenRate = DefaultBusyRate
	}
	return c
}

// HealthInput is everything health depends on, for one teammate's current
// run. Zero times mean "none".
type HealthInput struct {
	// Now is the time of the evaluation.
	Now time.Time
	// StartedAt is when the current process started; for a re-adopted
	// pane, when this supervisor started watching it (its output before
	// that was not seen).
	StartedAt time.Time
	// LastOutput is the last %output of the current pane.
	LastOutput time.Time
	// IdleNotification is when the teammate last sent an
	// idle_notification (native Claude Code teammates), in this run.
	IdleNotification time.Time
	// InProgressTasks counts the tasks it owns that are in_progress.
	InProgressTasks int
	// OldestUnread is the timestamp of the oldest unread message in its
	// inbox.
	OldestUnread time.Time
	// Ready: the screen has shown the backend's ready pattern in this run
	// (HealthTracker remembers it once seen).
	Ready bool
	// NeedsInput: the last captured screen shows a prompt, Prompt is its
	// line (see ScreenHealth).
	NeedsInput bool
	Prompt     string
	// Refusal is the auto-mode refusal line of its latest
	// idle_notification in this run (AutoModeRefusal): it needs a person
	// as much as a dialog does, whatever the screen shows.
	Refusal string
}

// activity is the last sign of life: output, or the start itself.
func (in HealthInput) activity() time.Time {
	if in.LastOutput.After(in.StartedAt) {
		return in.LastOutput
	}
	return in.StartedAt
}

// hasWork reports an in_progress task or an unread message.
func (in HealthInput) hasWork() bool {
	return in.InProgressTasks > 0 || !in.OldestUnread.IsZero()
}

// DeriveHealth computes a teammate's health. In order: a prompt on screen
// is needs_input; before the ready screen (and StartTimeout) it is
// starting; quiet for StallAfter with an in_progress task, or with an
// unread message at least StallAfter old, it is stalled; after an
// idle_notification not followed by output (beyond IdleGrace) or by a new
// message, or quiet for IdleAfter with no work, it is idle; otherwise
// running.
func DeriveHealth(cfg HealthConfig, in HealthInput) Health {
	cfg = cfg.WithDefaults()
	if in.NeedsInput || in.Refusal != "" {
		return HealthNeedsInput
	}
	if !in.Ready && in.Now.Sub(in.StartedAt) < cfg.StartTimeout {
		return HealthStarting
	}
	quiet := in.Now.Sub(in.activity())
	if quiet >= cfg.StallAfter {
		if in.InProgressTasks > 0 {
			return HealthStalled
		}
		if !in.OldestUnread.IsZero() && in.Now.Sub(in.OldestUnread) >= cfg.StallAfter {
			return HealthStalled
		}
	}
	if n := in.IdleNotification; !n.IsZero() && !n.Before(in.StartedAt) &&
		!in.LastOutput.After(n.Add(cfg.IdleGrace)) &&
		(in.OldestUnread.IsZero() || !in.OldestUnread.After(n)) {
		return HealthIdle
	}
	if quiet >= cfg.IdleAfter && !in.hasWork() {
		return HealthIdle
	}
	return HealthRunning
}

// NextHealthCheck returns when DeriveHealth could next give another answer
// with the same inputs (a threshold being crossed), so the owner loop can
// arm a timer instead of polling; zero when no threshold lies ahead. Any
// new input (output, a message, a task change, a screen) also calls for a
// new evaluation.
func NextHealthCheck(cfg HealthConfig, in HealthInput) time.Time {
	cfg = cfg.WithDefaults()
	var next time.Time
	consider := func(t time.Time) {
		if t.After(in.Now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if !in.Ready {
		consider(in.StartedAt.Add(cfg.StartTimeout))
	}
	act := in.activity()
	consider(act.Add(cfg.IdleAfter))
	consider(act.Add(cfg.StallAfter))
	if !in.OldestUnread.IsZero() {
		consider(in.OldestUnread.Add(cfg.StallAfter))
	}
	return next
}

// ScreenHealth reads a captured screen with the backend's patterns: whether
// the CLI looks ready, and the prompt line when it waits for input.
func ScreenHealth(backend, screen string) (ready bool, prompt string, needsInput bool) {
	p := backends.Screens(backend)
	prompt, needsInput = p.MatchNeedsInput(screen)
	return p.MatchReady(screen), prompt, needsInput
}

// HealthTransition is one change of a teammate's health.
type HealthTransition struct {
	From, To Health
	At       time.Time
	// Prompt is the screen's prompt line when To is needs_input.
	Prompt string
	// Quiet is how long the teammate had been silent (for stalled).
	Quiet time.Duration
	// Recovered: it left stalled or needs_input for a healthy state.
	Recovered bool
	// WasPrompt is the prompt line of the needs_input it left (Recovered).
	WasPrompt string
	// Reason says why it is in To (see HealthReason).
	Reason string
}

// HealthTracker follows one teammate's health across evaluations and
// reports transitions. Owned by the owner loop; not safe for concurrent
// use.
type HealthTracker struct {
	cfg    HealthConfig
	cur    Health
	prompt string
	reason string
	ready  bool
	since  time.Time
	// unreachableAt: when a provider's retry line was last seen
	// (holdUnreachable).
	unreachableAt time.Time
}

// NewHealthTracker returns a tracker for a run starting at startedAt.
func NewHealthTracker(cfg HealthConfig, startedAt time.Time) *HealthTracker {
	return &HealthTracker{cfg: cfg.WithDefaults(), cur: HealthStarting, since: startedAt}
}

// Current returns the health after the last Update, and since when.
func (t *HealthTracker) Current() (Health, time.Time) { return t.cur, t.since }

// Update evaluates the input (remembering a ready screen once seen) and
// reports a transition when the health changed, or when a different
// prompt replaced the one on screen.
func (t *HealthTracker) Update(in HealthInput) (HealthTransition, bool) {
	if in.Ready {
		t.ready = true
	}
	in.Ready = t.ready
	t.holdUnreachable(&in)
	h := DeriveHealth(t.cfg, in)
	prompt := ""
	if h == HealthNeedsInput {
		prompt = in.prompt()
	}
	t.reason = HealthReason(t.cfg, in, h)
	if h == t.cur && prompt == t.prompt {
		return HealthTransition{}, false
	}
	tr := HealthTransition{From: t.cur, To: h, At: in.Now, Prompt: prompt, Reason: t.reason}
	if h == HealthStalled {
		tr.Quiet = in.Now.Sub(in.activity())
	}
	tr.Recovered = healthTellsLead(t.cur) && !healthTellsLead(h)
	if tr.Recovered && t.cur == HealthNeedsInput {
		tr.WasPrompt = t.prompt
	}
	t.cur, t.prompt, t.since = h, prompt, in.Now
	return tr, true
}

// healthTellsLead reports the states the lead is told about.
func healthTellsLead(h Health) bool { return h == HealthStalled || h == HealthNeedsInput }

// ReadBudget is a token bucket for screen reads of busy panes: rate reads
// a second, as many at once. Pure (times come from the caller); not safe
// for concurrent use.
type ReadBudget struct {
	cost   time.Duration // time that earns one read
	credit time.Duration // at most one second
	at     time.Time
}

// NewReadBudget returns a full bucket of rate reads a second (rate <= 0
// means DefaultBusyRate).
func NewReadBudget(rate int) *ReadBudget {
	if rate <= 0 {
		rate = DefaultBusyRate
	}
	return &ReadBudget{cost: time.Second / time.Duration(rate), credit: time.Second}
}

// Take spends one read at now, reporting false when the bucket is empty.
func (b *ReadBudget) Take(now time.Time) bool {
	if !b.at.IsZero() && now.After(b.at) {
		b.credit = min(b.credit+now.Sub(b.at), time.Second)
	}
	if b.at.IsZero() || now.After(b.at) {
		b.at = now
	}
	if b.credit < b.cost {
		return false
	}
	b.credit -= b.cost
	return true
}
