package clock

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestRealUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := Real()
		start := c.Now()
		tm := c.NewTimer(time.Hour)
		fired := make(chan struct{})
		c.AfterFunc(30*time.Minute, func() { close(fired) })
		<-fired
		at := <-tm.C()
		if got := at.Sub(start); got != time.Hour {
			t.Errorf("timer fired after %v, want 1h", got)
		}
		if tm.Stop() {
			t.Error("Stop after firing = true")
		}
		if tm.Reset(time.Minute) {
			t.Error("Reset after firing = true")
		}
		<-tm.C()
	})
}
