package policy

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/internal/fakeclock"
)

// Four teammates crash in the same instant: their restarts come out
// StartGap apart, in a deterministic order, driven by a FakeClock the way
// the owner loop drives them (one timer armed for NextDue).
func TestStaggerSimultaneousCrashes(t *testing.T) {
	clock := fakeclock.New(clockEpoch)
	r := NewTeamRestarts(RestartConfig{Rand: noJitter})
	agents := []string{"w1", "w2", "w3", "w4"}
	for _, a := range agents {
		r.Track(a, protocol.RestartOnFailure)
	}
	var planned []time.Duration
	for _, a := range agents {
		d := r.Exited(a, clock.Now(), RestartExit{Status: 1, Ran: time.Minute})
		if !d.Restart {
			t.Fatalf("%s: no restart", a)
		}
		planned = append(planned, d.Delay)
		if !r.Tracker(a).NextRestartAt().Equal(d.At) {
			t.Errorf("%s: NextRestartAt %v, decision At %v", a, r.Tracker(a).NextRestartAt(), d.At)
		}
	}
	wantPlanned := []time.Duration{time.Second, 1750 * time.Millisecond, 2500 * time.Millisecond, 3250 * time.Millisecond}
	if !slices.Equal(planned, wantPlanned) {
		t.Fatalf("planned delays %v, want %v", planned, wantPlanned)
	}

	type start struct {
		agent string
		at    time.Duration
	}
	var starts []start
	var arm func()
	arm = func() {
		next, ok := r.NextDue()
		if !ok {
			return
		}
		clock.AfterFunc(next.Sub(clock.Now()), func() {
			now := clock.Now()
			for _, a := range r.Due(now) {
				starts = append(starts, start{a, now.Sub(clockEpoch)})
				r.Restarted(a, now)
			}
			arm()
		})
	}
	arm()
	clock.Advance(time.Minute)
	want := []start{{"w1", time.Second}, {"w2", 1750 * time.Millisecond}, {"w3", 2500 * time.Millisecond}, {"w4", 3250 * time.Millisecond}}
	if !slices.Equal(starts, want) {
		t.Fatalf("starts %v, want %v", starts, want)
	}
	for _, a := range agents {
		if tr := r.Tracker(a); tr.Restarts() != 1 || !tr.NextRestartAt().IsZero() {
			t.Errorf("%s: restarts %d next %v", a, tr.Restarts(), tr.NextRestartAt())
		}
	}
	if _, ok := r.NextDue(); ok {
		t.Error("NextDue after all restarts")
	}
}

func TestStaggerSlots(t *testing.T) {
	ms := func(n int) time.Time { return clockEpoch.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name   string
		gap    time.Duration
		others []int // planned restarts of other agents, ms
		recent []int // starts already made, ms
		want   int
		got    int
	}{
		{"free", 0, nil, nil, 1000, 1000},
		{"just after another", 0, []int{900}, nil, 1000, 1650},
		{"just before another", 0, []int{1100}, nil, 1000, 1850},
		{"exactly gap away", 0, []int{250, 1750}, nil, 1000, 1000},
		{"fits between", 0, []int{0, 2000}, nil, 500, 750},
		{"pushed past a chain", 0, []int{1000, 1750, 2500}, nil, 1200, 3250},
		{"gap between chain too small", 0, []int{1000, 2400}, nil, 1000, 3150},
		{"recent start", 0, nil, []int{800}, 1000, 1550},
		{"old start forgotten", 0, nil, []int{100}, 1000, 1000},
		{"custom gap", 2 * time.Second, []int{1000}, nil, 1000, 3000},
		{"no spacing", -1, []int{1000}, []int{1000}, 1000, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewTeamRestarts(RestartConfig{StartGap: tc.gap})
			for i, o := range tc.others {
				r.Track(fmt.Sprintf("o%d", i), protocol.RestartAlways).next = ms(o)
			}
			for _, s := range tc.recent {
				r.Restarted("gone", ms(s))
			}
			if got := r.slot("me", ms(tc.want), ms(tc.want)); !got.Equal(ms(tc.got)) {
				t.Fatalf("slot = %v, want %dms", got.Sub(clockEpoch), tc.got)
			}
		})
	}
}

func TestStaggerManualRevivesFailed(t *testing.T) {
	r := NewTeamRestarts(RestartConfig{Rand: noJitter, MaxFailures: 1})
	r.Track("w1", protocol.RestartOnFailure)
	d := r.Exited("w1", clockEpoch, RestartExit{Status: 1, Ran: time.Second})
	if !d.GaveUp {
		t.Fatalf("want failed: %+v", d)
	}
	if due := r.Due(clockEpoch.Add(time.Hour)); len(due) != 0 {
		t.Fatalf("failed teammate due: %v", due)
	}
	now := clockEpoch.Add(time.Hour)
	at, ok := r.Manual("w1", now)
	if !ok || !at.Equal(now) {
		t.Fatalf("Manual = %v, %v; want now", at, ok)
	}
	if due := r.Due(now); !slices.Equal(due, []string{"w1"}) {
		t.Fatalf("Due = %v", due)
	}
	r.Restarted("w1", now)
	tr := r.Tracker("w1")
	if tr.Failed() || tr.Failures(now) != 0 || tr.Restarts() != 1 {
		t.Fatalf("after manual restart: failed=%v failures=%d restarts=%d", tr.Failed(), tr.Failures(now), tr.Restarts())
	}
	// A second manual restart right after is spaced from the first.
	at, _ = r.Manual("w1", now)
	if want := now.Add(DefaultStartGap); !at.Equal(want) {
		t.Fatalf("second Manual at %v, want %v", at, want)
	}
	if _, ok := r.Manual("nobody", now); ok {
		t.Fatal("Manual of an unknown agent ok")
	}
}

func TestStaggerDeliberateStopCancels(t *testing.T) {
	r := NewTeamRestarts(RestartConfig{Rand: noJitter})
	r.Track("w1", protocol.RestartAlways)
	r.Exited("w1", clockEpoch, RestartExit{Status: 1, Ran: time.Minute})
	r.Cancel("w1")
	if _, ok := r.NextDue(); ok {
		t.Fatal("restart still pending after Cancel")
	}
	r.Exited("w1", clockEpoch, RestartExit{Status: 1, Ran: time.Minute})
	d := r.Exited("w1", clockEpoch.Add(time.Second), RestartExit{Deliberate: true, Signal: "SIGKILL"})
	if d.Restart || d.State != "stopped" {
		t.Fatalf("deliberate: %+v", d)
	}
	if _, ok := r.NextDue(); ok {
		t.Fatal("restart pending after a deliberate stop")
	}
}

func TestStaggerUnknownAgentUsesDefault(t *testing.T) {
	r := NewTeamRestarts(RestartConfig{Policy: protocol.RestartOnFailure, Rand: noJitter})
	d := r.Exited("adopted", clockEpoch, RestartExit{Status: 1, Ran: -1})
	if !d.Restart || r.Tracker("adopted") == nil {
		t.Fatalf("unknown agent: %+v", d)
	}
	r.Forget("adopted")
	if r.Tracker("adopted") != nil {
		t.Fatal("Forget kept the tracker")
	}
	r.Restore("back", protocol.RestartAlways, RestartState{Restarts: 3, NextRestartAt: clockEpoch})
	if due := r.Due(clockEpoch); !slices.Equal(due, []string{"back"}) {
		t.Fatalf("restored pending restart not due: %v", due)
	}
	if r.Track("back", "").Policy() != protocol.RestartOnFailure {
		t.Fatal("Track(\"\") did not reset to the default policy")
	}
}

// Due orders by time, then name.
func TestStaggerDueOrder(t *testing.T) {
	r := NewTeamRestarts(RestartConfig{StartGap: -1})
	r.Track("b", protocol.RestartAlways).next = clockEpoch
	r.Track("a", protocol.RestartAlways).next = clockEpoch
	r.Track("c", protocol.RestartAlways).next = clockEpoch.Add(-time.Second)
	r.Track("d", protocol.RestartAlways).next = clockEpoch.Add(time.Second)
	if due := r.Due(clockEpoch); !slices.Equal(due, []string{"c", "a", "b"}) {
		t.Fatalf("Due = %v", due)
	}
	if next, _ := r.NextDue(); !next.Equal(clockEpoch.Add(-time.Second)) {
		t.Fatalf("NextDue = %v", next)
	}
}
