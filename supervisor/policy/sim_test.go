package policy

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/clock"
	"github.com/f9449b24/claude-teams/supervisor/internal/fakeclock"
)

// policySim plays the owner loop with the policy parts only, on a fake
// clock: every start of a teammate crashes after run; restarts go through
// TeamRestarts, messages through LeadNotifier, each with one timer.
type policySim struct {
	t        *testing.T
	clock    *fakeclock.Clock
	restarts *TeamRestarts
	notifier *LeadNotifier
	run      time.Duration

	restartTimer, flushTimer clock.Timer
	starts                   map[string][]time.Time
	failedAt                 map[string]time.Time
	msgs                     []LeadMessage
}

func newPolicySim(t *testing.T, cfg RestartConfig, run time.Duration) *policySim {
	return &policySim{
		t: t, clock: fakeclock.New(clockEpoch), restarts: NewTeamRestarts(cfg), notifier: NewLeadNotifier(NotifyConfig{}),
		run: run, starts: map[string][]time.Time{}, failedAt: map[string]time.Time{},
	}
}

func (s *policySim) start(agent string) {
	now := s.clock.Now()
	if !s.failedAt[agent].IsZero() {
		s.t.Fatalf("%s started at %v after failing", agent, now.Sub(clockEpoch))
	}
	s.starts[agent] = append(s.starts[agent], now)
	s.clock.AfterFunc(s.run, func() { s.crash(agent, now) })
}

func (s *policySim) crash(agent string, started time.Time) {
	now := s.clock.Now()
	d := s.restarts.Exited(agent, now, RestartExit{Status: 2, Ran: now.Sub(started)})
	ev := LeadEvent{Agent: agent, At: now, ExitStatus: exitStatus(2), Restarts: d.Restarts, Failures: d.Failures,
		Policy: s.restarts.Tracker(agent).Policy(), WillRestart: d.Restart, RestartIn: d.Delay}
	switch {
	case d.GaveUp:
		ev.Kind = LeadFailed
		s.failedAt[agent] = now
	default:
		ev.Kind = LeadCrashed
	}
	s.send(ev)
	s.armRestart()
}

func (s *policySim) send(ev LeadEvent) {
	s.msgs = append(s.msgs, s.notifier.Notify(ev)...)
	s.armFlush()
}

func (s *policySim) armRestart() {
	if s.restartTimer != nil {
		s.restartTimer.Stop()
	}
	next, ok := s.restarts.NextDue()
	if !ok {
		return
	}
	s.restartTimer = s.clock.AfterFunc(next.Sub(s.clock.Now()), func() {
		now := s.clock.Now()
		for _, a := range s.restarts.Due(now) {
			s.restarts.Restarted(a, now)
			s.start(a)
			s.send(LeadEvent{Kind: LeadRestarted, Agent: a, At: now, Restarts: s.restarts.Tracker(a).Restarts()})
		}
		s.armRestart()
	})
}

func (s *policySim) armFlush() {
	if s.flushTimer != nil {
		s.flushTimer.Stop()
	}
	next, ok := s.notifier.NextFlush()
	if !ok {
		return
	}
	s.flushTimer = s.clock.AfterFunc(max(next.Sub(s.clock.Now()), 0), func() {
		s.msgs = append(s.msgs, s.notifier.Flush(s.clock.Now())...)
		s.armFlush()
	})
}

// Four teammates that crash 3 s after every start: each is restarted after
// 1, 2, 4, 8 s (staggered), gives up on its 5th failure, the lead is told
// once per teammate that it failed, nothing starts afterwards, and the lead
// gets a bounded number of messages with every event in one of them.
func TestPolicyCrashLoopOfFourTeammates(t *testing.T) {
	cfg := RestartConfig{Rand: rand.New(rand.NewPCG(7, 7)).Float64}
	s := newPolicySim(t, cfg, 3*time.Second)
	agents := []string{"w1", "w2", "w3", "w4"}
	for _, a := range agents {
		s.restarts.Track(a, protocol.RestartOnFailure)
		s.start(a)
	}
	s.clock.Advance(10 * time.Minute)

	failedMsgs := 0
	events := 0
	for _, m := range s.msgs {
		events += m.Events
	}
	for _, a := range agents {
		if len(s.starts[a]) != 5 {
			t.Errorf("%s started %d times, want 5 (1 + 4 restarts)", a, len(s.starts[a]))
		}
		if s.failedAt[a].IsZero() || !s.restarts.Tracker(a).Failed() {
			t.Errorf("%s not failed", a)
		}
	}
	for _, a := range agents {
		told := 0
		for _, m := range s.msgs {
			if strings.Contains(m.Summary, a+" failed") {
				told++
			}
		}
		if told != 1 {
			t.Errorf("%s: %d messages say it failed, want 1", a, told)
		}
		failedMsgs += told
	}
	// 4 × (5 crashes-or-failed + 4 restarted) events.
	if events != 36 {
		t.Errorf("%d events reported, want 36", events)
	}
	if limit := DefaultNotifyBurst + int(10*time.Minute/DefaultNotifyEvery); len(s.msgs) > limit {
		t.Errorf("%d messages, limit %d", len(s.msgs), limit)
	}
	// Starts of different teammates never closer than StartGap.
	var all []time.Time
	for _, a := range agents {
		all = append(all, s.starts[a][1:]...)
	}
	for i := range all {
		for j := range all {
			if i != j && all[i].Sub(all[j]) >= 0 && all[i].Sub(all[j]) < DefaultStartGap {
				t.Fatalf("restarts %v and %v closer than %v", all[i].Sub(clockEpoch), all[j].Sub(clockEpoch), DefaultStartGap)
			}
		}
	}
	t.Logf("crash loop of 4 for 10 min: %d lead messages (%d per hour), %d events, failed reported %d times",
		len(s.msgs), len(s.msgs)*6, events, failedMsgs)
}

// Crash to restart with the defaults: the first retry comes after at most
// InitialBackoff (jitter only shortens it).
func TestPolicyFirstRetryDelay(t *testing.T) {
	s := newPolicySim(t, RestartConfig{}, time.Hour)
	s.restarts.Track("w1", protocol.RestartOnFailure)
	s.start("w1")
	s.clock.Advance(time.Hour + 2*time.Second)
	st := s.starts["w1"]
	if len(st) != 2 {
		t.Fatalf("starts %d", len(st))
	}
	if gap := st[1].Sub(st[0]) - time.Hour; gap > time.Second || gap < 800*time.Millisecond {
		t.Fatalf("first retry after %v, want within [0.8s, 1s]", gap)
	}
}
