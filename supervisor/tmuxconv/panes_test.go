package tmuxconv

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestListPanesArgvAndParse(t *testing.T) {
	var got []string
	run := func(ctx context.Context, argv []string) ([]byte, error) {
		got = argv
		return []byte("%0\t@0\t100\t0\t\t\t\t\n" +
			"%1\t@1\t101\t1\t3\t\tw1@alpha\tabcd\n" +
			"%2\t@1\t102\t1\t\t9\tw2@alpha\t\n" +
			"%3\t@2\t103\t1\t\t\t\t\n"), nil
	}
	panes, ok, err := ListPanes(context.Background(), run, "/usr/bin/tmux", TmuxServer{Name: "claude-teams"})
	if err != nil || !ok {
		t.Fatalf("ListPanes: %v %v", ok, err)
	}
	want := []string{"/usr/bin/tmux", "-L", "claude-teams", "list-panes", "-a", "-F",
		"#{pane_id}\t#{window_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{@claude-teams-agent}\t#{@claude-teams-root}"}
	if !slices.Equal(got, want) {
		t.Errorf("argv:\n got %q\nwant %q", got, want)
	}
	three := 3
	wantPanes := []Pane{
		{ID: "%0", Window: "@0", PID: 100},
		{ID: "%1", Window: "@1", PID: 101, Dead: true, ExitStatus: &three, Agent: "w1@alpha", Root: "abcd"},
		{ID: "%2", Window: "@1", PID: 102, Dead: true, Signal: "SIGKILL", Agent: "w2@alpha"},
		{ID: "%3", Window: "@2", PID: 103, Dead: true},
	}
	if a, b := mustJSON(t, panes), mustJSON(t, wantPanes); a != b {
		t.Errorf("panes:\n got %s\nwant %s", a, b)
	}

	if got := (TmuxServer{Socket: "/s", Name: "n"}).Args(); !slices.Equal(got, []string{"-S", "/s"}) {
		t.Errorf("socket args %q", got)
	}
	if got := (TmuxServer{}).Args(); got != nil {
		t.Errorf("default server args %q", got)
	}

	noServer := func(ctx context.Context, argv []string) ([]byte, error) {
		return nil, errors.New("tmux: exit status 1: no server running on /tmp/tmux-0/x")
	}
	if _, ok, err := ListPanes(context.Background(), noServer, "", TmuxServer{Name: "x"}); ok || err != nil {
		t.Errorf("no server: ok=%v err=%v", ok, err)
	}
	broken := func(ctx context.Context, argv []string) ([]byte, error) {
		return nil, errors.New("exec: tmux: not found")
	}
	if _, _, err := ListPanes(context.Background(), broken, "", TmuxServer{}); err == nil {
		t.Error("exec failure not reported")
	}
	garbage := func(ctx context.Context, argv []string) ([]byte, error) { return []byte("hello\n"), nil }
	if _, _, err := ListPanes(context.Background(), garbage, "", TmuxServer{}); err == nil {
		t.Error("garbage accepted")
	}
}

func TestParsePane(t *testing.T) {
	r, ok := ParsePane("%3\t@2\t1234\t1\t7\t\tw1@alpha\t0a1b2c3d")
	if !ok || r.ID != "%3" || r.Window != "@2" || r.PID != 1234 || !r.Dead || r.ExitStatus == nil || *r.ExitStatus != 7 ||
		r.Signal != "" || r.Agent != "w1@alpha" || r.Root != "0a1b2c3d" {
		t.Errorf("dead row = %+v %v", r, ok)
	}
	r, ok = ParsePane("%4\t@2\t99\t1\t\t9\tw2@alpha\t")
	if !ok || r.ExitStatus != nil || r.Signal != "SIGKILL" {
		t.Errorf("signalled row = %+v %v", r, ok)
	}
	r, ok = ParsePane("%5\t@3\t98\t0\t\t\t\t")
	if !ok || r.Dead || r.Agent != "" {
		t.Errorf("live foreign row = %+v %v", r, ok)
	}
	if _, ok := ParsePane("garbage"); ok {
		t.Error("garbage parsed")
	}
	for _, tc := range []struct {
		p    Pane
		want bool
	}{
		{Pane{}, true},
		{Pane{Agent: "w1@alpha", Root: "r"}, true},
		{Pane{Agent: "w2@alpha", Root: "r"}, false},
		{Pane{Agent: "w1@alpha", Root: "other"}, false},
	} {
		if got := tc.p.Ours("w1@alpha", "r"); got != tc.want {
			t.Errorf("%+v.ours = %v", tc.p, got)
		}
	}
}
