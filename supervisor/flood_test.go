package supervisor

import (
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// floodBytes is the output flood of the flood test and benchmark.
const floodBytes = 40 << 20

// floodResult is what one flood run measured.
type floodResult struct {
	status, capture []time.Duration // latency of each call made during the flood
	total           int64           // bytes tmux delivered to us
	heapAfter       uint64          // live heap after the flood (after GC)
	ring            int             // bytes kept in the pane's ring buffer
	duration        time.Duration
}

// runFlood makes one teammate print floodBytes while another goroutine
// keeps calling Status and Capture, until the flood is over.
func runFlood(t testing.TB, h *harness, m *Manager) floodResult {
	h.spawn(m, "flood", "print ready", "wait")
	h.spawn(m, "quiet", "print calm", "wait")
	h.waitOutput(m, "flood", "ready")
	var (
		res     floodResult
		stop    atomic.Bool
		callErr atomic.Value
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		for !stop.Load() {
			t0 := time.Now()
			if _, err := m.Status(ctxT(t), h.team); err != nil {
				callErr.Store(err)
				return
			}
			t1 := time.Now()
			if _, err := m.Capture(ctxT(t), h.team, "quiet", 20); err != nil {
				callErr.Store(err)
				return
			}
			res.status = append(res.status, t1.Sub(t0))
			res.capture = append(res.capture, time.Since(t1))
			time.Sleep(5 * time.Millisecond)
		}
	}()
	start := time.Now()
	h.ctl("flood", "flood "+strconv.Itoa(floodBytes))
	// How long 40 MB take through tmux depends on the machine's load,
	// not on us: wait as long as the test binary may run.
	h.waitOutputBy(m, "flood", "flood done", slowDeadline(t))
	res.duration = time.Since(start)
	stop.Store(true)
	<-done
	if err, _ := callErr.Load().(error); err != nil {
		t.Fatalf("call during flood: %v", err)
	}
	snap, err := m.ownedTeam(h.team).ownSnapshot(ctxT(t), "flood")
	if err != nil || len(snap.mates) == 0 || snap.mates[0].out == nil {
		t.Fatalf("no output buffer: %v", err)
	}
	res.total = snap.mates[0].out.Total()
	res.ring = len(snap.mates[0].out.Snapshot())
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.heapAfter = ms.HeapAlloc
	return res
}

func TestOutputFloodStaysResponsiveAndBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("40 MB flood skipped in -short mode")
	}
	h := newHarness(t)
	m := h.manager()
	res := runFlood(t, h, m)
	if len(res.status) == 0 {
		t.Fatal("no tool call completed during the flood")
	}
	if res.total < floodBytes {
		t.Errorf("received %d bytes of output, want at least %d", res.total, floodBytes)
	}
	if limit := m.cfg.OutputLimit; res.ring > limit {
		t.Errorf("ring holds %d bytes, limit %d", res.ring, limit)
	}
	if res.heapAfter > 64<<20 {
		t.Errorf("live heap after a 40 MB flood: %d MB", res.heapAfter>>20)
	}
	t.Logf("flood %v, %d calls, status p50 %v max %v, heap %d MB",
		res.duration, len(res.status), percentile(res.status, 50), percentile(res.status, 100), res.heapAfter>>20)
}

// percentile returns the p-th percentile of ds (p in 0..100).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

// ownedTeam returns m's owner loop of team (tests only).
func (m *Manager) ownedTeam(team string) *team {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.owned[team]; o != nil {
		return o.t
	}
	return nil
}
