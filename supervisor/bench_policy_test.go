package supervisor

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// Benchmarks of supervision policy against real tmux (run with
// -benchtime=1x; each is one fixed experiment reporting its figures):
//
//	go test -run '^$' -bench 'CrashToRestart|CrashLoop|Flood32' -benchtime=1x ./supervisor/

// BenchmarkCrashToRestart measures, for the first restart of a teammate
// under on-failure, the time from its process's exit (stamped by the
// process just before exiting) to the new process running (stamped by the
// new process as its first act), and to the supervisor reporting it
// running (its first output has settled on a screen that looks ready). With
// the default backoff (1 s, jitter 20 %) and with no backoff at all, which
// leaves our own overhead: detection, the restart note, replacing the pane.
func BenchmarkCrashToRestart(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  policy.RestartConfig
	}{
		{"backoff=default", policy.RestartConfig{}},
		{"backoff=0", policy.RestartConfig{InitialBackoff: time.Nanosecond, Jitter: -1, StartGap: -1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			const rounds = 10
			h := newHarness(b)
			m := h.manager(func(cfg *Config) {
				cfg.Restarts = c.cfg
				cfg.Health = policy.HealthConfig{} // the defaults: settle 1 s
			})
			var toProcess, toRunning []time.Duration
			b.ResetTimer()
			for i := 0; i < rounds; i++ {
				// A new teammate each round: every crash is a first failure.
				name := fmt.Sprintf("w%d", i)
				start := filepath.Join(h.dir, "start-"+name)
				exit := filepath.Join(h.dir, "exit-"+name)
				h.spawnPolicy(m, name, "on-failure", "stamp "+start, "print ready", "wait")
				h.waitState(m, name, protocol.StateRunning)
				h.ctl(name, "stamp "+exit)
				h.ctl(name, "exit 1")
				eventually(b, func() bool {
					ts := h.status(m, name)
					return ts.Restarts == 1 && ts.State == protocol.StateRunning
				}, "%s restarted and running", name)
				exitAt := readStamp(b, exit)
				toProcess = append(toProcess, readStamp(b, start).Sub(exitAt))
				for _, e := range h.logs.FilterMessage("teammate running").FilterField(zap.String("agent", name)).All() {
					if e.ContextMap()["restarts"] == int64(1) {
						toRunning = append(toRunning, e.Time.Sub(exitAt))
					}
				}
			}
			b.StopTimer()
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(percentile(toProcess, 50)), "to-process-p50-ms")
			b.ReportMetric(ms(percentile(toProcess, 100)), "to-process-max-ms")
			b.ReportMetric(ms(percentile(toRunning, 50)), "to-running-p50-ms")
			b.ReportMetric(ms(percentile(toRunning, 100)), "to-running-max-ms")
		})
	}
}

// BenchmarkCrashLoopLeadMessages runs 4 teammates that crash 3 s after
// every start for 10 minutes, on real tmux with every policy duration
// divided by 20 (a compressed clock: 30 s of wall time), and counts the
// lead's messages and the events they carry. With the default policy the
// teammates give up after 5 failed runs; with MaxFailures -1 they never
// do (backoff capped at 60 s), which is the steady worst case.
func BenchmarkCrashLoopLeadMessages(b *testing.B) {
	const scale = 20
	for _, c := range []struct {
		name        string
		maxFailures int
	}{{"default", 0}, {"never-give-up", -1}} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarness(b)
			m := h.manager(func(cfg *Config) {
				cfg.Restarts = policy.RestartConfig{
					InitialBackoff: time.Second / scale, MaxBackoff: time.Minute / scale,
					MinRun: 10 * time.Second / scale, FailureWindow: 10 * time.Minute / scale,
					StartGap: policy.DefaultStartGap / scale, MaxFailures: c.maxFailures,
				}
				cfg.Notify = policy.NotifyConfig{Every: policy.DefaultNotifyEvery / scale}
				cfg.Health = policy.HealthConfig{ScreenSettle: time.Second / scale, StartTimeout: time.Minute / scale,
					IdleAfter: 30 * time.Second / scale, StallAfter: 10 * time.Minute / scale}
			})
			run := strconv.Itoa(int(3 * time.Second / scale / time.Millisecond))
			names := []string{"w1", "w2", "w3", "w4"}
			b.ResetTimer()
			for _, n := range names {
				h.spawnPolicy(m, n, "on-failure", "print working", "sleep "+run, "exit 1")
			}
			time.Sleep(10 * time.Minute / scale)
			b.StopTimer()
			msgs, events := 0, 0
			for _, n := range append(names, policy.DefaultNotifySummaryFrom) {
				for _, msg := range h.leadMessages(n) {
					msgs++
					if k, _, ok := strings.Cut(msg.Summary, " updates: "); ok {
						n, _ := strconv.Atoi(k)
						events += n
					} else {
						events++
					}
				}
			}
			starts := 0
			for _, n := range names {
				starts += h.launch.runCount(n)
			}
			b.ReportMetric(float64(msgs), "lead-msgs-per-10min")
			b.ReportMetric(float64(events), "events-per-10min")
			b.ReportMetric(float64(starts), "starts")
		})
	}
}

// BenchmarkFlood32 measures the supervising process's CPU (getrusage: this
// test process runs the Manager, its reader and owner loops) and the tmux
// server's over a 10 s window with 32 teammates, 16 of which print without
// pause (as fast as tmux takes it) or at 64 KB/s each, and the output
// rate we received.
func BenchmarkFlood32(b *testing.B) {
	for _, c := range []struct{ name, cmd string }{
		{"flood=max", "flood 1000000000000"},
		{"flood=64KBps", "spew 65536"},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarness(b)
			m := h.manager(func(cfg *Config) { cfg.Health = policy.HealthConfig{} })
			for i := 0; i < 32; i++ {
				h.spawn(m, fmt.Sprintf("w%d", i), "print ready", "wait")
			}
			for i := 0; i < 32; i++ {
				h.waitState(m, fmt.Sprintf("w%d", i), protocol.StateRunning)
			}
			tm := m.ownedTeam(h.team)
			out, err := h.tmux("display-message", "-p", "#{pid}")
			server, _ := strconv.Atoi(strings.TrimSpace(out))
			if err != nil || server == 0 {
				b.Fatalf("tmux server pid: %q, %v", out, err)
			}
			for i := 0; i < 16; i++ {
				h.ctl(fmt.Sprintf("w%d", i), c.cmd)
			}
			time.Sleep(time.Second) // let the flood get going
			const window = 10 * time.Second
			b.ResetTimer()
			bytes0 := tm.outputTotal(b)
			u0, s0 := rusageCPU(b), procCPU(server)
			time.Sleep(window)
			u1, s1 := rusageCPU(b), procCPU(server)
			bytes1 := tm.outputTotal(b)
			b.StopTimer()
			b.ReportMetric(100*float64(u1-u0)/float64(window), "supervisor-cpu-%")
			b.ReportMetric(100*float64(s1-s0)/float64(window), "tmux-server-cpu-%")
			b.ReportMetric(float64(bytes1-bytes0)/window.Seconds()/(1<<20), "output-MB/s")
			b.ReportMetric(float64(rssBytes())/(1<<20), "rss-MB")
		})
	}
}

// outputTotal is the sum of the bytes received from every pane.
func (t *team) outputTotal(b testing.TB) int64 {
	snap, err := t.ownSnapshot(ctxT(b), "")
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, v := range snap.mates {
		if v.out != nil {
			n += v.out.Total()
		}
	}
	return n
}
