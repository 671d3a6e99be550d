// Package clock is the supervisor's source of time: the Clock interface
// the owner loop takes, and Real, the Clock of package time. Tests use
// supervisor/internal/fakeclock instead.
package clock

import "time"

// Clock is the supervisor's source of time. The owner loop takes one so that
// tests can drive backoff, stall and rate-limit timers without sleeping:
// Real in production, a fakeclock.Clock (or Real inside a
// testing/synctest bubble) in tests.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine once d has passed (a
	// fake clock calls it inside Advance).
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a timer made by a Clock; its methods mean what they mean on
// *time.Timer (Go 1.23+ semantics: after Stop or Reset no stale value is
// received).
type Timer interface {
	// C is the timer's channel; nil for an AfterFunc timer.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was
	// still pending.
	Stop() bool
	// Reset makes the timer fire d from now; it reports whether it was
	// still pending.
	Reset(d time.Duration) bool
}

// Real returns the Clock of package time.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{time.AfterFunc(d, f)}
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }
