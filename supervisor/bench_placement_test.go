package supervisor

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// BenchmarkSplitPlacement measures, through the Manager in split mode
// (the lead in a 200×50 window of a person's session, the person's client
// attached), the spawn latency of the 1st, 8th and 20th teammate (Spawn's
// call: member, inbox, pane at its slot, layout applied; the 13th and
// later go to an overflow window), and the restart latency in place: from
// the crashing process's last instant (it stamps the time) to the new
// pane swapped into the old cell and starting (its "teammate starting"
// event), the restart backoff off; person=none without the person's
// client (tmux then redraws no screen). One experiment per run:
//
//	go test -run '^$' -bench SplitPlacement -benchtime=1x ./supervisor/
func BenchmarkSplitPlacement(b *testing.B) {
	for _, attach := range []bool{true, false} {
		name := "person=attached"
		if !attach {
			name = "person=none"
		}
		b.Run(name, func(b *testing.B) { benchSplitPlacement(b, attach) })
	}
}

func benchSplitPlacement(b *testing.B, attach bool) {
	const mates, restarts = 20, 10
	for i := 0; i < b.N; i++ {
		h := newHarness(b)
		p := h.personInTmuxWith(200, 50, attach)
		m := h.manager(func(c *Config) {
			c.TMUX, c.TMUXPane = p.tmuxEnv, p.lead
			c.Restarts = policy.RestartConfig{InitialBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond,
				MinRun: time.Nanosecond, MaxFailures: -1, StartGap: -1, Jitter: -1}
		})
		var spawn []time.Duration
		var names []string
		for j := 1; j <= mates; j++ {
			n := fmt.Sprintf("w%d", j)
			names = append(names, n)
			h.launch.set(n, []string{"print up", "wait"})
			start := time.Now()
			if _, err := m.Spawn(ctxT(b), h.team, protocol.Member{Name: n, Prompt: "do " + n, Cwd: h.dir, BackendType: "fake"}, protocol.RestartOnFailure); err != nil {
				b.Fatalf("spawn %s: %v", n, err)
			}
			spawn = append(spawn, time.Since(start))
		}
		var lat []time.Duration
		for r := 0; r < restarts; r++ {
			n := "w1"
			starting := h.logs.FilterMessage("teammate starting").FilterField(zap.String("agent", n))
			before := starting.Len()
			stamp := filepath.Join(h.dir, fmt.Sprintf("stamp-%d", r))
			h.ctl(n, "stamp "+stamp)
			h.ctl(n, "exit 3")
			eventually(b, func() bool {
				starting = h.logs.FilterMessage("teammate starting").FilterField(zap.String("agent", n))
				return starting.Len() > before
			}, "restart %d of %s", r, n)
			lat = append(lat, starting.All()[starting.Len()-1].Time.Sub(readStamp(b, stamp)))
			h.waitOutput(m, n, "up")
		}
		h.checkPlaced(p, names)
		slices.Sort(lat)
		b.ReportMetric(ms(spawn[0]), "spawn1-ms")
		b.ReportMetric(ms(spawn[7]), "spawn8-ms")
		b.ReportMetric(ms(spawn[12]), "spawn13-ms")
		b.ReportMetric(ms(spawn[19]), "spawn20-ms")
		b.ReportMetric(ms(lat[len(lat)/2]), "restart-p50-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "restart-max-ms")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
