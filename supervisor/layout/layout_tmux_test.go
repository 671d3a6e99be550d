package layout

import (
	"fmt"
	"strings"
	"testing"
)

var palette = []string{"blue", "green", "yellow", "purple", "orange", "pink", "cyan", "red"}

// check asserts the invariants of a placed team: every teammate has
// exactly one pane, alive, titled with its name, at least minW×minH (the
// top row of a window is its title line); the lead is at the left, full
// height, with at least its share of the width; the person's second
// window keeps its size.
func (x *world) check(l *Layout, names []string, share int) {
	x.t.Helper()
	ps := x.allPanes()
	byTitle := map[string][]paneFacts{}
	for _, p := range ps {
		byTitle[p.title] = append(byTitle[p.title], p)
		if p.dead {
			x.t.Errorf("dead pane left: %v", p)
		}
	}
	for _, n := range names {
		got := byTitle[n]
		if len(got) != 1 {
			x.t.Errorf("teammate %s has %d panes: %v", n, len(got), got)
			continue
		}
		p := got[0]
		if m := l.mate(n); m == nil || m.Pane != p.id || m.Window != p.window {
			x.t.Errorf("teammate %s: layout says %+v, tmux %v", n, m, p)
		}
		if p.w < DefaultMinWidth || p.h < DefaultMinHeight-1 {
			x.t.Errorf("teammate %s's pane is below the readable minimum: %v", n, p)
		}
		if x.get("display-message", "-p", "-t", p.id, "#{pane-border-status}") != "top" {
			x.t.Errorf("teammate %s's window shows no pane titles", n)
		}
	}
	for _, p := range ps {
		if p.id == x.lead {
			if p.left != 0 || p.top > 1 || p.top+p.h != p.winH || p.w*100 < share*p.winW-100 {
				x.t.Errorf("lead %v: want left, full height, ≥ %d%% of the width", p, share)
			}
		}
	}
	if got := x.get("display-message", "-p", "-t", x.second, "#{window_width}x#{window_height}"); got != x.secondSize {
		x.t.Errorf("the person's second window is %s, was %s", got, x.secondSize)
	}
}

// TestEightBesideTheLead: eight teammates and crash-restarts in a 200×50
// window all sit beside the lead, one pane each, titled.
func TestEightBesideTheLead(t *testing.T) {
	x := newWorld(t, 200, 50)
	l := x.layout()
	var names []string
	for i := 0; i < 8; i++ {
		n := fmt.Sprintf("w%d", i+1)
		names = append(names, n)
		x.spawn(l, n, palette[i])
		x.check(l, names, DefaultLeadShare)
	}
	for _, m := range l.Mates() {
		if m.Window != x.leadWin {
			t.Errorf("%s went to %s, not the lead's window %s", m.Name, m.Window, x.leadWin)
		}
	}
	for round := 0; round < 2; round++ {
		for _, n := range []string{"w1", "w5", "w8"} {
			before := l.mate(n)
			old := x.crash(l, n)
			cellBefore := findPane(x.allPanes(), old)
			x.restart(l, n)
			after := findPane(x.allPanes(), l.mate(n).Pane)
			if after.left != cellBefore.left || after.top != cellBefore.top || after.w != cellBefore.w || after.h != cellBefore.h {
				t.Errorf("restarted %s moved: %v -> %v", n, cellBefore, after)
			}
			if before.Window != after.window {
				t.Errorf("restarted %s changed window", n)
			}
			if p := findPane(x.allPanes(), old); p.id != "" {
				t.Errorf("dead pane %s of %s left", old, n)
			}
		}
		x.check(l, names, DefaultLeadShare)
	}
	if got := x.get("list-windows", "-t", "=person", "-F", "#{window_name}"); strings.Contains(got, "alpha-") {
		t.Errorf("overflow window with room to spare:\n%s", got)
	}
	t.Logf("lead's window:\n%s", x.capture(x.leadWin))
}

// TestTwentyIn80x24: twenty teammates in an 80×24 window all get a pane
// the person can see in their own session, in overflow windows.
func TestTwentyIn80x24(t *testing.T) {
	x := newWorld(t, 80, 24)
	l := x.layout()
	var names []string
	for i := 0; i < 20; i++ {
		n := fmt.Sprintf("mate-%02d", i+1)
		names = append(names, n)
		x.spawn(l, n, palette[i%len(palette)])
	}
	x.check(l, names, DefaultLeadShare)
	person := x.get("list-windows", "-t", "=person", "-F", "#{window_id} #{window_name}")
	for _, m := range l.Mates() {
		if !strings.Contains(person, m.Window+" ") {
			t.Errorf("%s's window %s is not in the person's session:\n%s", m.Name, m.Window, person)
		}
	}
	// 2 beside the lead (55 columns × 2 rows of ≥ 10), 4 per 80×24
	// overflow window (2 columns × 2 rows): alpha-2 … alpha-6.
	for i := 2; i <= 6; i++ {
		if !strings.Contains(person, fmt.Sprintf(" alpha-%d", i)) {
			t.Errorf("no overflow window alpha-%d:\n%s", i, person)
		}
	}
	if n := countIn(l, x.leadWin); n != 2 {
		t.Errorf("%d teammates beside the lead, want 2", n)
	}
	// A restart in an overflow window stays there, in its cell.
	w20 := l.mate("mate-20").Window
	x.crash(l, "mate-20")
	x.restart(l, "mate-20")
	if l.mate("mate-20").Window != w20 {
		t.Errorf("mate-20 restarted into %s, was in %s", l.mate("mate-20").Window, w20)
	}
	// A removal frees a cell; the next spawn takes it.
	m := l.mate("mate-01")
	x.must("kill-pane", "-t", m.Pane)
	if err := l.Remove(x.ctx, "mate-01"); err != nil {
		t.Fatal(err)
	}
	x.spawn(l, "late", "red")
	if l.mate("late").Window != x.leadWin {
		t.Errorf("late went to %s, the lead's window had room", l.mate("late").Window)
	}
	x.check(l, append(names[1:], "late"), DefaultLeadShare)
}

// TestTeardownRestoresLeadWindow: after its teammates are gone the lead's
// window has its options and full size back, also when a later owner (a
// new Layout) tears down.
func TestTeardownRestoresLeadWindow(t *testing.T) {
	for _, own := range []string{"", "bottom"} {
		t.Run("status="+own, func(t *testing.T) {
			x := newWorld(t, 120, 40)
			if own != "" {
				x.must("set-option", "-w", "-t", x.leadWin, "pane-border-status", own)
			}
			leadBefore := findPane(x.allPanes(), x.lead)
			l := x.layout()
			for i := 0; i < 5; i++ {
				x.spawn(l, fmt.Sprintf("t%d", i), palette[i])
			}
			if got := x.get("show-options", "-w", "-v", "-t", x.leadWin, "pane-border-status"); got != "top" {
				t.Errorf("pane-border-status = %q while teammates run", got)
			}
			later := x.layout() // a new owner, which never saw the original value
			if err := later.Add(x.ctx, l.Mates()...); err != nil {
				t.Fatal(err)
			}
			for _, m := range l.Mates() {
				x.must("kill-pane", "-t", m.Pane)
			}
			if err := later.Teardown(x.ctx); err != nil {
				t.Fatal(err)
			}
			if got := x.get("show-options", "-w", "-v", "-t", x.leadWin, "pane-border-status"); got != own {
				t.Errorf("pane-border-status = %q after teardown, want %q", got, own)
			}
			if got := x.get("show-options", "-w", "-t", x.leadWin); strings.Contains(got, savedPrefix) {
				t.Errorf("records left on the lead's window:\n%s", got)
			}
			lead := findPane(x.allPanes(), x.lead)
			if lead.String() != leadBefore.String() {
				t.Errorf("lead after teardown: %v, before the team: %v", lead, leadBefore)
			}
		})
	}
}

// TestForeignPaneNeverResized: a pane of the person's own in the lead's
// window is never resized; teammates go to overflow windows instead.
func TestForeignPaneNeverResized(t *testing.T) {
	x := newWorld(t, 200, 50)
	l := x.layout()
	x.spawn(l, "a", "blue")
	mine := x.get("split-window", "-d", "-t", x.lead, "-v", "-P", "-F", "#{pane_id}", "cat")
	before := findPane(x.allPanes(), mine)
	x.spawn(l, "b", "green")
	x.spawn(l, "c", "pink")
	after := findPane(x.allPanes(), mine)
	if before.String() != after.String() {
		t.Errorf("the person's pane changed: %v -> %v", before, after)
	}
	for _, n := range []string{"b", "c"} {
		if l.mate(n).Window == x.leadWin {
			t.Errorf("%s put into a window holding the person's own pane", n)
		}
	}
	if l.mate("b").Window != l.mate("c").Window {
		t.Errorf("b and c in different overflow windows: %s %s", l.mate("b").Window, l.mate("c").Window)
	}
	// Once the person closes their pane, the lead's window takes
	// teammates again.
	x.must("kill-pane", "-t", mine)
	x.spawn(l, "d", "red")
	if l.mate("d").Window != x.leadWin {
		t.Errorf("d went to %s though the lead's window is ours again", l.mate("d").Window)
	}
	x.check(l, []string{"a", "b", "c", "d"}, DefaultLeadShare)
}

// TestRestartWhenDeadPaneGone: a restart whose dead pane was closed
// meanwhile still leaves the teammate exactly one visible pane.
func TestRestartWhenDeadPaneGone(t *testing.T) {
	x := newWorld(t, 200, 50)
	l := x.layout()
	x.spawn(l, "a", "blue")
	x.spawn(l, "b", "green")
	old := x.crash(l, "a")
	x.must("kill-pane", "-t", old)
	x.restart(l, "a")
	x.check(l, []string{"a", "b"}, DefaultLeadShare)
	if l.mate("a").Window != x.leadWin {
		t.Errorf("a's new pane is in %s, not beside the lead", l.mate("a").Window)
	}
}

// TestLeadShare: the share setting holds through adds.
func TestLeadShare(t *testing.T) {
	x := newWorld(t, 200, 50)
	l := x.layout(func(c *Config) { c.LeadShare = 45 })
	for i := 0; i < 4; i++ {
		x.spawn(l, fmt.Sprintf("s%d", i), "cyan")
	}
	x.check(l, []string{"s0", "s1", "s2", "s3"}, 45)
	if lead := findPane(x.allPanes(), x.lead); lead.w != 90 {
		t.Errorf("lead is %d columns wide, want 90 (45%% of 200)", lead.w)
	}
}

func findPane(ps []paneFacts, id string) paneFacts {
	for _, p := range ps {
		if p.id == id {
			return p
		}
	}
	return paneFacts{}
}

func countIn(l *Layout, w string) int { return l.countIn(w) }

// TestDecorateOwnWindow: a teammate in a window of its own
// (USE_TMUX_WINDOWS, the private server) is titled and bordered in its
// colour; nothing else of the window changes.
func TestDecorateOwnWindow(t *testing.T) {
	x := newWorld(t, 100, 30)
	s := Slot{Name: "w1", Session: "person"}
	p := x.create(s, "w1")
	if err := Decorate(x.ctx, x.conn, Mate{Name: "w1", Color: "orange", Pane: p}); err != nil {
		t.Fatal(err)
	}
	got := x.get("display-message", "-p", "-t", p, "#{pane_title}|#{pane-border-status}|#{window_panes}")
	if got != "w1|top|1" {
		t.Errorf("title|status|panes = %q", got)
	}
	if f := x.get("show-options", "-p", "-v", "-t", p, "pane-border-format"); f != "#[fg=colour208,bold] w1 #[default]" {
		t.Errorf("border format %q", f)
	}
	if err := Decorate(x.ctx, x.conn, Mate{Name: "bad name", Pane: p}); err == nil || !strings.Contains(err.Error(), `"bad name"`) {
		t.Errorf("a name with a space: %v", err)
	}
	if err := Decorate(x.ctx, x.conn, Mate{Name: "w1", Pane: "7"}); err == nil || !strings.Contains(err.Error(), `pane "7"`) {
		t.Errorf("a bad pane id: %v", err)
	}
}
