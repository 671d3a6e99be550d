// Package fakeclock is a clock.Clock for tests only: its time moves only
// when the test says so. Nothing but test code imports it.
package fakeclock

import (
	"sort"
	"sync"
	"time"

	"github.com/f9449b24/claude-teams/supervisor/clock"
)

// Clock is a clock.Clock whose time moves only when a test calls Advance or
// Set. Timers fire inside Advance, in deadline order (ties in creation
// order): a channel timer's value is sent without blocking into a buffer of
// one, an AfterFunc function runs synchronously on the caller's goroutine.
// It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending []*fakeTimer // owned by mu
	changed chan struct{}
}

// New returns a Clock reading start.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the fake time reaches Now()+d.
func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	t := &fakeTimer{clock: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// AfterFunc returns a timer that calls f when the fake time reaches
// Now()+d.
func (c *Clock) AfterFunc(d time.Duration, f func()) clock.Timer {
	t := &fakeTimer{clock: c, fn: f}
	t.Reset(d)
	return t
}

// Advance moves the fake time forward by d, firing every timer that falls
// due on the way, each at its own deadline.
func (c *Clock) Advance(d time.Duration) {
	c.Set(c.Now().Add(d))
}

// Set moves the fake time to t (never backwards), firing the timers due by
// then in deadline order.
func (c *Clock) Set(t time.Time) {
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
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// NextDeadline returns the deadline of the earliest armed timer.
func (c *Clock) NextDeadline() (time.Time, bool) {
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
func (c *Clock) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// notifyLocked wakes Changed waiters; c.mu is held.
func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type fakeTimer struct {
	clock *Clock
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
func (c *Clock) removeLocked(t *fakeTimer) {
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
