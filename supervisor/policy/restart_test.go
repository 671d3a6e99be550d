package policy

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// noJitter makes delays exact.
func noJitter() float64 { return 0 }

func TestRestartBackoffSequence(t *testing.T) {
	var c RestartConfig
	want := []time.Duration{1, 1, 2, 4, 8, 16, 32, 60, 60, 60}
	for n := 0; n < len(want); n++ {
		if got := c.Backoff(n); got != want[n]*time.Second {
			t.Errorf("Backoff(%d) = %v, want %vs", n, got, int64(want[n]))
		}
	}
	c = RestartConfig{InitialBackoff: 500 * time.Millisecond, MaxBackoff: 3 * time.Second}
	for n, w := range []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		if got := c.Backoff(n); got != w {
			t.Errorf("custom Backoff(%d) = %v, want %v", n, got, w)
		}
	}
}

func TestRestartJitterBounds(t *testing.T) {
	src := rand.New(rand.NewPCG(1, 2))
	cfg := RestartConfig{Policy: protocol.RestartAlways, MaxFailures: -1, Rand: src.Float64}
	tr := NewRestartTracker("", cfg)
	now := clockEpoch
	var distinct = map[time.Duration]bool{}
	for i := 1; i <= 40; i++ {
		d := tr.Exited(now, RestartExit{Status: 1, Ran: time.Second})
		base := RestartConfig{}.Backoff(d.Failures)
		lo := base - base/5
		if d.Delay < lo || d.Delay > base {
			t.Fatalf("exit %d: delay %v outside [%v, %v]", i, d.Delay, lo, base)
		}
		if d.Delay > DefaultMaxBackoff {
			t.Fatalf("delay %v above the cap", d.Delay)
		}
		distinct[d.Delay] = true
		now = d.At
		tr.Restarted(now)
	}
	if len(distinct) < 10 {
		t.Errorf("only %d distinct delays in 40: jitter not applied", len(distinct))
	}
	// Extremes of the injected source.
	for _, tc := range []struct {
		r    float64
		want time.Duration
	}{{0, 4 * time.Second}, {0.5, 3600 * time.Millisecond}, {0.999999, 3200000800 * time.Nanosecond}} {
		c := RestartConfig{Rand: func() float64 { return tc.r }}.WithDefaults()
		if got := c.jittered(4 * time.Second); got != tc.want {
			t.Errorf("jittered(4s) with r=%v = %v, want %v", tc.r, got, tc.want)
		}
	}
	c := RestartConfig{Jitter: -1}.WithDefaults()
	if got := c.jittered(4 * time.Second); got != 4*time.Second {
		t.Errorf("Jitter -1: %v, want 4s", got)
	}
}

func TestRestartPolicies(t *testing.T) {
	long := time.Minute
	tests := []struct {
		name        string
		policy      protocol.RestartPolicy
		exit        RestartExit
		state       protocol.State
		restart     bool
		failure     bool
		failedStart bool
	}{
		{"never crash", protocol.RestartNever, RestartExit{Status: 3, Ran: long}, "crashed", false, true, false},
		{"never clean", protocol.RestartNever, RestartExit{Ran: long}, "exited", false, false, false},
		{"never signal", protocol.RestartNever, RestartExit{Signal: "SIGSEGV", Ran: long}, "crashed", false, true, false},
		{"on-failure crash", protocol.RestartOnFailure, RestartExit{Status: 3, Ran: long}, "restarting", true, true, false},
		{"on-failure signal", protocol.RestartOnFailure, RestartExit{Signal: "SIGKILL", Ran: long}, "restarting", true, true, false},
		{"on-failure unknown status", protocol.RestartOnFailure, RestartExit{Status: -1, Ran: -1}, "restarting", true, true, false},
		{"on-failure clean", protocol.RestartOnFailure, RestartExit{Ran: long}, "exited", false, false, false},
		{"on-failure clean short", protocol.RestartOnFailure, RestartExit{Ran: time.Second}, "exited", false, false, false},
		{"on-failure crash short", protocol.RestartOnFailure, RestartExit{Status: 1, Ran: 9 * time.Second}, "restarting", true, true, true},
		{"on-failure crash at 10s", protocol.RestartOnFailure, RestartExit{Status: 1, Ran: 10 * time.Second}, "restarting", true, true, false},
		{"always clean", protocol.RestartAlways, RestartExit{Ran: long}, "restarting", true, false, false},
		{"always clean short", protocol.RestartAlways, RestartExit{Ran: 2 * time.Second}, "restarting", true, true, true},
		{"always clean unknown run", protocol.RestartAlways, RestartExit{Ran: -1}, "restarting", true, false, false},
		{"always deliberate", protocol.RestartAlways, RestartExit{Signal: "SIGKILL", Ran: time.Second, Deliberate: true}, "stopped", false, false, false},
		{"on-failure deliberate", protocol.RestartOnFailure, RestartExit{Status: 137, Deliberate: true}, "stopped", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewRestartTracker(tc.policy, RestartConfig{Rand: noJitter})
			d := tr.Exited(clockEpoch, tc.exit)
			if d.State != tc.state || d.Restart != tc.restart || d.Failure != tc.failure || d.FailedStart != tc.failedStart {
				t.Fatalf("got state=%s restart=%v failure=%v failedStart=%v; want %s %v %v %v",
					d.State, d.Restart, d.Failure, d.FailedStart, tc.state, tc.restart, tc.failure, tc.failedStart)
			}
			if tc.restart {
				if d.Delay != time.Second || !d.At.Equal(clockEpoch.Add(time.Second)) || !tr.NextRestartAt().Equal(d.At) {
					t.Errorf("delay %v at %v next %v; want 1s", d.Delay, d.At, tr.NextRestartAt())
				}
			} else if !tr.NextRestartAt().IsZero() {
				t.Errorf("NextRestartAt = %v without a restart", tr.NextRestartAt())
			}
			wantFailures := 0
			if tc.failure {
				wantFailures = 1
			}
			if d.Failures != wantFailures || tr.Failures(clockEpoch) != wantFailures {
				t.Errorf("failures %d / %d, want %d", d.Failures, tr.Failures(clockEpoch), wantFailures)
			}
		})
	}
}

// A crash loop: delays 1, 2, 4, 8 s, then failed on the 5th failure in 10
// minutes, told once, and no further restart.
func TestRestartCrashLoopGivesUp(t *testing.T) {
	tr := NewRestartTracker(protocol.RestartOnFailure, RestartConfig{Rand: noJitter})
	now := clockEpoch
	wantDelays := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range wantDelays {
		now = now.Add(3 * time.Second) // ran 3 s
		d := tr.Exited(now, RestartExit{Status: 2, Ran: 3 * time.Second})
		if !d.Restart || d.Delay != w || d.Failures != i+1 || d.Restarts != i || !d.FailedStart {
			t.Fatalf("crash %d: %+v; want restart after %v", i+1, d, w)
		}
		now = d.At
		tr.Restarted(now)
	}
	now = now.Add(3 * time.Second)
	d := tr.Exited(now, RestartExit{Status: 2, Ran: 3 * time.Second})
	if d.Restart || !d.GaveUp || d.State != "failed" || d.Failures != 5 || d.Restarts != 4 {
		t.Fatalf("5th crash: %+v; want failed, gave up", d)
	}
	if !tr.Failed() || !tr.NextRestartAt().IsZero() {
		t.Fatalf("Failed=%v next=%v", tr.Failed(), tr.NextRestartAt())
	}
	// Stays failed, never tells twice, keeps its count past the window.
	d = tr.Exited(now.Add(time.Hour), RestartExit{Status: 2, Ran: time.Second})
	if d.Restart || d.GaveUp || d.State != "failed" {
		t.Fatalf("exit while failed: %+v", d)
	}
	if got := tr.Failures(now.Add(time.Hour)); got != 5 {
		t.Errorf("Failures while failed = %d, want 5", got)
	}
}

// Failures older than the window do not count: a teammate that crashes
// every 3 minutes never reaches 5 in 10 minutes, and its backoff stays low.
func TestRestartWindowSlides(t *testing.T) {
	tr := NewRestartTracker(protocol.RestartAlways, RestartConfig{Rand: noJitter})
	now := clockEpoch
	for i := 1; i <= 20; i++ {
		now = now.Add(3 * time.Minute)
		d := tr.Exited(now, RestartExit{Status: 1, Ran: 3 * time.Minute})
		want := min(i, 4) // failures at t, t-3, t-6, t-9 minutes
		if !d.Restart || d.Failures != want {
			t.Fatalf("crash %d: %+v, want restart with %d failures", i, d, want)
		}
		if d.Delay != (RestartConfig{}).Backoff(want) {
			t.Fatalf("crash %d: delay %v", i, d.Delay)
		}
		tr.Restarted(d.At)
	}
	if got := tr.Failures(now.Add(10*time.Minute - time.Millisecond)); got != 1 {
		t.Errorf("Failures just inside the window = %d, want 1", got)
	}
	if got := tr.Failures(now.Add(10 * time.Minute)); got != 0 {
		t.Errorf("Failures 10 min after the last = %d, want 0", got)
	}
}

func TestRestartManualReviveResetsWindow(t *testing.T) {
	cfg := RestartConfig{Rand: noJitter, MaxFailures: 2}
	tr := NewRestartTracker(protocol.RestartOnFailure, cfg)
	tr.Exited(clockEpoch, RestartExit{Status: 1, Ran: time.Second})
	d := tr.Exited(clockEpoch.Add(2*time.Second), RestartExit{Status: 1, Ran: time.Second})
	if !d.GaveUp {
		t.Fatalf("want failed after 2: %+v", d)
	}
	tr.Revive()
	tr.Restarted(clockEpoch.Add(time.Minute))
	if tr.Failed() || tr.Failures(clockEpoch.Add(time.Minute)) != 0 || tr.Restarts() != 1 {
		t.Fatalf("after revive: failed=%v failures=%d restarts=%d", tr.Failed(), tr.Failures(clockEpoch), tr.Restarts())
	}
	d = tr.Exited(clockEpoch.Add(2*time.Minute), RestartExit{Status: 1, Ran: time.Minute})
	if !d.Restart || d.Failures != 1 || d.Delay != time.Second {
		t.Fatalf("first crash after revive: %+v", d)
	}
}

func TestRestartNeverGiveUpAndCap(t *testing.T) {
	tr := NewRestartTracker(protocol.RestartAlways, RestartConfig{Rand: noJitter, MaxFailures: -1})
	now := clockEpoch
	var last RestartDecision
	for i := 0; i < 30; i++ {
		last = tr.Exited(now, RestartExit{Signal: "SIGABRT", Ran: time.Second})
		if !last.Restart {
			t.Fatalf("exit %d: gave up with MaxFailures -1", i)
		}
		now = last.At
		tr.Restarted(now)
	}
	if last.Delay != time.Minute {
		t.Errorf("delay after 30 failures %v, want the 60 s cap", last.Delay)
	}
}

func TestRestartStateRoundTrip(t *testing.T) {
	cfg := RestartConfig{Rand: noJitter}
	tr := NewRestartTracker(protocol.RestartOnFailure, cfg)
	d := tr.Exited(clockEpoch, RestartExit{Status: 1, Ran: time.Second})
	tr.Restarted(d.At)
	d = tr.Exited(d.At.Add(time.Second), RestartExit{Status: 1, Ran: time.Second})
	st := tr.State()
	back := RestoreRestartTracker(protocol.RestartOnFailure, cfg, st)
	if back.Restarts() != 1 || back.Failures(d.At) != 2 || !back.NextRestartAt().Equal(d.At) {
		t.Fatalf("restored: restarts=%d failures=%d next=%v", back.Restarts(), back.Failures(d.At), back.NextRestartAt())
	}
	d2 := back.Exited(d.At.Add(time.Second), RestartExit{Status: 1, Ran: time.Second})
	if d2.Failures != 3 || d2.Delay != 4*time.Second {
		t.Fatalf("restored tracker continues the count: %+v", d2)
	}
	st.FailureTimes[0] = time.Time{}
	if back.State().FailureTimes[0].IsZero() {
		t.Error("State shares its slice with the tracker")
	}
}

func TestRestartPolicyDefaultAndChange(t *testing.T) {
	tr := NewRestartTracker("", RestartConfig{Policy: protocol.RestartAlways})
	if tr.Policy() != protocol.RestartAlways {
		t.Fatalf("Policy = %q, want the configured default", tr.Policy())
	}
	tr.SetPolicy(protocol.RestartNever)
	if d := tr.Exited(clockEpoch, RestartExit{Status: 1}); d.Restart {
		t.Fatal("restart under never")
	}
	tr.SetPolicy("")
	if tr.Policy() != protocol.RestartAlways {
		t.Fatalf("SetPolicy(\"\") = %q", tr.Policy())
	}
	if NewRestartTracker("", RestartConfig{}).Policy() != protocol.RestartNever {
		t.Fatal("zero config default is not never")
	}
}

func TestRestartCancel(t *testing.T) {
	tr := NewRestartTracker(protocol.RestartAlways, RestartConfig{})
	tr.Exited(clockEpoch, RestartExit{Status: 1, Ran: time.Minute})
	tr.Cancel()
	if !tr.NextRestartAt().IsZero() {
		t.Fatal("Cancel kept the pending restart")
	}
}
