package layout

import (
	"context"
	"strings"
	"testing"
)

func TestChecksum(t *testing.T) {
	// Printed by tmux 3.3a (display -p '#{window_layout}') for a
	// 200×50 window split twice.
	body := "200x50,0,0[200x25,0,0,0,200x12,0,26,1,200x11,0,39,2]"
	if got := checksum(body); got != 0xc529 {
		t.Errorf("checksum = %04x, want c529", got)
	}
}

func TestCapacity(t *testing.T) {
	for _, c := range []struct {
		w, h  int
		lead  bool
		share int
		want  int
	}{
		{200, 50, true, 30, 12}, // 139 columns: 3 × 4
		{80, 24, true, 30, 2},   // 55 columns: 1 × 2
		{80, 23, true, 30, 2},   // with tmux's status line
		{80, 24, false, 30, 4},  // overflow: 2 × 2
		{80, 20, true, 30, 1},   // 20 rows: 1
		{50, 24, true, 30, 0},   // 34 columns beside the lead: none
		{200, 50, true, 90, 0},  // 19 columns beside the lead: none
		{120, 44, true, 30, 8},  // 83 columns: 2 × 4
	} {
		if got := capacity(c.w, c.h, c.lead, c.share, DefaultMinWidth, DefaultMinHeight); got != c.want {
			t.Errorf("capacity(%dx%d, lead %v, %d%%) = %d, want %d", c.w, c.h, c.lead, c.share, got, c.want)
		}
	}
}

func TestLeadTree(t *testing.T) {
	ids := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, "%"+string(rune('0'+i)))
		}
		return out
	}
	for _, c := range []struct {
		panes, w, h int
		want        string
	}{
		{2, 200, 50, "200x50,0,0{60x50,0,0,0,139x50,61,0,1}"},
		{3, 200, 50, "200x50,0,0{60x50,0,0,0,139x50,61,0[139x25,61,0,1,139x24,61,26,2]}"},
		{6, 200, 50, "200x50,0,0{60x50,0,0,0,69x50,61,0[69x16,61,0,1,69x16,61,17,2,69x16,61,34,3],69x50,131,0[69x25,131,0,4,69x24,131,26,5]}"},
		{2, 80, 24, "80x24,0,0{24x24,0,0,0,55x24,25,0,1}"},
	} {
		root, err := leadTree(ids(c.panes), c.w, c.h, 30, DefaultMinHeight)
		if err != nil {
			t.Fatal(err)
		}
		got := root.String()
		if !strings.HasSuffix(got, ","+c.want) || len(got) != len(c.want)+5 {
			t.Errorf("%d panes in %dx%d:\n got %s\nwant ....,%s", c.panes, c.w, c.h, got, c.want)
		}
	}
	if _, err := leadTree(ids(1), 200, 50, 30, 10); err == nil {
		t.Error("a lead alone got a layout")
	}
	if _, err := leadTree(ids(30), 20, 10, 30, 10); err == nil {
		t.Error("30 panes fit in 20x10")
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string // "" for valid
	}{
		{Config{LeadPane: "%3", Team: "alpha"}, ""},
		{Config{LeadPane: "3", Team: "alpha"}, `lead pane "3"`},
		{Config{LeadPane: "%3", Team: ""}, `team name ""`},
		{Config{LeadPane: "%3", Team: "a b"}, `team name "a b"`},
		{Config{LeadPane: "%3", Team: "alpha", LeadShare: 95}, "lead share 95%: must be from 10 to 90"},
	} {
		_, err := New(c.cfg, nopCommander{})
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("New(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
	for in, want := range map[string]int{"30": 30, "45%": 45, " 10 ": 10, "9": 0, "91": 0, "x": 0, "": 0} {
		got, err := ParseLeadShare(in)
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("ParseLeadShare(%q) = %d, %v", in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "from 10 to 90") {
			t.Errorf("error %q names no limit", err)
		}
	}
}

func TestBorderFormat(t *testing.T) {
	for _, c := range []struct{ name, colour, want string }{
		{"w1", "purple", "#[fg=magenta,bold] w1 #[default]"},
		{"w1", "orange", "#[fg=colour208,bold] w1 #[default]"},
		{"w1", "pink", "#[fg=colour205,bold] w1 #[default]"},
		{"w1", "Blue", "#[fg=blue,bold] w1 #[default]"},
		{"a#(x)", "red]#(evil)", "#[bold] a##(x) #[default]"},
	} {
		if got := BorderFormat(c.name, c.colour); got != c.want {
			t.Errorf("BorderFormat(%q, %q) = %q, want %q", c.name, c.colour, got, c.want)
		}
	}
}

type nopCommander struct{}

func (nopCommander) Command(context.Context, ...string) ([]string, error) {
	return nil, nil
}
