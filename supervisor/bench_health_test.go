package supervisor

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

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
