package layout

import (
	"fmt"
	"testing"
)

// BenchmarkSpawnStep measures placing the n-th teammate of a 200×50 lead
// window on real tmux: Slot, creating the pane there (split-window or, for
// the 20th, a new overflow window linked into the person's session), and
// Add (title, border, layout). The pane is removed again outside the timer.
//
//	go test ./supervisor/layout -run '^$' -bench SpawnStep -benchtime 200x
//
// person=none runs it with no person's client attached: the difference is
// tmux redrawing the person's screen.
func BenchmarkSpawnStep(b *testing.B) {
	for _, c := range []struct {
		n      int
		person bool
	}{{1, true}, {8, true}, {20, true}, {8, false}} {
		n := c.n
		name := fmt.Sprintf("teammate=%d", n)
		if !c.person {
			name += "/person=none"
		}
		b.Run(name, func(b *testing.B) {
			x := newWorldWith(b, 200, 50, c.person)
			l := x.layout()
			for i := 1; i < n; i++ {
				x.spawn(l, fmt.Sprintf("m%d", i), palette[i%len(palette)])
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x.spawn(l, "new", "orange")
				b.StopTimer()
				x.must("kill-pane", "-t", l.mate("new").Pane)
				if err := l.Remove(x.ctx, "new"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkRelayout measures the layout commands alone for a window with
// the lead and eight teammates (list-panes, swap check, select-layout).
//
//	go test ./supervisor/layout -run '^$' -bench Relayout
func BenchmarkRelayout(b *testing.B) {
	x := newWorld(b, 200, 50)
	l := x.layout()
	for i := 0; i < 8; i++ {
		x.spawn(l, fmt.Sprintf("m%d", i), palette[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.Relayout(x.ctx, x.leadWin); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestartStep measures a restart in place beside the lead with
// eight teammates: the dead pane (killed outside the timer) is replaced by
// a new pane made out of sight and swapped into its cell (ReplaceSlot,
// create, Replace: swap-pane, kill-pane, title, layout).
//
//	go test ./supervisor/layout -run '^$' -bench RestartStep -benchtime 200x
func BenchmarkRestartStep(b *testing.B) {
	for _, person := range []bool{true, false} {
		name := "person=attached"
		if !person {
			name = "person=none"
		}
		b.Run(name, func(b *testing.B) {
			x := newWorldWith(b, 200, 50, person)
			l := x.layout()
			for i := 0; i < 8; i++ {
				x.spawn(l, fmt.Sprintf("m%d", i), palette[i])
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				x.crash(l, "m4")
				b.StartTimer()
				x.restart(l, "m4")
			}
		})
	}
}
