package supervisor

import (
	"time"

	"github.com/f9449b24/claude-teams/supervisor/clock"
)

// loopTimer is one of the owner loop's policy timers: armed for a moment
// (not a duration), re-armed only when that moment changes, and silent
// (nil channel) while unarmed. Owned by the team's run goroutine.
type loopTimer struct {
	clock clock.Clock
	t     clock.Timer
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
