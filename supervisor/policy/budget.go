package policy

import "time"

// ReadBudget is a token bucket for screen reads of busy panes: rate reads
// a second, as many at once. Pure (times come from the caller); not safe
// for concurrent use.
type ReadBudget struct {
	cost   time.Duration // time that earns one read
	credit time.Duration // at most one second
	at     time.Time
}

// NewReadBudget returns a full bucket of rate reads a second (rate <= 0
// means DefaultBusyRate).
func NewReadBudget(rate int) *ReadBudget {
	if rate <= 0 {
		rate = DefaultBusyRate
	}
	return &ReadBudget{cost: time.Second / time.Duration(rate), credit: time.Second}
}

// Take spends one read at now, reporting false when the bucket is empty.
func (b *ReadBudget) Take(now time.Time) bool {
	if !b.at.IsZero() && now.After(b.at) {
		b.credit = min(b.credit+now.Sub(b.at), time.Second)
	}
	if b.at.IsZero() || now.After(b.at) {
		b.at = now
	}
	if b.credit < b.cost {
		return false
	}
	b.credit -= b.cost
	return true
}
