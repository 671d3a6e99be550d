package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/internal/fakeclock"
)

func exitStatus(n int) *int { return &n }

func TestLeadSummaries(t *testing.T) {
	tests := []struct {
		ev   LeadEvent
		want string
	}{
		{LeadEvent{Kind: LeadCrashed, Agent: "w1", ExitStatus: exitStatus(3), WillRestart: true, RestartIn: 2 * time.Second, Policy: protocol.RestartOnFailure},
			"w1 crashed (exit 3), restarting in 2s"},
		{LeadEvent{Kind: LeadCrashed, Agent: "w1", Signal: "SIGSEGV", Policy: protocol.RestartNever},
			"w1 crashed (signal SIGSEGV), not restarting (restart policy never)"},
		{LeadEvent{Kind: LeadCrashed, Agent: "w1", ExitStatus: exitStatus(-1)},
			"w1 crashed (exit status unknown)"},
		{LeadEvent{Kind: LeadExited, Agent: "w2", ExitStatus: exitStatus(0), Policy: protocol.RestartOnFailure},
			"w2 exited (exit 0)"},
		{LeadEvent{Kind: LeadExited, Agent: "w2", ExitStatus: exitStatus(0), WillRestart: true, RestartIn: 800 * time.Millisecond},
			"w2 exited (exit 0), restarting in 800ms"},
		{LeadEvent{Kind: LeadRestarted, Agent: "w1", Restarts: 2}, "w1 restarted (restart 2)"},
		{LeadEvent{Kind: LeadFailed, Agent: "w1", ExitStatus: exitStatus(3), Failures: 5},
			"w1 failed: 5 failed runs, last exit 3; not restarting"},
		{LeadEvent{Kind: LeadStalled, Agent: "w3", Quiet: 12*time.Minute + 3*time.Second, Tasks: []string{"#4 Parser"}, Unread: 2},
			"w3 stalled: no output for 12m3s with 1 task in progress and 2 unread messages"},
		{LeadEvent{Kind: LeadStalled, Agent: "w3", Quiet: 10 * time.Minute}, "w3 stalled: no output for 10m"},
		{LeadEvent{Kind: LeadNeedsInput, Agent: "w4", Prompt: "Do you want to proceed?"}, "w4 needs input: Do you want to proceed?"},
		{LeadEvent{Kind: LeadNeedsInput, Agent: "w4"}, "w4 needs input: a prompt on its screen"},
		{LeadEvent{Kind: LeadRecovered, Agent: "w4", Was: HealthNeedsInput}, "w4 recovered (was needs input)"},
		{LeadEvent{Kind: LeadRecovered, Agent: "w4"}, "w4 recovered"},
		// A provider's retry line ends when it answers and when the CLI gives up.
		{LeadEvent{Kind: LeadRecovered, Agent: "w4", Was: HealthNeedsInput, WasPrompt: "provider unreachable: upstream unavailable"},
			"w4 stopped retrying (was provider unreachable: upstream unavailable)"},
		{LeadEvent{Kind: LeadRecovered, Agent: "w4", Was: HealthNeedsInput, WasPrompt: "Permission required"}, "w4 recovered (was needs input)"},
	}
	for _, tc := range tests {
		if got := leadSummary(tc.ev); got != tc.want {
			t.Errorf("leadSummary(%s) = %q, want %q", tc.ev.Kind, got, tc.want)
		}
	}
	long := leadSummary(LeadEvent{Kind: LeadNeedsInput, Agent: "w", Prompt: strings.Repeat("p", 500)})
	if n := len([]rune(long)); n != leadMaxSummary {
		t.Errorf("long summary has %d runes, want %d", n, leadMaxSummary)
	}
}

func TestLeadDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                            "0s",
		850 * time.Millisecond:                  "850ms",
		time.Second:                             "1s",
		1600 * time.Millisecond:                 "2s",
		90 * time.Second:                        "1m30s",
		12 * time.Minute:                        "12m",
		time.Hour + 5*time.Minute + 9e9:         "1h5m",
		2 * time.Hour:                           "2h",
		59*time.Minute + 59*time.Second:         "59m59s",
		59*time.Minute + 59500*time.Millisecond: "1h",
	} {
		if got := leadDuration(d); got != want {
			t.Errorf("leadDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLeadMessageBody(t *testing.T) {
	n := NewLeadNotifier(NotifyConfig{LastLines: 3})
	var out []string
	for i := 1; i <= 10; i++ {
		out = append(out, fmt.Sprintf("line %d   ", i))
	}
	msgs := n.Notify(LeadEvent{
		Kind: LeadCrashed, Agent: "w1", At: clockEpoch, ExitStatus: exitStatus(3), Ran: 4 * time.Second,
		WillRestart: true, RestartIn: 2 * time.Second, Policy: protocol.RestartOnFailure, Restarts: 1, Failures: 2,
		PaneID: "%12", Tasks: []string{"#3 Write the parser"}, Unread: 1,
		LastLines: strings.Join(out, "\n") + "\n\n",
	})
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "w1" || m.Summary != "w1 crashed (exit 3), restarting in 2s" || m.Events != 1 || !m.At.Equal(clockEpoch) {
		t.Fatalf("message %+v", m)
	}
	want := `w1 crashed (exit 3), restarting in 2s.

exit status: 3
ran for: 4s
restarts so far: 1
recent failed runs: 2
restart policy: on-failure
next restart: in 2s (2026-11-21T12:00:02Z)
pane: %12
tasks in progress: #3 Write the parser
unread messages: 1

last output:
    line 8
    line 9
    line 10`
	if m.Text != want {
		t.Fatalf("text:\n%s\nwant:\n%s", m.Text, want)
	}

	n = NewLeadNotifier(NotifyConfig{})
	m = n.Notify(LeadEvent{Kind: LeadFailed, Agent: "w2", At: clockEpoch, Signal: "SIGKILL", Failures: 5, Restarts: 4})[0]
	for _, s := range []string{"signal: SIGKILL", "restarts so far: 4", "recent failed runs: 5", "It stays down", "restart_teammate"} {
		if !strings.Contains(m.Text, s) {
			t.Errorf("failed body lacks %q:\n%s", s, m.Text)
		}
	}
	m = n.Notify(LeadEvent{Kind: LeadNeedsInput, Agent: "w3", At: clockEpoch, Prompt: "Do you want to proceed?"})[0]
	if !strings.Contains(m.Text, "screen shows: Do you want to proceed?") || strings.Contains(m.Text, "last output") {
		t.Errorf("needs-input body:\n%s", m.Text)
	}
}

func TestLeadDedup(t *testing.T) {
	n := NewLeadNotifier(NotifyConfig{Burst: 100})
	at := clockEpoch
	send := func(ev LeadEvent) int {
		at = at.Add(time.Second)
		ev.At = at
		return len(n.Notify(ev))
	}
	crash := LeadEvent{Kind: LeadCrashed, Agent: "w1", ExitStatus: exitStatus(3), Restarts: 0}
	steps := []struct {
		name string
		ev   LeadEvent
		want int
	}{
		{"crash", crash, 1},
		{"same crash seen again", crash, 0},
		{"same crash, other teammate", LeadEvent{Kind: LeadCrashed, Agent: "w2", ExitStatus: exitStatus(3)}, 1},
		{"restarted", LeadEvent{Kind: LeadRestarted, Agent: "w1", Restarts: 1}, 1},
		{"crash again after restart", LeadEvent{Kind: LeadCrashed, Agent: "w1", ExitStatus: exitStatus(3), Restarts: 1}, 1},
		{"next crash without restarted event", LeadEvent{Kind: LeadCrashed, Agent: "w1", ExitStatus: exitStatus(3), Restarts: 2}, 1},
		{"stalled", LeadEvent{Kind: LeadStalled, Agent: "w3", Quiet: 10 * time.Minute}, 1},
		{"stalled re-evaluated", LeadEvent{Kind: LeadStalled, Agent: "w3", Quiet: 11 * time.Minute}, 0},
		{"recovered", LeadEvent{Kind: LeadRecovered, Agent: "w3", Was: HealthStalled}, 1},
		{"stalled again", LeadEvent{Kind: LeadStalled, Agent: "w3", Quiet: 10 * time.Minute}, 1},
		{"prompt", LeadEvent{Kind: LeadNeedsInput, Agent: "w4", Prompt: "A?"}, 1},
		{"same prompt", LeadEvent{Kind: LeadNeedsInput, Agent: "w4", Prompt: "A?"}, 0},
		{"other prompt", LeadEvent{Kind: LeadNeedsInput, Agent: "w4", Prompt: "B?"}, 1},
		{"deliberate stop", LeadEvent{Kind: LeadExited, Agent: "w4", Deliberate: true, Signal: "SIGTERM"}, 0},
		{"prompt B after the stop is news", LeadEvent{Kind: LeadNeedsInput, Agent: "w4", Prompt: "B?"}, 1},
	}
	for _, s := range steps {
		if got := send(s.ev); got != s.want {
			t.Fatalf("%s: %d messages, want %d", s.name, got, s.want)
		}
	}
}

// Burst 5, then the 6th and 7th events are held and come out together in
// one message when a token is back; nothing is lost.
func TestLeadRateLimitCoalesces(t *testing.T) {
	clock := fakeclock.New(clockEpoch)
	n := NewLeadNotifier(NotifyConfig{})
	ev := func(agent string, kind LeadEventKind, restarts int) LeadEvent {
		return LeadEvent{Kind: kind, Agent: agent, At: clock.Now(), ExitStatus: exitStatus(1), Restarts: restarts}
	}
	for i := 0; i < 5; i++ {
		if got := len(n.Notify(ev(fmt.Sprintf("w%d", i), LeadCrashed, 0))); got != 1 {
			t.Fatalf("event %d within burst: %d messages", i, got)
		}
	}
	if msgs := n.Notify(ev("w1", LeadRestarted, 1)); msgs != nil {
		t.Fatalf("6th event sent at once: %+v", msgs)
	}
	clock.Advance(10 * time.Second)
	if msgs := n.Notify(ev("w2", LeadRestarted, 1)); msgs != nil {
		t.Fatalf("7th event sent at once: %+v", msgs)
	}
	if n.Pending() != 2 {
		t.Fatalf("Pending = %d", n.Pending())
	}
	next, ok := n.NextFlush()
	if !ok || !next.Equal(clockEpoch.Add(30*time.Second)) {
		t.Fatalf("NextFlush = %v %v, want +30s", next.Sub(clockEpoch), ok)
	}
	if msgs := n.Flush(next.Add(-time.Millisecond)); msgs != nil {
		t.Fatalf("Flush before NextFlush sent %+v", msgs)
	}
	clock.Set(next)
	msgs := n.Flush(clock.Now())
	if len(msgs) != 1 {
		t.Fatalf("Flush at NextFlush: %d messages", len(msgs))
	}
	m := msgs[0]
	if m.Events != 2 || m.From != DefaultNotifySummaryFrom {
		t.Fatalf("coalesced message: events %d from %q", m.Events, m.From)
	}
	if m.Summary != "2 updates: w1 restarted (restart 1), w2 restarted (restart 1)" {
		t.Errorf("summary %q", m.Summary)
	}
	for _, s := range []string{"2 events held back by the notification rate limit (5 at once, then one per 30s)",
		"12:00:00  w1 restarted (restart 1)", "12:00:10  w2 restarted (restart 1)", "latest for w1:", "latest for w2:"} {
		if !strings.Contains(m.Text, s) {
			t.Errorf("coalesced text lacks %q:\n%s", s, m.Text)
		}
	}
	if _, ok := n.NextFlush(); ok || n.Pending() != 0 {
		t.Fatal("still pending after the flush")
	}
	// The bucket is empty again: the next event waits a full period, and a
	// later Notify releases it together with the new one.
	if msgs := n.Notify(ev("w3", LeadStalled, 0)); msgs != nil {
		t.Fatal("sent with an empty bucket")
	}
	clock.Advance(31 * time.Second)
	msgs = n.Notify(ev("w3", LeadRecovered, 0))
	if len(msgs) != 1 || msgs[0].Events != 2 || msgs[0].From != "w3" {
		t.Fatalf("Notify after refill: %+v", msgs)
	}
}

// A deliberate stop drops what was held back for that teammate only.
func TestLeadDeliberateDropsHeld(t *testing.T) {
	n := NewLeadNotifier(NotifyConfig{Burst: 1})
	n.Notify(LeadEvent{Kind: LeadCrashed, Agent: "w0", At: clockEpoch, ExitStatus: exitStatus(1)})
	n.Notify(LeadEvent{Kind: LeadStalled, Agent: "w1", At: clockEpoch})
	n.Notify(LeadEvent{Kind: LeadStalled, Agent: "w2", At: clockEpoch})
	if n.Pending() != 2 {
		t.Fatalf("Pending = %d", n.Pending())
	}
	if msgs := n.Notify(LeadEvent{Kind: LeadExited, Agent: "w1", At: clockEpoch, Deliberate: true}); msgs != nil {
		t.Fatalf("deliberate event sent %+v", msgs)
	}
	msgs := n.Flush(clockEpoch.Add(time.Minute))
	if len(msgs) != 1 || msgs[0].From != "w2" || msgs[0].Events != 1 {
		t.Fatalf("after deliberate stop of w1: %+v", msgs)
	}
}

// A 10-minute crash loop of 4 teammates (each crashes every 3 s, restarts
// after 1 s): messages stay within Burst + 10 min / Every, and every
// accepted event is reported in exactly one of them.
func TestLeadCrashLoopBounded(t *testing.T) {
	clock := fakeclock.New(clockEpoch)
	n := NewLeadNotifier(NotifyConfig{})
	restarts := map[string]int{}
	var msgs []LeadMessage
	accepted := 0
	send := func(ev LeadEvent) {
		before := n.Pending()
		out := n.Notify(ev)
		if len(out) > 0 || n.Pending() > before {
			accepted++
		}
		msgs = append(msgs, out...)
	}
	flushAt := func() {
		if next, ok := n.NextFlush(); ok && !next.After(clock.Now()) {
			msgs = append(msgs, n.Flush(clock.Now())...)
		}
	}
	for clock.Now().Sub(clockEpoch) < 10*time.Minute {
		for _, a := range []string{"w1", "w2", "w3", "w4"} {
			send(LeadEvent{Kind: LeadCrashed, Agent: a, At: clock.Now(), ExitStatus: exitStatus(2), Restarts: restarts[a],
				WillRestart: true, RestartIn: time.Second})
		}
		clock.Advance(time.Second)
		flushAt()
		for _, a := range []string{"w1", "w2", "w3", "w4"} {
			restarts[a]++
			send(LeadEvent{Kind: LeadRestarted, Agent: a, At: clock.Now(), Restarts: restarts[a]})
		}
		clock.Advance(2 * time.Second)
		flushAt()
	}
	clock.Advance(time.Minute)
	flushAt()
	limit := DefaultNotifyBurst + int(10*time.Minute/DefaultNotifyEvery) + 1
	if len(msgs) > limit {
		t.Fatalf("%d lead messages in 10 min, limit %d", len(msgs), limit)
	}
	total := 0
	for _, m := range msgs {
		total += m.Events
	}
	if total != accepted || n.Pending() != 0 {
		t.Fatalf("messages carry %d events, %d accepted, %d still pending", total, accepted, n.Pending())
	}
	t.Logf("%d events -> %d messages (%.0f per hour)", accepted, len(msgs), float64(len(msgs))*6)
}

func TestLeadCoalescedListCapped(t *testing.T) {
	n := NewLeadNotifier(NotifyConfig{Burst: 1, MaxListed: 3})
	n.Notify(LeadEvent{Kind: LeadStalled, Agent: "w0", At: clockEpoch})
	for i := 1; i <= 6; i++ {
		n.Notify(LeadEvent{Kind: LeadRestarted, Agent: "w1", At: clockEpoch, Restarts: i})
	}
	msgs := n.Flush(clockEpoch.Add(time.Hour))
	if len(msgs) != 1 || msgs[0].Events != 6 || msgs[0].From != "w1" {
		t.Fatalf("flush: %+v", msgs)
	}
	if !strings.Contains(msgs[0].Text, "… and 3 more") || strings.Count(msgs[0].Text, "w1 restarted") != 4 {
		t.Fatalf("capped list:\n%s", msgs[0].Text)
	}
}

// TestLeadRestartedConversation: a restart message says whether the
// conversation was kept, and why a fresh start dropped it.
func TestLeadRestartedConversation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ev      LeadEvent
		summary string
		has     []string
	}{
		{"resumed", LeadEvent{Resumed: true}, "w1 restarted (restart 2)",
			[]string{"It resumed its conversation; its inbox has a short note about the restart."}},
		{"fresh", LeadEvent{}, "w1 restarted (restart 2)",
			[]string{"Its inbox has a note about the restart and its original assignment."}},
		{"fresh after failed resumes", LeadEvent{FreshStart: "its resumed process ended within 10s of its start 2 times in a row (last: exit status 1)"},
			"w1 restarted (restart 2) with a new conversation: the old one could not be resumed",
			[]string{"conversation: could not be resumed: its resumed process ended within 10s of its start 2 times in a row (last: exit status 1); started fresh",
				"original assignment"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			ev.Kind, ev.Agent, ev.At, ev.Restarts = LeadRestarted, "w1", clockEpoch, 2
			msgs := NewLeadNotifier(NotifyConfig{}).Notify(ev)
			if len(msgs) != 1 || msgs[0].Summary != tc.summary {
				t.Fatalf("messages %+v, want summary %q", msgs, tc.summary)
			}
			for _, s := range tc.has {
				if !strings.Contains(msgs[0].Text, s) {
					t.Errorf("body lacks %q:\n%s", s, msgs[0].Text)
				}
			}
		})
	}
}

// TestLeadHintStoppedRetrying: the end of a provider's retries may be a
// success or the CLI giving up; the hint says how to tell and what to do.
func TestLeadHintStoppedRetrying(t *testing.T) {
	h := leadHint(LeadEvent{Kind: LeadRecovered, Agent: "w1", Was: HealthNeedsInput, WasPrompt: "provider unreachable: no answer"})
	for _, want := range []string{"gave up", "check_teammate", "send it a message"} {
		if !strings.Contains(h, want) {
			t.Errorf("hint %q lacks %q", h, want)
		}
	}
	if h := leadHint(LeadEvent{Kind: LeadRecovered, Agent: "w1", Was: HealthStalled}); h != "" {
		t.Errorf("hint after a stall = %q, want none", h)
	}
}
