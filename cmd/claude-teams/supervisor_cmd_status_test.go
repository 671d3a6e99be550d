package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"go.uber.org/zap/zaptest"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

var frameNow = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func frameStamp(d time.Duration) string { return protocol.FormatTimestamp(frameNow.Add(d)) }

func frameInt(n int) *int { return &n }

// sampleViews is a fixed picture of two teams covering every column.
func sampleViews() []teamView {
	return []teamView{
		{Mode: statefile.ModePrivate, Status: protocol.TeamStatus{Name: "alpha", Supervised: true, SupervisorPID: 4242,
			Teammates: []protocol.TeammateStatus{
				{Name: "researcher", AgentID: "researcher@alpha", Backend: "claude", PaneID: "%3", Window: "alpha-1 (@2)", PID: 5001,
					State: "idle", Health: "idle", Alive: true, StartedAt: frameStamp(-5*time.Minute - 3*time.Second),
					LastOutputAt: frameStamp(-12 * time.Second), Unread: 2, Tasks: []string{"1", "3"}},
				{Name: "coder", AgentID: "coder@alpha", Backend: "codex", PaneID: "%4", PID: 5002,
					State: "restarting", ExitStatus: frameInt(3), Restarts: 2, Failures: 2,
					StartedAt: frameStamp(-time.Hour), LastOutputAt: frameStamp(-2*time.Hour - 4*time.Minute),
					NextRestartAt: frameStamp(4 * time.Second), Tasks: []string{}},
				{Name: "tester", AgentID: "tester@alpha", Backend: "gemini", PaneID: "%5",
					State: "stopped", Signal: "SIGTERM", Restarts: 0, Tasks: []string{}},
				{Name: "writer", AgentID: "writer@alpha", Backend: "claude", PaneID: "%6", PID: 5003,
					State: "needs_input", Health: "needs_input", Alive: true, StartedAt: frameStamp(-time.Minute),
					HealthReason: "a dialog waits:\n  \x1b[1mAllow edit?\x1b[0m (y/n)",
					LastOutputAt: frameStamp(-30 * time.Second), Tasks: []string{"4"}},
				{Name: "runner", AgentID: "runner@alpha", Backend: "opencode", PaneID: "%7", PID: 5004,
					State: "stalled", Health: "stalled", Alive: true, StartedAt: frameStamp(-time.Hour),
					LastOutputAt: frameStamp(-11 * time.Minute), Unread: 1, Tasks: []string{"5"}},
				{Name: "flaky", AgentID: "flaky@alpha", Backend: "codex", PaneID: "%8",
					State: "failed", ExitStatus: frameInt(1), Restarts: 4, Failures: 5, Tasks: []string{}},
			}}},
		{Mode: statefile.ModeSplit, Note: "supervisor not usable: supervisor status: context deadline exceeded; showing files and tmux",
			Status: protocol.TeamStatus{Name: "beta", Teammates: []protocol.TeammateStatus{
				{Name: "w1", AgentID: "w1@beta", Backend: "claude", PaneID: "%1", State: "unknown", Tasks: []string{},
					HealthReason: "pane %1 is not this teammate's (untagged, runs pid 77, not our pid 12): left out"},
			}}},
		{Status: protocol.TeamStatus{Name: "gamma", Teammates: []protocol.TeammateStatus{}}},
	}
}

func TestStatusTableGolden(t *testing.T) {
	var buf bytes.Buffer
	renderTeams(&buf, sampleViews(), renderOptions{Now: frameNow, TmuxSocket: "claude-teams"})
	golden(t, "supervisor-status-table.golden", buf.Bytes())
}

// The attach hint names the server and session the state file recorded,
// which is where the panes are even when this shell's
// CLAUDE_TEAMS_TMUX_SOCKET differs from the supervisor's.
func TestStatusAttachHintFromState(t *testing.T) {
	views := sampleViews()[:1]
	views[0].Socket, views[0].Session = "/tmp/tmux-0/other sock", "alpha"
	var buf bytes.Buffer
	renderTeams(&buf, views, renderOptions{Now: frameNow, TmuxSocket: "claude-teams"})
	if want := "attach: tmux -S '/tmp/tmux-0/other sock' attach -t alpha\n"; !strings.HasSuffix(buf.String(), want) {
		t.Errorf("hint:\n%s\nwant suffix %q", buf.String(), want)
	}
}

func TestStatusWatchFrames(t *testing.T) {
	opt := renderOptions{Now: frameNow, TmuxSocket: "claude-teams"}
	var piped bytes.Buffer
	renderWatchFrame(&piped, sampleViews(), opt, 2*time.Second, false, true)
	if strings.Contains(piped.String(), "\x1b") {
		t.Error("piped frame has escape sequences")
	}
	golden(t, "supervisor-status-watch-piped.golden", piped.Bytes())

	opt.Color = true
	var tty bytes.Buffer
	renderWatchFrame(&tty, sampleViews(), opt, 2*time.Second, true, true)
	golden(t, "supervisor-status-watch-tty.golden", tty.Bytes())
	s := tty.String()
	if !strings.HasPrefix(s, ansiClearScreen+ansiHome) || !strings.HasSuffix(s, ansiClearBelow) {
		t.Errorf("tty frame framing: %q", s)
	}
	if !strings.Contains(s, ansiYellow+"restarting (restart in 4s)"+ansiReset) || !strings.Contains(s, ansiGreen+"idle"+ansiReset) ||
		!strings.Contains(s, ansiMagenta+"needs_input"+ansiReset) || !strings.Contains(s, ansiRed+"failed"+ansiReset) {
		t.Errorf("tty frame colours: %q", s)
	}
	var next bytes.Buffer
	renderWatchFrame(&next, sampleViews(), opt, 2*time.Second, true, false)
	if strings.Contains(next.String(), ansiClearScreen) || !strings.HasPrefix(next.String(), ansiHome) {
		t.Errorf("later frame must redraw from home without clearing: %q", next.String()[:20])
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 0: "0s", 1499 * time.Millisecond: "1s", 59 * time.Second: "59s",
		time.Minute: "1m0s", 303 * time.Second: "5m3s", 2*time.Hour + 4*time.Minute: "2h4m",
		50 * time.Hour: "2d2h",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// cliService is the supervisor behind team alpha's socket in the CLI tests.
type cliService struct {
	root     string // reported by ping
	mu       sync.Mutex
	restarts []string
}

func (s *cliService) DataRoot() string { return s.root }

func (s *cliService) Spawn(ctx context.Context, team string, m protocol.Member, restart protocol.RestartPolicy) (protocol.Member, error) {
	return m, nil
}
func (s *cliService) Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error {
	return nil
}
func (s *cliService) Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	call := team + "/" + agent
	ts := protocol.TeammateStatus{Name: agent, State: "restarting", PaneID: "%9", SessionID: "8b90bf9f-b4db-4038-99aa-cece2cc8ce79", Resumed: true}
	if fresh {
		call += " fresh"
		ts.SessionID, ts.Resumed = "0f6c3b1e-2f4d-4c1a-9d8e-7a6b5c4d3e2f", false
	}
	s.restarts = append(s.restarts, call)
	return ts, nil
}
func (s *cliService) Status(ctx context.Context, team string) (protocol.TeamStatus, error) {
	// No pid and nil slices: the CLI fills the pid from ping and prints [].
	return protocol.TeamStatus{Name: team, Teammates: []protocol.TeammateStatus{
		{Name: "w1", AgentID: "w1@" + team, State: "running", Alive: true, PID: 77, PaneID: "%1"},
	}}, nil
}
func (s *cliService) Capture(ctx context.Context, team, agent string, lines int) (string, error) {
	return "", nil
}
func (s *cliService) Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error) {
	return protocol.Removal{}, nil
}
func (s *cliService) Teardown(ctx context.Context, team string) error { return nil }

// cliWorld is a data root with team alpha (a supervisor answers on its
// socket) and team beta (nobody supervises it; its tmux server does not
// exist).
func cliWorld(t *testing.T) (Config, *cliService) {
	return cliWorldRoot(t, "")
}

// cliWorldRoot is cliWorld with alpha's supervisor claiming data root
// root ("" = the world's own).
func cliWorldRoot(t *testing.T, root string) (Config, *cliService) {
	t.Helper()
	runtime := shortTempDir(t, "ctc")
	cfg := Config{
		DataRoot:   t.TempDir(),
		TmuxSocket: fmt.Sprintf("cts-none-%d", os.Getpid()),
		Environ:    []string{"XDG_RUNTIME_DIR=" + runtime, "NO_COLOR=1"},
	}
	store := protocol.NewStore(cfg.DataRoot)
	for _, team := range []string{"alpha", "beta"} {
		if _, err := store.CreateTeam(team, "", protocol.Member{Cwd: "/"}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.AddMember(team, protocol.Member{Name: "w1", TmuxPaneID: "%1", BackendType: "claude", Cwd: "/"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Send("beta", "w1", protocol.Message{From: protocol.LeadName, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	svc := &cliService{root: cmp.Or(root, cfg.DataRoot)}
	srv, err := statussock.ListenSocket(statussock.SocketPath(cfg.DataRoot, "alpha", os.Getuid(), runtime))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, svc, zaptest.NewLogger(t)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return cfg, svc
}

func jsonKeys(m map[string]json.RawMessage) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func TestStatusJSONShape(t *testing.T) {
	cfg, _ := cliWorld(t)
	out, errOut, err := runSup(t, cfg, "status", "--json")
	if err != nil || errOut != "" {
		t.Fatalf("err=%v stderr=%q", err, errOut)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := jsonKeys(doc); !slices.Equal(got, []string{"teams"}) {
		t.Fatalf("top-level keys %q", got)
	}
	var teams []map[string]json.RawMessage
	json.Unmarshal(doc["teams"], &teams)
	if len(teams) != 2 {
		t.Fatalf("teams: %s", out)
	}
	teamKeys := []string{"name", "supervised", "supervisor_pid", "teammates"}
	mateKeys := []string{"agent_id", "alive", "backend", "exit_status", "failures", "health", "last_output_at", "lead_signed", "name",
		"next_restart_at", "pane_id", "pid", "restart_error", "restarts", "resumed", "signal", "started_at", "state", "tasks", "unread", "window"}
	for _, team := range teams {
		if got := jsonKeys(team); !slices.Equal(got, teamKeys) {
			t.Errorf("team keys %q", got)
		}
		var mates []map[string]json.RawMessage
		json.Unmarshal(team["teammates"], &mates)
		if len(mates) != 1 {
			t.Fatalf("teammates: %s", team["teammates"])
		}
		if got := jsonKeys(mates[0]); !slices.Equal(got, mateKeys) {
			t.Errorf("teammate keys %q", got)
		}
		if string(mates[0]["tasks"]) != "[]" {
			t.Errorf("tasks = %s, want []", mates[0]["tasks"])
		}
	}
	var st statusJSON
	json.Unmarshal([]byte(out), &st)
	alpha, beta := st.Teams[0], st.Teams[1]
	if alpha.Name != "alpha" || !alpha.Supervised || alpha.SupervisorPID != os.Getpid() || alpha.Teammates[0].PID != 77 {
		t.Errorf("alpha: %+v", alpha)
	}
	if beta.Name != "beta" || beta.Supervised || beta.SupervisorPID != 0 || beta.Teammates[0].State != "unknown" ||
		beta.Teammates[0].Unread != 1 || beta.Teammates[0].Alive {
		t.Errorf("beta: %+v", beta)
	}

	out, _, err = runSup(t, cfg, "status", "--json", "--team", "beta")
	if err != nil || !strings.HasPrefix(out, "{\n  \"teams\": [\n    {\n      \"name\": \"beta\"") {
		t.Errorf("--team beta: %v\n%s", err, out)
	}
}

func TestStatusTableCLI(t *testing.T) {
	cfg, _ := cliWorld(t)
	out, _, err := runSup(t, cfg, "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("team alpha — supervised by pid %d\n", os.Getpid()),
		"team beta — not supervised\n",
		"NAME  STATE    HEALTH  PANE  WINDOW  PID  UPTIME  RESTARTS  EXIT  LAST-OUTPUT  UNREAD  TASKS\n",
		"w1    running  -       %1    -       77   -       0         -     -            0       -\n",
		"w1    unknown  -       %1    -       -    -       0         -     -            1       -\n",
		"attach: tmux -L " + cfg.TmuxSocket + " attach -t beta\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	empty := Config{DataRoot: t.TempDir(), TmuxSocket: "x"}
	if out, _, err := runSup(t, empty, "status"); err != nil || !strings.HasPrefix(out, "no teams under ") {
		t.Errorf("no teams: %v %q", err, out)
	}
}

func TestRestartCLI(t *testing.T) {
	cfg, svc := cliWorld(t)
	out, _, err := runSup(t, cfg, "restart", "--team", "alpha", "w1")
	if err != nil || out != "restarted w1 (team alpha): restarting, pane %9, conversation resumed 8b90bf9f-b4db-4038-99aa-cece2cc8ce79\n" {
		t.Fatalf("restart: %v %q", err, out)
	}
	out, _, err = runSup(t, cfg, "restart", "w1", "--fresh", "--team", "alpha")
	if err != nil || out != "restarted w1 (team alpha): restarting, pane %9, new conversation 0f6c3b1e-2f4d-4c1a-9d8e-7a6b5c4d3e2f\n" {
		t.Fatalf("restart --fresh: %v %q", err, out)
	}
	if _, _, err := runSup(t, cfg, "restart", "w1", "--team", "beta"); err == nil ||
		!strings.Contains(err.Error(), "no supervisor for team beta") {
		t.Errorf("unsupervised team: %v", err)
	}
	if _, _, err := runSup(t, cfg, "restart", "w1"); err == nil || !strings.Contains(err.Error(), "teams alpha, beta: pass --team") {
		t.Errorf("ambiguous: %v", err)
	}
	if _, _, err := runSup(t, cfg, "restart", "w9"); err == nil || !strings.Contains(err.Error(), "no team has a teammate named w9") {
		t.Errorf("unknown teammate: %v", err)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if strings.Join(svc.restarts, ",") != "alpha/w1,alpha/w1 fresh" {
		t.Errorf("restarts %q", svc.restarts)
	}
}

// --watch redraws until its context ends, then returns nil.
func TestStatusWatchStopsOnCancel(t *testing.T) {
	cfg, _ := cliWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runSupervisorCmd(ctx, []string{"status", "--watch", "--interval", "100ms"}, w, w, cfg)
	}()
	waitOutput(t, w, w, done, "second frame", func(s string) bool {
		return strings.Count(s, "claude-teams supervisor status — ") >= 2
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.String(), "\x1b") {
		t.Error("escape sequences written to a pipe")
	}
}

// A supervisor of another data root on the same socket path is not taken
// for ours.
func TestStatusOtherDataRoot(t *testing.T) {
	cfg, svc := cliWorldRoot(t, "/elsewhere")
	out, _, err := runSup(t, cfg, "status", "--team", "alpha")
	if err != nil || !strings.Contains(out, "team alpha — not supervised\n") ||
		!strings.Contains(out, "serves data root /elsewhere, not "+cfg.DataRoot) {
		t.Errorf("status: %v\n%s", err, out)
	}
	if _, _, err := runSup(t, cfg, "restart", "--team", "alpha", "w1"); err == nil || !strings.Contains(err.Error(), "serves data root /elsewhere") {
		t.Errorf("restart: %v", err)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if len(svc.restarts) != 0 {
		t.Errorf("restarted through another root's supervisor: %q", svc.restarts)
	}
}

// --watch --json writes one compact document per line.
func TestStatusWatchJSONLines(t *testing.T) {
	cfg, _ := cliWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runSupervisorCmd(ctx, []string{"status", "--watch", "--json", "--interval", "100ms"}, w, w, cfg)
	}()
	waitOutput(t, w, w, done, "second line", func(s string) bool { return strings.Count(s, "\n") >= 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n") {
		var doc statusJSON
		if err := json.Unmarshal([]byte(line), &doc); err != nil || len(doc.Teams) != 2 {
			t.Errorf("line %q: %v", line, err)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	if !isTerminal(tty) || isTerminal(devNull) || isTerminal(pw) || isTerminal(&bytes.Buffer{}) {
		t.Errorf("tty=%v /dev/null=%v pipe=%v buffer=%v", isTerminal(tty), isTerminal(devNull), isTerminal(pw), isTerminal(&bytes.Buffer{}))
	}
}
