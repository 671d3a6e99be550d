package policy

import (
	"sort"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// TeamRestarts holds the restart trackers of one team's teammates and
// staggers their restarts: no two restarts are planned closer together than
// StartGap, so teammates that crash together come back one after another.
// It is pure and owned by the team's owner loop (not safe for concurrent
// use).
//
// Wiring: on every exit call Exited and, when the decision says Restart,
// arm one timer for NextDue; when it fires, start each agent Due returns and
// call Restarted (or Exited again, with Status -1 and Ran 0, when the start
// itself failed). restart_teammate calls Manual and proceeds the same way.
type TeamRestarts struct {
	cfg    RestartConfig
	mates  map[string]*RestartTracker
	recent []time.Time // starts already made, kept for StartGap
}

// NewTeamRestarts returns an empty set with the given configuration.
func NewTeamRestarts(cfg RestartConfig) *TeamRestarts {
	return &TeamRestarts{cfg: cfg.WithDefaults(), mates: map[string]*RestartTracker{}}
}

// Track registers a teammate with its policy ("" = the configured default)
// or changes the policy of a known one, and returns its tracker.
func (r *TeamRestarts) Track(agent string, p protocol.RestartPolicy) *RestartTracker {
	if t, ok := r.mates[agent]; ok {
		t.SetPolicy(p)
		return t
	}
	t := NewRestartTracker(p, r.cfg)
	r.mates[agent] = t
	return t
}

// Restore registers a teammate whose state was saved by an earlier owner.
func (r *TeamRestarts) Restore(agent string, p protocol.RestartPolicy, st RestartState) *RestartTracker {
	t := RestoreRestartTracker(p, r.cfg, st)
	r.mates[agent] = t
	return t
}

// Tracker returns a teammate's tracker, nil when unknown.
func (r *TeamRestarts) Tracker(agent string) *RestartTracker { return r.mates[agent] }

// Forget drops a teammate (removed from the team).
func (r *TeamRestarts) Forget(agent string) { delete(r.mates, agent) }

// Exited applies the teammate's policy to an exit at now (an unknown
// teammate is tracked with the default policy). A restart's At is moved to
// the first slot at least StartGap away from every other planned or recent
// restart; Delay is then the whole wait from now.
func (r *TeamRestarts) Exited(agent string, now time.Time, e RestartExit) RestartDecision {
	t := r.mates[agent]
	if t == nil {
		t = r.Track(agent, "")
	}
	d := t.Exited(now, e)
	if d.Restart {
		d.At = r.slot(agent, d.At, now)
		d.Delay = d.At.Sub(now)
		t.next = d.At
	}
	return d
}

// Manual prepares restart_teammate for an agent: revives it if failed and
// returns when to start it (now, or later by the stagger). It reports false
// for an unknown agent.
func (r *TeamRestarts) Manual(agent string, now time.Time) (time.Time, bool) {
	t := r.mates[agent]
	if t == nil {
		return time.Time{}, false
	}
	t.Revive()
	t.next = r.slot(agent, now, now)
	return t.next, true
}

// Restarted records that an agent was started again at now.
func (r *TeamRestarts) Restarted(agent string, now time.Time) {
	if t := r.mates[agent]; t != nil {
		t.Restarted(now)
	}
	r.recent = append(r.recent, now)
}

// Cancel drops an agent's pending restart.
func (r *TeamRestarts) Cancel(agent string) {
	if t := r.mates[agent]; t != nil {
		t.Cancel()
	}
}

// Due returns the agents whose restart is due at now, earliest first (ties
// by name). They stay due until Restarted, Exited or Cancel.
func (r *TeamRestarts) Due(now time.Time) []string {
	var due []string
	for a, t := range r.mates {
		if !t.next.IsZero() && !t.next.After(now) {
			due = append(due, a)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		ti, tj := r.mates[due[i]].next, r.mates[due[j]].next
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return due[i] < due[j]
	})
	return due
}

// NextDue returns the earliest pending restart, for the owner loop's timer.
func (r *TeamRestarts) NextDue() (time.Time, bool) {
	var next time.Time
	for _, t := range r.mates {
		if !t.next.IsZero() && (next.IsZero() || t.next.Before(next)) {
			next = t.next
		}
	}
	return next, !next.IsZero()
}

// slot returns the earliest time ≥ want that is at least StartGap away from
// every restart planned for another agent and every start made recently.
func (r *TeamRestarts) slot(agent string, want, now time.Time) time.Time {
	gap := r.cfg.StartGap
	if gap <= 0 {
		return want
	}
	r.pruneRecent(now)
	taken := append([]time.Time(nil), r.recent...)
	for a, t := range r.mates {
		if a != agent && !t.next.IsZero() {
			taken = append(taken, t.next)
		}
	}
	sort.Slice(taken, func(i, j int) bool { return taken[i].Before(taken[j]) })
	at := want
	for _, x := range taken {
		if !x.After(at.Add(-gap)) {
			continue // far enough before
		}
		if !x.Before(at.Add(gap)) {
			break // this one and all later are far enough after
		}
		at = x.Add(gap)
	}
	return at
}

// pruneRecent forgets starts older than StartGap.
func (r *TeamRestarts) pruneRecent(now time.Time) {
	cut := now.Add(-r.cfg.StartGap)
	i := 0
	for i < len(r.recent) && !r.recent[i].After(cut) {
		i++
	}
	r.recent = r.recent[i:]
}
