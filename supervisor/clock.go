package supervisor

import (
	"sort"
	"sync"
	"time"
)

// Clock is the supervisor's source of time. The owner loop takes one so that
// tests can drive backoff, stall and rate-limit timers without sleeping:
// RealClock in production, a FakeClock (or RealClock inside a
// testing/synctest bubble) in tests.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed.
	NewTimer(d time.Duration) ClockTimer
	// AfterFunc calls f in its own goroutine once d has passed (a
	// FakeClock calls it inside Advance).
	AfterFunc(d time.Duration, f func()) ClockTimer
}

// ClockTimer is a timer made by a Clock; its methods mean what they mean on
// *time.Timer (Go 1.23+ semantics: after Stop or Reset no stale value is
// received).
type ClockTimer interface {
	// C is the timer's channel; nil for an AfterFunc timer.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was
	// still pending.
	Stop() bool
	// Reset makes the timer fire d from now; it reports whether it was
	// still pending.
	Reset(d time.Duration) bool
}

// RealClock returns the Clock of package time.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) ClockTimer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) ClockTimer {
	return realTimer{time.AfterFunc(d, f)}
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// FakeClock is a Clock whose time moves only when a test calls Advance or
// Set. Timers fire inside Advance, in deadline order (ties in creation
// order): a channel timer's value is sent without blocking into a buffer of
// one, an AfterFunc function runs synchronously on the caller's goroutine.
// It is safe for concurrent use.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending []*fakeTimer // owned by mu
	changed chan struct{}
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the fake time reaches Now()+d.
func (c *FakeClock) NewTimer(d time.Duration) ClockTimer {
	t := &fakeTimer{clock: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// AfterFunc returns a timer that calls f when the fake time reaches
// Now()+d.
func (c *FakeClock) AfterFunc(d time.Duration, f func()) ClockTimer {
	t := &fakeTimer{clock: c, fn: f}
	t.Reset(d)
	return t
}

// Advance moves the fake time forward by d, firing every timer that falls
// due on the way, each at its own deadline.
func (c *FakeClock) Advance(d time.Duration) {
	c.Set(c.Now().Add(d))
}

// Set moves the fake time to t (never backwards), firing the timers due by
// then in deadline order.
func (c *FakeClock) Set(t time.Time) {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 || c.pending[0].when.After(t) {
			if t.After(c.now) {
				c.now = t
			}
			c.mu.Unlock()
			return
		}
		ft := c.pending[0]
		c.pending = c.pending[1:]
		ft.active = false
		if ft.when.After(c.now) {
			c.now = ft.when
		}
		now := c.now
		c.mu.Unlock()
		if ft.fn != nil {
			ft.fn()
			continue
		}
		select {
		case ft.ch <- now:
		default:
		}
	}
}

// Pending returns how many timers are armed.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// NextDeadline returns the deadline of the earliest armed timer.
func (c *FakeClock) NextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return time.Time{}, false
	}
	return c.pending[0].when, true
}

// Changed returns a channel closed the next time a timer is armed or
// stopped: a test waits on it (with its own generous deadline) until the
// code under test has armed the timer it is about to advance past.
func (c *FakeClock) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// notifyLocked wakes Changed waiters; c.mu is held.
func (c *FakeClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type fakeTimer struct {
	clock *FakeClock
	ch    chan time.Time
	fn    func()

	// Owned by clock.mu.
	when   time.Time
	seq    uint64
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	was := t.active
	c.removeLocked(t)
	t.drain()
	c.notifyLocked()
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	was := t.active
	c.removeLocked(t)
	t.drain()
	c.seq++
	t.when, t.seq, t.active = c.now.Add(d), c.seq, true
	i := sort.Search(len(c.pending), func(i int) bool {
		p := c.pending[i]
		return p.when.After(t.when) || (p.when.Equal(t.when) && p.seq > t.seq)
	})
	c.pending = append(c.pending, nil)
	copy(c.pending[i+1:], c.pending[i:])
	c.pending[i] = t
	c.notifyLocked()
	return was
}

// drain drops a value already sent but not received, as Go 1.23 timers do
// on Stop and Reset.
func (t *fakeTimer) drain() {
	if t.ch == nil {
		return
	}
	select {
	case <-t.ch:
	default:
	}
}

// removeLocked takes t off the pending list; c.mu is held.
func (c *FakeClock) removeLocked(t *fakeTimer) {
	if !t.active {
		return
	}
	for i, p := range c.pending {
		if p == t {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			break
		}
	}
	t.active = false
}

// loopTimer is one of the owner loop's policy timers: armed for a moment
// (not a duration), re-armed only when that moment changes, and silent
// (nil channel) while unarmed. Owned by the team's run goroutine.
type loopTimer struct {
	clock Clock
	t     ClockTimer
	at    time.Time // zero while unarmed
}

// C is the channel to select on; nil while unarmed.
func (l *loopTimer) C() <-chan time.Time {
	if l.t == nil || l.at.IsZero() {
		return nil
	}
	return l.t.C()
}

// arm makes the timer fire at at (at once if at has passed); a zero at
// disarms it.
func (l *loopTimer) arm(at time.Time) {
	if at.IsZero() {
		l.stop()
		return
	}
	if at.Equal(l.at) {
		return
	}
	d := max(at.Sub(l.clock.Now()), 0)
	if l.t == nil {
		l.t = l.clock.NewTimer(d)
	} else {
		l.t.Reset(d)
	}
	l.at = at
}

// fired records that the timer's value was received.
func (l *loopTimer) fired() { l.at = time.Time{} }

// stop disarms the timer.
func (l *loopTimer) stop() {
	if l.t != nil && !l.at.IsZero() {
		l.t.Stop()
	}
	l.at = time.Time{}
}
