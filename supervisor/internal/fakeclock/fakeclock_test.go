package fakeclock

import (
	"testing"
	"time"
)

var clockEpoch = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestTimersFireInDeadlineOrder(t *testing.T) {
	c := New(clockEpoch)
	var order []string
	c.AfterFunc(3*time.Second, func() { order = append(order, "3s") })
	c.AfterFunc(time.Second, func() { order = append(order, "1s") })
	c.AfterFunc(time.Second, func() { order = append(order, "1s-second") })
	tm := c.NewTimer(2 * time.Second)

	c.Advance(1500 * time.Millisecond)
	if got := len(order); got != 2 {
		t.Fatalf("after 1.5s: %v fired, want the two 1s timers", order)
	}
	select {
	case <-tm.C():
		t.Fatal("2s timer fired at 1.5s")
	default:
	}
	c.Advance(time.Second)
	select {
	case at := <-tm.C():
		if want := clockEpoch.Add(2 * time.Second); !at.Equal(want) {
			t.Errorf("timer sent %v, want its deadline %v", at, want)
		}
	default:
		t.Fatal("2s timer did not fire at 2.5s")
	}
	c.Advance(time.Hour)
	want := []string{"1s", "1s-second", "3s"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if got := c.Now(); !got.Equal(clockEpoch.Add(time.Hour + 2500*time.Millisecond)) {
		t.Errorf("Now = %v", got)
	}
	if c.Pending() != 0 {
		t.Errorf("Pending = %d, want 0", c.Pending())
	}
}

func TestClockAfterFuncSeesItsDeadline(t *testing.T) {
	c := New(clockEpoch)
	var seen time.Time
	c.AfterFunc(5*time.Second, func() { seen = c.Now() })
	c.Advance(time.Minute)
	if want := clockEpoch.Add(5 * time.Second); !seen.Equal(want) {
		t.Fatalf("Now inside AfterFunc = %v, want %v", seen, want)
	}
}

func TestClockStopAndReset(t *testing.T) {
	c := New(clockEpoch)
	tm := c.NewTimer(time.Second)
	if !tm.Stop() {
		t.Error("Stop of a pending timer = false")
	}
	if tm.Stop() {
		t.Error("second Stop = true")
	}
	c.Advance(2 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if tm.Reset(time.Second) {
		t.Error("Reset of a stopped timer = true")
	}
	if d, ok := c.NextDeadline(); !ok || !d.Equal(clockEpoch.Add(3*time.Second)) {
		t.Errorf("NextDeadline = %v %v", d, ok)
	}
	c.Advance(time.Second)
	// Fired but not received: Reset drops the stale value.
	tm.Reset(10 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("stale value received after Reset")
	default:
	}
	c.Advance(10 * time.Second)
	select {
	case <-tm.C():
	default:
		t.Fatal("reset timer did not fire")
	}
	if _, ok := c.NextDeadline(); ok {
		t.Error("NextDeadline with nothing armed")
	}
}

func TestClockSetNeverGoesBack(t *testing.T) {
	c := New(clockEpoch)
	c.Set(clockEpoch.Add(-time.Hour))
	if !c.Now().Equal(clockEpoch) {
		t.Fatalf("Now = %v after Set to the past", c.Now())
	}
}

func TestClockChangedSignalsArming(t *testing.T) {
	c := New(clockEpoch)
	changed := c.Changed()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.NewTimer(time.Second)
	}()
	select {
	case <-changed:
	case <-time.After(time.Minute):
		t.Fatal("Changed not closed after a timer was armed")
	}
	<-done
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d", c.Pending())
	}
}

// A timer armed from inside an AfterFunc callback fires in the same Advance
// when it falls due.
func TestClockRearmFromCallback(t *testing.T) {
	c := New(clockEpoch)
	n := 0
	var tick func()
	tick = func() {
		n++
		c.AfterFunc(time.Second, tick)
	}
	c.AfterFunc(time.Second, tick)
	c.Advance(5 * time.Second)
	if n != 5 {
		t.Fatalf("ticks = %d, want 5", n)
	}
}
