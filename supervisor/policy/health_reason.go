package policy

import (
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// prompt is the line that makes the input needs_input: the refusal of its
// idle_notification first, else the prompt on its screen.
func (in HealthInput) prompt() string {
	if in.Refusal != "" {
		return in.Refusal
	}
	return in.Prompt
}

// HealthReason says in words why a teammate with input in is in health h
// (check_teammate's and team_status' health_reason): the prompt or refusal
// of needs_input, the silence and the work of stalled, what made it idle,
// what starting waits for; "" for running. Times are absolute, so that the
// reason stays true between evaluations.
func HealthReason(cfg HealthConfig, in HealthInput, h Health) string {
	cfg = cfg.WithDefaults()
	switch h {
	case HealthNeedsInput:
		if in.Refusal != "" {
			return "its idle_notification says: " + in.Refusal
		}
		return "its screen shows: " + leadOr(in.Prompt, "a prompt")
	case HealthStarting:
		return "its ready screen has not shown yet (counted as started after " + leadDuration(cfg.StartTimeout) + ")"
	case HealthStalled:
		why := "no output since " + reasonTime(in.activity())
		if in.InProgressTasks > 0 {
			why += " with " + leadPlural(in.InProgressTasks, "task") + " in progress"
		}
		if !in.OldestUnread.IsZero() {
			why += ", an unread message since " + reasonTime(in.OldestUnread)
		}
		return why
	case HealthIdle:
		if n := in.IdleNotification; !n.IsZero() && !n.Before(in.StartedAt) &&
			!in.LastOutput.After(n.Add(cfg.IdleGrace)) &&
			(in.OldestUnread.IsZero() || !in.OldestUnread.After(n)) {
			return "it sent an idle_notification at " + reasonTime(n)
		}
		return "no output since " + reasonTime(in.activity()) + " and no work"
	}
	return ""
}

// reasonTime prints a time of a reason.
func reasonTime(t time.Time) string { return protocol.FormatTimestamp(t.Round(time.Second)) }

// Reason returns why the health after the last Update is what it is
// (HealthReason).
func (t *HealthTracker) Reason() string { return t.reason }

// Restore makes the tracker continue from health h with prompt, since
// since, as a previous supervisor of the same process left it (its state
// file): an adopted teammate whose dialog the lead was already told about
// gives no second message while the dialog stays, and "recovered" once it
// goes. The CLI counts as ready.
func (t *HealthTracker) Restore(h Health, prompt string, since time.Time) {
	t.cur, t.prompt, t.since, t.ready = h, prompt, since, true
	if h == HealthNeedsInput {
		t.reason = "its screen shows: " + leadOr(prompt, "a prompt")
	}
}
