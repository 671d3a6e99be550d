package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// Benchmarks of the supervisor against real tmux. Each runs one fixed
// experiment (use -benchtime=1x) and reports its figures as metrics:
//
//	go test -run '^$' -bench . -benchtime=1x ./supervisor/

// BenchmarkExitToLeadInbox measures the time from a teammate's process
// exit (stamped by the process itself just before exiting) to the crash
// message being written into the lead's inbox (the "lead notified" log
// event, logged right after the write), over 200 exits, and the share of
// exits whose status was known.
func BenchmarkExitToLeadInbox(b *testing.B) {
	const mates, rounds = 20, 10
	h := newHarness(b)
	m := h.manager(func(c *Config) { c.Notify.Burst = 10 * mates * rounds }) // measure delivery, not the rate limit
	for i := 0; i < mates; i++ {
		h.spawn(m, fmt.Sprintf("w%d", i), "wait")
	}
	var lat, det []time.Duration // exit -> inbox written; exit -> crash handled
	known, exits := 0, 0
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		for i := 0; i < mates; i++ {
			name := fmt.Sprintf("w%d", i)
			stamp := filepath.Join(h.dir, "stamp-"+name)
			notified := h.logs.FilterMessage("lead notified").FilterField(zap.String("agent", name))
			before := notified.Len()
			h.ctl(name, "stamp "+stamp)
			h.ctl(name, "exit 1")
			eventually(b, func() bool {
				notified = h.logs.FilterMessage("lead notified").FilterField(zap.String("agent", name))
				return notified.Len() > before
			}, "crash message from %s", name)
			exitAt := readStamp(b, stamp)
			at := notified.All()[notified.Len()-1].Time
			lat = append(lat, at.Sub(exitAt))
			cr := h.logs.FilterMessage("teammate crashed").FilterField(zap.String("agent", name)).All()
			det = append(det, cr[len(cr)-1].Time.Sub(exitAt))
			exits++
			if ts := h.status(m, name); ts.ExitStatus != nil && *ts.ExitStatus == 1 {
				known++
			}
			if _, err := m.Restart(ctxT(b), h.team, name, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(lat, 100).Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(exits), "exits")
	b.ReportMetric(float64(percentile(det, 50).Microseconds())/1000, "detect-p50-ms")
	b.ReportMetric(float64(percentile(det, 100).Microseconds())/1000, "detect-max-ms")
	b.ReportMetric(100*float64(known)/float64(exits), "status-known-%")
}

func readStamp(b testing.TB, path string) time.Time {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Unix(0, ns)
}

// BenchmarkIdleTeammates32 measures the supervising process's CPU time
// (getrusage: this test process, which runs the Manager and its reader
// goroutines) and the tmux control client's CPU time over a 10 s window
// with 32 idle teammates, and the process's resident memory.
func BenchmarkIdleTeammates32(b *testing.B) {
	h := newHarness(b)
	m := h.manager(func(c *Config) { c.Health = policy.HealthConfig{} }) // the production defaults
	for i := 0; i < 32; i++ {
		h.spawn(m, fmt.Sprintf("w%d", i), "print ready", "wait")
	}
	for i := 0; i < 32; i++ {
		h.waitState(m, fmt.Sprintf("w%d", i), protocol.StateRunning)
	}
	client := m.ownedTeam(h.team).connClientPID(b)
	const window = 10 * time.Second
	b.ResetTimer()
	u0, c0 := rusageCPU(b), procCPU(client)
	time.Sleep(window)
	u1, c1 := rusageCPU(b), procCPU(client)
	b.StopTimer()
	b.ReportMetric(100*float64(u1-u0)/float64(window), "supervisor-cpu-%")
	b.ReportMetric(100*float64(c1-c0)/float64(window), "tmux-client-cpu-%")
	b.ReportMetric(float64(rssBytes())/(1<<20), "rss-MB")
}

// connClientPID is the tmux control client's pid (tests only).
func (t *team) connClientPID(b testing.TB) int {
	snap, err := t.ownSnapshot(ctxT(b), "")
	if err != nil || snap.conn == nil {
		b.Fatal("no connection")
	}
	return snap.conn.ClientPID()
}

func rusageCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is a process's user+system time from /proc (0 if unavailable).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// rssBytes is this process's resident set size.
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// BenchmarkToolCallsDuringFlood measures Status and Capture latency while a
// teammate prints 40 MB.
func BenchmarkToolCallsDuringFlood(b *testing.B) {
	h := newHarness(b)
	m := h.manager()
	b.ResetTimer()
	res := runFlood(b, h, m)
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(percentile(res.status, 50)), "status-p50-ms")
	b.ReportMetric(ms(percentile(res.status, 100)), "status-max-ms")
	b.ReportMetric(ms(percentile(res.capture, 50)), "capture-p50-ms")
	b.ReportMetric(ms(percentile(res.capture, 100)), "capture-max-ms")
	b.ReportMetric(float64(len(res.status)), "calls")
	b.ReportMetric(res.duration.Seconds(), "flood-s")
	b.ReportMetric(float64(res.heapAfter)/(1<<20), "heap-after-MB")
}

// BenchmarkBusyScreens32 measures what reading busy panes' screens costs
// and buys, with the production health defaults: 32 teammates each redraw
// a spinner every 20 ms (their output never settles); over a 10 s window it
// reports the supervising process's and the tmux server's CPU and the busy
// screen reads granted per second; then one of them draws a dialog above
// its spinner, and it reports the time from the dialog's drawing (stamped
// by the agent) to the teammate's needs_input. busy=off is the same with
// busy reads pushed out to an hour (as before: no dialog is ever seen).
//
//	go test -run '^$' -bench BusyScreens32 -benchtime=1x ./supervisor/
func BenchmarkBusyScreens32(b *testing.B) {
	for _, c := range []struct {
		name  string
		every time.Duration
	}{{"busy=default", 0}, {"busy=off", time.Hour}} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarness(b)
			m := h.manager(func(cfg *Config) { cfg.Health = policy.HealthConfig{BusyScreenEvery: c.every} })
			for i := 0; i < 32; i++ {
				h.spawn(m, fmt.Sprintf("w%d", i), "print ready", "spin 20", "wait")
			}
			for i := 0; i < 32; i++ {
				h.waitState(m, fmt.Sprintf("w%d", i), protocol.StateRunning)
			}
			out, err := h.tmux("display-message", "-p", "#{pid}")
			var server int
			if _, scanErr := fmt.Sscan(out, &server); err != nil || scanErr != nil {
				b.Fatalf("tmux server pid: %q, %v", out, err)
			}
			time.Sleep(time.Second)
			const window = 10 * time.Second
			b.ResetTimer()
			r0, u0, s0 := m.busyReads.count(), rusageCPU(b), procCPU(server)
			time.Sleep(window)
			r1, u1, s1 := m.busyReads.count(), rusageCPU(b), procCPU(server)
			b.ReportMetric(100*float64(u1-u0)/float64(window), "supervisor-cpu-%")
			b.ReportMetric(100*float64(s1-s0)/float64(window), "tmux-server-cpu-%")
			b.ReportMetric(float64(r1-r0)/window.Seconds(), "busy-reads/s")
			if c.every == time.Hour {
				return
			}
			stamp := filepath.Join(h.dir, "stamp-dialog")
			h.ctl("w7", "stamp "+stamp)
			h.ctl("w7", "print Overwrite notes.md? [y/N]")
			h.waitState(m, "w7", protocol.StateNeedsInput)
			drawn := readStamp(b, stamp)
			ev := h.logs.FilterMessage("teammate needs input").FilterField(zap.String("agent", "w7")).All()
			b.ReportMetric(ev[len(ev)-1].Time.Sub(drawn).Seconds(), "dialog-to-needs-input-s")
		})
	}
}
