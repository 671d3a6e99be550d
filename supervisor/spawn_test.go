package supervisor

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

func TestSpawnArgvEnvCwd(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	cwd := filepath.Join(h.dir, "work dir")
	if err := os.Mkdir(cwd, 0o700); err != nil {
		t.Fatal(err)
	}
	h.launch.env = []string{"CT_SPACED=a b  c", "CT_QUOTE=it's \"q\" $HOME"}
	h.launch.set("w1", []string{"args", "env CT_SPACED", "env CT_QUOTE", "env CT_AGENT_ID", "pwd", "print end-of-report", "wait"})
	mem, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "w1", Prompt: "hello w1", Cwd: cwd, BackendType: "fake", Model: "sonnet"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if mem.AgentID != "w1@alpha" || !strings.HasPrefix(mem.TmuxPaneID, "%") || mem.Color == "" {
		t.Fatalf("member = %+v", mem)
	}
	out := h.waitOutput(m, "w1", "\nend-of-report")
	for _, want := range []string{
		`ARGS=["args","env CT_SPACED","env CT_QUOTE","env CT_AGENT_ID","pwd","print end-of-report","wait"]`,
		"CT_SPACED=a b  c",
		`CT_QUOTE=it's "q" $HOME`,
		"CT_AGENT_ID=w1@alpha",
		"PWD=" + cwd,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	// config.json records the pane; the inbox holds the prompt from the lead.
	cfg, err := h.store.ReadConfig(h.team)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := cfg.FindMember("w1")
	if !ok || got.TmuxPaneID != mem.TmuxPaneID || got.BackendType != "fake" || got.Cwd != cwd {
		t.Fatalf("config member = %+v (ok %v)", got, ok)
	}
	inbox, err := h.store.ReadInbox(h.team, "w1", protocol.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox.Messages) != 1 || inbox.Messages[0].From != protocol.LeadName || inbox.Messages[0].Text != "hello w1" ||
		inbox.Messages[0].Color != "" || inbox.Messages[0].Summary != "" {
		t.Fatalf("inbox = %+v", inbox.Messages)
	}
	ts := h.waitState(m, "w1", protocol.StateRunning)
	if !ts.Alive || ts.PID == 0 || ts.PaneID != mem.TmuxPaneID || ts.StartedAt == "" || ts.Backend != "fake" {
		t.Fatalf("status = %+v", ts)
	}
	// The pane carries the agent id and keeps its screen after death.
	opt, err := h.tmux("show-options", "-p", "-v", "-t", mem.TmuxPaneID, tmuxconv.PaneAgentOption)
	if err != nil || strings.TrimSpace(opt) != "w1@alpha" {
		t.Fatalf("agent option = %q, %v", opt, err)
	}
	roe, err := h.tmux("display-message", "-p", "-t", mem.TmuxPaneID, "#{remain-on-exit}")
	if err != nil || strings.TrimSpace(roe) != "on" {
		t.Fatalf("remain-on-exit = %q, %v", roe, err)
	}
}

// TestSpawnHostileInput: names are refused before anything happens; a
// prompt, cwd or argv word full of shell and tmux syntax runs nothing.
func TestSpawnHostileInput(t *testing.T) {
	h := newHarness(t)
	// Every command below would touch the canary: $CT_CANARY is in the
	// environment of the tmux server and of the panes.
	canary := filepath.Join(h.dir, "pwned")
	h.env = append(h.env, "CT_CANARY="+canary)
	m := h.manager()
	evil := "$(touch $CT_CANARY);`touch $CT_CANARY`;'\";\n kill-server\n#(touch $CT_CANARY)#{pane_id}"

	for _, name := range []string{"../x", "a b", "x;touch $CT_CANARY", "team-lead", "$(id)", ""} {
		_, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: name, Prompt: "p", Cwd: h.dir, BackendType: "fake"}, "")
		if !errors.Is(err, protocol.ErrInvalidName) {
			t.Errorf("spawn %q: no error", name)
		}
	}

	cwd := filepath.Join(h.dir, "c#(touch $CT_CANARY)$(touch $CT_CANARY);'x #{pane_id}")
	if err := os.Mkdir(cwd, 0o700); err != nil {
		t.Fatal(err)
	}
	h.launch.env = []string{"CT_EVIL=" + evil}
	h.launch.set("w1", []string{"pwd", "env CT_EVIL", evil, "print ready", "wait"})
	if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "w1", Prompt: evil, Cwd: cwd, BackendType: "fake", Model: evil}, ""); err != nil {
		t.Fatal(err)
	}
	out := h.waitOutput(m, "w1", "ready")
	if !strings.Contains(out, "PWD="+cwd) {
		t.Errorf("cwd not kept literally:\n%s", out)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("hostile input ran a command")
	}
	if _, err := h.tmux("has-session", "-t", "="+h.team); err != nil {
		t.Fatal("server or session gone: hostile input ran a tmux command")
	}
	inbox, _ := h.store.ReadInbox(h.team, "w1", protocol.ReadOptions{})
	if len(inbox.Messages) != 1 || inbox.Messages[0].Text != evil {
		t.Fatalf("prompt not delivered verbatim: %+v", inbox.Messages)
	}
	// A relative or missing cwd is refused.
	for _, bad := range []string{"relative", filepath.Join(h.dir, "missing")} {
		if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "w2", Prompt: "p", Cwd: bad, BackendType: "fake"}, ""); err == nil {
			t.Errorf("cwd %q accepted", bad)
		}
	}
}

// TestSpawnRollback: a spawn failing at any step leaves no member, no
// inbox residue and no pane.
func TestSpawnRollback(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "keep") // the team has a session and one teammate

	assertClean := func(name string) {
		t.Helper()
		cfg, err := h.store.ReadConfig(h.team)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cfg.FindMember(name); ok {
			t.Errorf("member %s left in config", name)
		}
		if _, err := os.Stat(h.store.InboxPath(h.team, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("inbox of %s left: %v", name, err)
		}
		out, _ := h.tmux("list-panes", "-a", "-F", "#{"+tmuxconv.PaneAgentOption+"}")
		if strings.Contains(out, name+"@") {
			t.Errorf("pane of %s left:\n%s", name, out)
		}
	}

	// Launch fails (unknown backend).
	if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "bad1", Prompt: "p", Cwd: h.dir, BackendType: "nope"}, ""); err == nil {
		t.Fatal("unknown backend accepted")
	}
	assertClean("bad1")

	// tmux refuses the pane (an environment entry without '=').
	h.launch.env = []string{"NOEQUALS"}
	if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "bad2", Prompt: "p", Cwd: h.dir, BackendType: "fake"}, ""); err == nil {
		t.Fatal("bad environment accepted")
	}
	h.launch.env = nil
	assertClean("bad2")

	// Recording the pane fails: config.json unwritable mid-way is hard to
	// provoke portably, so instead a duplicate name fails at AddMember and
	// must not disturb the existing teammate.
	if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "keep", Prompt: "p", Cwd: h.dir, BackendType: "fake"}, ""); !errors.Is(err, protocol.ErrMemberExists) {
		t.Fatalf("duplicate spawn: %v", err)
	}
	if ts := h.status(m, "keep"); !ts.Alive {
		t.Fatalf("existing teammate disturbed: %+v", ts)
	}
	inbox, _ := h.store.ReadInbox(h.team, "keep", protocol.ReadOptions{})
	if len(inbox.Messages) != 1 {
		t.Fatalf("existing inbox disturbed: %+v", inbox.Messages)
	}
}

func TestStateFileRecordsSpawn(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	mem := h.spawn(m, "w1")
	h.waitState(m, "w1", protocol.StateRunning)
	st, err := statefile.LoadTeamState(h.store, h.team)
	if err != nil {
		t.Fatal(err)
	}
	ts := st.Teammates["w1"]
	if ts.PaneID != mem.TmuxPaneID || ts.PID == 0 || st.Server.Mode != statefile.ModePrivate || st.Server.SocketPath == "" ||
		st.Server.Session != h.team || st.SupervisorPID != os.Getpid() {
		b, _ := json.MarshalIndent(st, "", "  ")
		t.Fatalf("state file:\n%s", b)
	}
}

// TestSpawnThroughBackends starts a teammate with each backend of the real
// backends package (the fake agent standing in for every CLI) and checks
// that the process got exactly the argv, environment and cwd the backend
// asked for.
func TestSpawnThroughBackends(t *testing.T) {
	h := newHarness(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	reports := filepath.Join(h.dir, "reports")
	if err := os.Mkdir(reports, 0o700); err != nil {
		t.Fatal(err)
	}
	// Every pane inherits the tmux server's environment: that is how the
	// stand-in knows what to do whatever argv the backend gives it.
	h.env = append(h.env, "CT_FAKE_AGENT=1", "CT_AGENT_SCRIPT=report "+reports+";print reported;wait")
	bc := backends.Config{
		Self:     self,
		Environ:  []string{"ANTHROPIC_BASE_URL=http://127.0.0.1:9", "HTTPS_PROXY=http://proxy:3128", "UNRELATED=x"},
		LookPath: func(string) (string, error) { return self, nil },
		Commands: map[string]backends.CommandSpec{
			"mycli": {Argv: []string{"mycli", "--as", "{name}", "--team={team}"}, Env: map[string]string{"MY_AGENT": "{agent_id}"}},
		},
		// A fixed session id, so that the argv built again below is the same.
		NewSessionID: func() string { return "8b90bf9f-b4db-4038-99aa-cece2cc8ce79" },
	}
	m := h.manager(func(c *Config) { c.Backends = bc })
	cfg, err := h.store.ReadConfig(h.team)
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{backends.Claude, backends.Codex, backends.Gemini, backends.OpenCode, "mycli"} {
		t.Run(backend, func(t *testing.T) {
			name := "w-" + backend
			mem, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: name, Prompt: "p", Cwd: h.dir, BackendType: backend, Model: "sonnet"}, "")
			if err != nil {
				t.Fatal(err)
			}
			h.waitOutput(m, name, "reported")
			want, err := bc.Launch(backend, teammateOf(mem, cfg, h.store.Root()))
			if err != nil {
				t.Fatal(err)
			}
			pid := h.status(m, name).PID
			var got agentReport
			data, err := os.ReadFile(filepath.Join(reports, "report-"+strconv.Itoa(pid)+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Args, want.Argv[1:]) {
				t.Errorf("argv:\n got %q\nwant %q", got.Args, want.Argv[1:])
			}
			for _, kv := range want.Env {
				if !slices.Contains(got.Env, kv) {
					t.Errorf("environment lacks %q", kv)
				}
			}
			if got.Cwd != h.dir {
				t.Errorf("cwd = %q, want %q", got.Cwd, h.dir)
			}
		})
	}
}

// TestSpawnRollbackKeepsInbox: a spawn that fails after seeding an inbox
// that existed before (the lead wrote to the name first) takes back only its
// own entry: the file is byte for byte what it was.
func TestSpawnRollbackKeepsInbox(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	// As Claude Code writes it (JSON.stringify(inbox, null, 2)): nothing
	// escaped that need not be, fields in its own order.
	path := h.store.InboxPath(h.team, "early")
	before := []byte(`[
  {
    "from": "team-lead",
    "text": "<b>café</b> & more",
    "timestamp": "2026-01-02T03:04:05.678Z",
    "read": false,
    "extra": {
      "nested": [
        1,
        2.50,
        "\u00e9\/"
      ]
    }
  }
]`)
	if err := os.WriteFile(path, before, 0o600); err != nil {
		t.Fatal(err)
	}
	h.launch.env = []string{"NOEQUALS"} // tmux refuses the pane
	if _, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "early", Prompt: "p", Cwd: h.dir, BackendType: "fake"}, ""); err == nil {
		t.Fatal("bad environment accepted")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("inbox changed by the rollback:\nbefore %s\nafter  %s", before, after)
	}
}
