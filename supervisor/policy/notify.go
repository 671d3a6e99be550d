package policy

import (
	"strconv"
	"strings"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// LeadEventKind names a transition the lead is told about.
type LeadEventKind string

// The transitions worth a message to the lead.
const (
	// LeadCrashed: exit status ≠ 0 or a signal (restarting or not).
	LeadCrashed LeadEventKind = "crashed"
	// LeadExited: status 0; set WillRestart under the always policy.
	LeadExited LeadEventKind = "exited"
	// LeadRestarted: a new process runs in a new pane.
	LeadRestarted LeadEventKind = "restarted"
	// LeadFailed: the restart policy gave up (RestartDecision.GaveUp);
	// send it instead of LeadCrashed for that exit.
	LeadFailed LeadEventKind = "failed"
	// LeadStalled: health went to stalled.
	LeadStalled LeadEventKind = "stalled"
	// LeadNeedsInput: health went to needs_input (or the prompt changed).
	LeadNeedsInput LeadEventKind = "needs_input"
	// LeadRecovered: health left stalled or needs_input
	// (HealthTransition.Recovered).
	LeadRecovered LeadEventKind = "recovered"
)

// LeadEvent is one transition of one teammate with the facts for the
// message. Fields that do not apply to the kind stay zero.
type LeadEvent struct {
	Kind LeadEventKind
	// Agent is the teammate's name: the message comes from it.
	Agent string
	At    time.Time
	// Deliberate marks a transition the lead caused (force kill, approved
	// shutdown, team delete, restart_teammate): it gets no message, and it
	// drops what was held back for that teammate.
	Deliberate bool

	// Exit facts (crashed, exited, failed).
	ExitStatus  *int
	Signal      string
	Ran         time.Duration // 0 = unknown
	WillRestart bool
	RestartIn   time.Duration
	Policy      protocol.RestartPolicy
	Restarts    int
	Failures    int
	// FreshStart (restarted) says why the new process starts a new
	// conversation although the old one was to be resumed ("its resumed
	// process ended within 10s of its start 2 times in a row").
	FreshStart string
	// Resumed (restarted) says the new process continues the teammate's
	// conversation.
	Resumed bool

	// Health facts.
	Prompt string        // needs_input: the prompt line
	Quiet  time.Duration // stalled: time without output
	Was    Health        // recovered: the state it left
	// WasPrompt (recovered from needs_input) is the prompt it left: a
	// provider's retry line ends both when the provider answers and when
	// the CLI gives up, so that recovery is told as "stopped retrying".
	WasPrompt string

	// Context for the body.
	PaneID    string
	Tasks     []string // tasks it owns in progress, e.g. "#3 Write the parser"
	Unread    int      // unread messages in its inbox
	LastLines string   // last lines of its output, readable text

	// Backend is its agent CLI: it picks the advice for a dialog.
	Backend string
	// Attach is the command that shows a person the teammate's pane
	// ("claude-teams supervisor attach --team T"), Target where the pane
	// is in tmux ("%3 in session T of the tmux server at <socket>"); both
	// go in stalled and needs_input messages.
	Attach, Target string
	// RestartError says why a restart could not start its pane (the
	// exit facts above stay those of the last run).
	RestartError string
}

// LeadMessage is a message to append to the team lead's inbox: From goes in
// "from", Summary in "summary", Text in "text".
type LeadMessage struct {
	From, Summary, Text string
	// At is when the policy released it.
	At time.Time
	// Events is how many events it reports (more than one when held-back
	// events were coalesced).
	Events int
}

// NotifyConfig tunes the lead notification policy. The zero value gives the
// defaults.
type NotifyConfig struct {
	// Burst is how many messages may go out at once (token bucket size).
	// Default 5 (CLAUDE_TEAMS_NOTIFY_BURST).
	Burst int
	// Every is the time that earns one more message. Default 30 s
	// (CLAUDE_TEAMS_NOTIFY_EVERY).
	Every time.Duration
	// SummaryFrom is the sender of a coalesced message about several
	// teammates. Default "claude-teams".
	SummaryFrom string
	// LastLines caps the output lines quoted in a body. Default 15.
	LastLines int
	// MaxListed caps the event lines of a coalesced message. Default 40.
	MaxListed int
}

// Notification defaults (NotifyConfig's zero values).
const (
	DefaultNotifyBurst       = 5
	DefaultNotifyEvery       = 30 * time.Second
	DefaultNotifySummaryFrom = "claude-teams"
	DefaultNotifyLastLines   = 15
	DefaultNotifyMaxListed   = 40
)

// WithDefaults returns c with zero fields set to the defaults.
func (c NotifyConfig) WithDefaults() NotifyConfig {
	if c.Burst <= 0 {
		c.Burst = DefaultNotifyBurst
	}
	if c.Every <= 0 {
		c.Every = DefaultNotifyEvery
	}
	if c.SummaryFrom == "" {
		c.SummaryFrom = DefaultNotifySummaryFrom
	}
	if c.LastLines <= 0 {
		c.LastLines = DefaultNotifyLastLines
	}
	if c.MaxListed <= 0 {
		c.MaxListed = DefaultNotifyMaxListed
	}
	return c
}

// capacity is the bucket size in time.
func (c NotifyConfig) capacity() time.Duration { return time.Duration(c.Burst) * c.Every }

// LeadNotifier decides which transitions become lead messages, and when.
// One per team; pure (times come from the events and from Flush) and owned
// by the team's owner loop, not safe for concurrent use.
//
// The rules:
//   - one message per event, from the teammate;
//   - deduplication: an event identical to the last one accepted for the
//     same teammate (same kind, exit status, signal, restart count, prompt)
//     is dropped — the same exit seen twice, a stall re-evaluated;
//   - deliberate events make no message and drop what is held back for
//     that teammate;
//   - rate limit per team: a token bucket of Burst messages refilled at one
//     per Every. An event that finds the bucket empty is held, never lost:
//     every event held meanwhile is coalesced into one message released as
//     soon as a token is back (NextFlush says when; Flush or the next
//     Notify releases it). So the lead gets at most Burst + elapsed/Every
//     messages, and every event is in one of them.
//
// Wiring: call Notify for each transition and send what it returns; arm a
// timer for NextFlush whenever it reports true, and on expiry send what
// Flush returns.
type LeadNotifier struct {
	cfg NotifyConfig
	// credit is the bucket's content in time: one message costs Every, the
	// bucket holds Burst·Every. Integer arithmetic keeps NextFlush exact.
	credit  time.Duration
	refill  time.Time // when credit was last brought up to date
	last    map[string]string
	pending []LeadEvent
}

// NewLeadNotifier returns a notifier whose bucket starts full.
func NewLeadNotifier(cfg NotifyConfig) *LeadNotifier {
	cfg = cfg.WithDefaults()
	return &LeadNotifier{cfg: cfg, credit: cfg.capacity(), last: map[string]string{}}
}

// Notify takes one event and returns the messages to send now (none, one,
// or one that also carries held-back events).
func (n *LeadNotifier) Notify(ev LeadEvent) []LeadMessage {
	if ev.Deliberate {
		delete(n.last, ev.Agent)
		kept := n.pending[:0]
		for _, p := range n.pending {
			if p.Agent != ev.Agent {
				kept = append(kept, p)
			}
		}
		n.pending = kept
		return nil
	}
	key := leadDedupKey(ev)
	if n.last[ev.Agent] == key {
		return nil
	}
	n.last[ev.Agent] = key
	n.pending = append(n.pending, ev)
	return n.Flush(ev.At)
}

// Flush releases held-back events if a token is available at now.
func (n *LeadNotifier) Flush(now time.Time) []LeadMessage {
	if len(n.pending) == 0 {
		return nil
	}
	n.refillAt(now)
	if n.credit < n.cfg.Every {
		return nil
	}
	n.credit -= n.cfg.Every
	evs := n.pending
	n.pending = nil
	return []LeadMessage{n.compose(evs, now)}
}

// Drain releases every held-back event now, in one message, whatever the
// bucket holds: for a supervisor that is going away, so that no event is
// lost. It returns nothing when nothing is held.
func (n *LeadNotifier) Drain(now time.Time) []LeadMessage {
	if len(n.pending) == 0 {
		return nil
	}
	evs := n.pending
	n.pending = nil
	return []LeadMessage{n.compose(evs, now)}
}

// NextFlush returns when held-back events can go out; false when nothing
// is held.
func (n *LeadNotifier) NextFlush() (time.Time, bool) {
	if len(n.pending) == 0 {
		return time.Time{}, false
	}
	if n.credit >= n.cfg.Every {
		return n.refill, true
	}
	return n.refill.Add(n.cfg.Every - n.credit), true
}

// Pending returns how many events are held back.
func (n *LeadNotifier) Pending() int { return len(n.pending) }

// refillAt brings the bucket up to date; time never goes back.
func (n *LeadNotifier) refillAt(now time.Time) {
	if n.refill.IsZero() {
		n.refill = now
		return
	}
	if !now.After(n.refill) {
		return
	}
	n.credit = min(n.credit+now.Sub(n.refill), n.cfg.capacity())
	n.refill = now
}

// compose makes one message of one or more events.
func (n *LeadNotifier) compose(evs []LeadEvent, now time.Time) LeadMessage {
	if len(evs) == 1 {
		ev := evs[0]
		return LeadMessage{From: ev.Agent, Summary: leadSummary(ev), Text: n.eventBody(ev), At: now, Events: 1}
	}
	return n.coalesce(evs, now)
}

// leadDedupKey identifies an event for deduplication: what happened, not when.
func leadDedupKey(ev LeadEvent) string {
	var b strings.Builder
	b.WriteString(string(ev.Kind))
	b.WriteByte('|')
	if ev.ExitStatus != nil {
		b.WriteString(strconv.Itoa(*ev.ExitStatus))
	}
	b.WriteByte('|')
	b.WriteString(ev.Signal)
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(ev.Restarts))
	b.WriteByte('|')
	b.WriteString(ev.Prompt)
	b.WriteByte('|')
	b.WriteString(string(ev.Was))
	return b.String()
}
