package policy

import (
	"math/rand/v2"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// RestartConfig tunes restarts. The zero value gives the documented
// defaults (DESIGN.md "Supervision").
type RestartConfig struct {
	// Policy applies to teammates spawned without a policy of their own
	// (CLAUDE_TEAMS_RESTART). Default never.
	Policy protocol.RestartPolicy
	// InitialBackoff is the delay before the first restart. Default 1 s.
	InitialBackoff time.Duration
	// MaxBackoff caps the delay, which doubles with every failed run in
	// FailureWindow. Default 60 s.
	MaxBackoff time.Duration
	// Jitter, in [0, 1], shortens each delay d by a random share: the
	// delay is drawn uniformly from [(1-Jitter)·d, d], so it never exceeds
	// MaxBackoff and teammates failing together drift apart. Default 0.2;
	// negative means none.
	Jitter float64
	// Rand returns a number in [0, 1) for the jitter. Default
	// math/rand/v2.Float64; tests inject a seeded source.
	Rand func() float64
	// MinRun is the shortest run that is not a failed start. Default 10 s.
	MinRun time.Duration
	// MaxFailures failed runs within FailureWindow make the teammate
	// failed: it stays down and the lead is told once. Default 5;
	// negative means never give up.
	MaxFailures int
	// FailureWindow is how far back failed runs count. Default 10 min.
	FailureWindow time.Duration
	// StartGap is the least time between two restarts of one team, so that
	// teammates failing together do not start in the same instant.
	// Default 750 ms; negative means no spacing.
	StartGap time.Duration
}

// Restart defaults (RestartConfig's zero values).
const (
	DefaultInitialBackoff = time.Second
	DefaultMaxBackoff     = time.Minute
	DefaultRestartJitter  = 0.2
	DefaultMinRun         = 10 * time.Second
	DefaultMaxFailures    = 5
	DefaultFailureWindow  = 10 * time.Minute
	DefaultStartGap       = 750 * time.Millisecond
)

// WithDefaults fills zero fields. It is idempotent: "none" stays negative.
func (c RestartConfig) WithDefaults() RestartConfig {
	if c.Policy == "" {
		c.Policy = protocol.RestartNever
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = DefaultInitialBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxBackoff < c.InitialBackoff {
		c.MaxBackoff = c.InitialBackoff
	}
	switch {
	case c.Jitter == 0:
		c.Jitter = DefaultRestartJitter
	case c.Jitter > 1:
		c.Jitter = 1
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.MinRun <= 0 {
		c.MinRun = DefaultMinRun
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.FailureWindow <= 0 {
		c.FailureWindow = DefaultFailureWindow
	}
	if c.StartGap == 0 {
		c.StartGap = DefaultStartGap
	}
	return c
}

// Backoff returns the delay, before jitter, before the restart that
// follows the n-th failed run in the window: InitialBackoff·2^(n-1), capped
// at MaxBackoff (n < 1 counts as 1).
func (c RestartConfig) Backoff(n int) time.Duration {
	return c.WithDefaults().backoff(n)
}

// backoff is Backoff on a config with defaults.
func (c RestartConfig) backoff(n int) time.Duration {
	d := c.InitialBackoff
	for i := 1; i < n && d < c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.MaxBackoff)
}

// jittered shortens d by a random share of at most Jitter.
func (c RestartConfig) jittered(d time.Duration) time.Duration {
	if c.Jitter <= 0 {
		return d
	}
	r := c.Rand()
	if r < 0 || r >= 1 {
		r = 0
	}
	return d - time.Duration(float64(d)*c.Jitter*r)
}

// RestartExit describes one end of a teammate's process.
type RestartExit struct {
	// Status is the exit status when Signal is empty. Pass -1 when it
	// could not be read: it counts as a failure.
	Status int
	// Signal names the signal that killed the process ("SIGKILL"), if any.
	Signal string
	// Ran is how long the process ran; negative when unknown (a pane that
	// died while nobody supervised), which is never a failed start.
	Ran time.Duration
	// Deliberate marks a stop the lead or a person asked for (force kill,
	// approved shutdown, team delete): never restarted, never a failure.
	Deliberate bool
}

// Clean reports an exit with status 0 and no signal.
func (e RestartExit) Clean() bool { return e.Signal == "" && e.Status == 0 }

// RestartDecision is what to do after an exit.
type RestartDecision struct {
	// State is the teammate's state from now on: protocol.StateStopped
	// (deliberate), protocol.StateExited (clean, not restarted), protocol.StateCrashed
	// (failure, not restarted), protocol.StateRestarting or protocol.StateFailed (gave up).
	State protocol.State
	// Restart says to start the teammate again at At (Delay from the
	// exit; through TeamRestarts, At is already staggered).
	Restart bool
	At      time.Time
	Delay   time.Duration
	// GaveUp is true exactly once, on the exit that made the teammate
	// failed: tell the lead, then leave it down.
	GaveUp bool
	// Failure says this run counted as failed; FailedStart that it was
	// because it ran shorter than MinRun.
	Failure, FailedStart bool
	// Failures is the number of failed runs in the window, this one
	// included; Restarts the restarts made before this exit.
	Failures, Restarts int
}

// RestartState is a tracker's state, for the supervisor's state file so that
// a new owner after a takeover continues the same count.
type RestartState struct {
	Restarts      int         `json:"restarts"`
	FailureTimes  []time.Time `json:"failure_times,omitempty"`
	Failed        bool        `json:"failed,omitempty"`
	NextRestartAt time.Time   `json:"next_restart_at,omitzero"`
}

// RestartTracker applies the restart policy to one teammate. It is pure
// (every method takes the time) and owned by the team's owner loop; it is
// not safe for concurrent use.
type RestartTracker struct {
	cfg      RestartConfig
	policy   protocol.RestartPolicy
	failures []time.Time // exit times of failed runs, oldest first
	restarts int
	failed   bool
	next     time.Time // pending restart; zero when none
}

// NewRestartTracker returns a tracker for a teammate with policy p ("" =
// cfg.Policy).
func NewRestartTracker(p protocol.RestartPolicy, cfg RestartConfig) *RestartTracker {
	return RestoreRestartTracker(p, cfg, RestartState{})
}

// RestoreRestartTracker returns a tracker that continues from a saved state.
func RestoreRestartTracker(p protocol.RestartPolicy, cfg RestartConfig, st RestartState) *RestartTracker {
	cfg = cfg.WithDefaults()
	if p == "" {
		p = cfg.Policy
	}
	return &RestartTracker{
		cfg:      cfg,
		policy:   p,
		failures: append([]time.Time(nil), st.FailureTimes...),
		restarts: st.Restarts,
		failed:   st.Failed,
		next:     st.NextRestartAt,
	}
}

// State returns the tracker's state for saving.
func (t *RestartTracker) State() RestartState {
	return RestartState{
		Restarts:      t.restarts,
		FailureTimes:  append([]time.Time(nil), t.failures...),
		Failed:        t.failed,
		NextRestartAt: t.next,
	}
}

// Policy returns the teammate's policy.
func (t *RestartTracker) Policy() protocol.RestartPolicy { return t.policy }

// SetPolicy changes the teammate's policy ("" = the configured default).
func (t *RestartTracker) SetPolicy(p protocol.RestartPolicy) {
	if p == "" {
		p = t.cfg.Policy
	}
	t.policy = p
}

// Exited applies the policy to an exit at time now.
func (t *RestartTracker) Exited(now time.Time, e RestartExit) RestartDecision {
	t.next = time.Time{}
	t.prune(now)
	d := RestartDecision{Restarts: t.restarts}
	switch {
	case e.Deliberate:
		d.State, d.Failures = protocol.StateStopped, len(t.failures)
		return d
	case t.failed:
		d.State, d.Failures = protocol.StateFailed, len(t.failures)
		return d
	}
	clean := e.Clean()
	restart := t.policy == protocol.RestartAlways || (t.policy == protocol.RestartOnFailure && !clean)
	short := e.Ran >= 0 && e.Ran < t.cfg.MinRun
	// A clean exit is a failure only when it is going to be restarted
	// (always) and came too soon: that is a start that did not take.
	d.Failure = !clean || (restart && short)
	d.FailedStart = d.Failure && short
	if d.Failure {
		t.failures = append(t.failures, now)
	}
	d.Failures = len(t.failures)
	switch {
	case !restart && clean:
		d.State = protocol.StateExited
	case !restart:
		d.State = protocol.StateCrashed
	case d.Failure && t.cfg.MaxFailures > 0 && d.Failures >= t.cfg.MaxFailures:
		t.failed = true
		d.State, d.GaveUp = protocol.StateFailed, true
	default:
		d.State, d.Restart = protocol.StateRestarting, true
		d.Delay = t.cfg.jittered(t.cfg.backoff(d.Failures))
		d.At = now.Add(d.Delay)
		t.next = d.At
	}
	return d
}

// Restarted records that the teammate was started again (automatically or
// by hand) at now.
func (t *RestartTracker) Restarted(now time.Time) {
	t.restarts++
	t.next = time.Time{}
}

// Revive prepares a manual restart: a failed teammate may run again, and
// the failure window starts afresh.
func (t *RestartTracker) Revive() {
	t.failed = false
	t.failures = nil
	t.next = time.Time{}
}

// Cancel drops a pending restart (the teammate was stopped meanwhile).
func (t *RestartTracker) Cancel() { t.next = time.Time{} }

// NextRestartAt is when the pending restart is due (status JSON
// next_restart_at); zero when none is pending.
func (t *RestartTracker) NextRestartAt() time.Time { return t.next }

// Failures returns the failed runs within the window ending at now (status
// JSON failures).
func (t *RestartTracker) Failures(now time.Time) int {
	t.prune(now)
	return len(t.failures)
}

// Restarts returns how many times the teammate was started again.
func (t *RestartTracker) Restarts() int { return t.restarts }

// Failed reports whether the tracker gave up.
func (t *RestartTracker) Failed() bool { return t.failed }

// prune forgets failures older than the window. A failed teammate keeps its
// count: it stays failed until revived.
func (t *RestartTracker) prune(now time.Time) {
	if t.failed {
		return
	}
	cut := now.Add(-t.cfg.FailureWindow)
	i := 0
	for i < len(t.failures) && !t.failures[i].After(cut) {
		i++
	}
	t.failures = t.failures[i:]
}
