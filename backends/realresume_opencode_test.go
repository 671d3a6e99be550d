package backends

// A check of OpenCode's session lookup and resume against the real opencode
// (OPENCODE_BIN; CI sets it, so there it never skips) and the mock model.
// The TUI needs a terminal, so the fresh turn runs `opencode run` with our
// instruction as its message (what the TUI's --prompt submits), and the
// resume runs Launch's argv without --interactive; the e2e scenario
// opencode-resume.mjs drives the TUI in a tmux pane.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// openCodeBin is $OPENCODE_BIN; without it the test skips, except under
// CI=true, where the pinned binary is expected.
func openCodeBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("OPENCODE_BIN")
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("OPENCODE_BIN is not set under CI")
		}
		t.Skip("OPENCODE_BIN not set (the opencode executable to test against)")
	}
	return bin
}

// checkOpenCodeFound: FindSession finds want (what source reports) for m,
// and nothing for another teammate in m's directory.
func checkOpenCodeFound(t *testing.T, c Config, m Teammate, since time.Time, want, source string) {
	t.Helper()
	id, err := c.FindSession(OpenCode, m, since)
	if err != nil || id != want {
		t.Fatalf("FindSession = %q, %v; %s says %s", id, err, source, want)
	}
	other := Teammate{Team: "alpha", Name: "w2", Cwd: m.Cwd}
	if got, err := c.FindSession(OpenCode, other, since); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("another teammate's lookup = %q, %v", got, err)
	}
}

// openCodeWorld is what a real-opencode test runs in: the binary, the
// mock model (its request dump), a private HOME with XDG directories and
// a project directory, and the mock as opencode's provider.
type openCodeWorld struct {
	bin, dump, cwd string
	environ        []string // HOME, PATH, XDG_*, opencode's switches; no provider
	provider       string   // OPENCODE_CONFIG_CONTENT naming the mock model
}

func newOpenCodeWorld(t *testing.T) openCodeWorld {
	t.Helper()
	w := openCodeWorld{bin: openCodeBin(t)}
	var base string
	base, w.dump = mockModel(t)
	home := t.TempDir()
	w.cwd = filepath.Join(home, "proj")
	if err := os.MkdirAll(w.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	w.provider = `{"model":"mock/mock-model","provider":{"mock":{"npm":"@ai-sdk/openai-compatible","name":"Mock",` +
		`"options":{"baseURL":"` + base + `/v1","apiKey":"mock"},"models":{"mock-model":{"name":"Mock model","tool_call":true}}}}}`
	w.environ = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"), "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"OPENCODE_DISABLE_MODELS_FETCH=1", "OPENCODE_DISABLE_AUTOUPDATE=1", "OPENCODE_DISABLE_DEFAULT_PLUGINS=1"}
	return w
}

// withProvider is the environment with the mock as the provider.
func (w openCodeWorld) withProvider() []string {
	return append(slices.Clone(w.environ), "OPENCODE_CONFIG_CONTENT="+w.provider)
}

// config is a Config launching w's opencode in environ.
func (w openCodeWorld) config(environ []string) Config {
	return Config{Enabled: []string{OpenCode}, Self: "/bin/true", LookPath: func(string) (string, error) { return w.bin, nil },
		Environ: environ}
}

// TestRealOpenCodeResume: FindSession finds the session opencode itself
// reports for our teammate's first turn (and not for another teammate),
// Resumable confirms it, the resume's first model request carries the
// earlier turn and continues the same session, and once opencode has
// deleted the session a resume starts fresh and says why.
func TestRealOpenCodeResume(t *testing.T) {
	w := newOpenCodeWorld(t)
	bin, dump, cwd := w.bin, w.dump, w.cwd
	c := w.config(w.withProvider())
	m := Teammate{Team: "alpha", Name: "w1", Cwd: cwd}
	// run runs argv with l's environment and returns the session ids of
	// its JSON events.
	run := func(l Launch, argv []string) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = l.Dir, l.Env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v\n%s", argv, err, out)
		}
		var ids []string
		for line := range strings.Lines(string(out)) {
			var ev struct {
				SessionID string `json:"sessionID"`
			}
			if json.Unmarshal([]byte(line), &ev) == nil && ev.SessionID != "" && !slices.Contains(ids, ev.SessionID) {
				ids = append(ids, ev.SessionID)
			}
		}
		return ids
	}

	since := time.Now()
	first, err := c.Launch(OpenCode, m)
	if err != nil {
		t.Fatal(err)
	}
	ids := run(first, []string{bin, "run", "--format", "json", instructions(Teammate{Team: "alpha", Name: "w1", AgentID: "w1@alpha"})})
	if len(ids) != 1 {
		t.Fatalf("opencode run reported sessions %q", ids)
	}
	id := ids[0]
	checkOpenCodeFound(t, c, m, since, id, "opencode")
	before := len(dumpedMessages(t, dump, "/chat/completions"))

	m.SessionID, m.Resume = id, true
	again, err := c.Launch(OpenCode, m)
	if err != nil || !again.Resumed || again.SessionID != id {
		t.Fatalf("resume launch: %+v, %v", again, err)
	}
	argv := slices.DeleteFunc(slices.Clone(again.Argv), func(w string) bool { return w == "--interactive" })
	argv = slices.Insert(argv, len(argv)-1, "--format", "json")
	if ids := run(again, argv); !slices.Equal(ids, []string{id}) {
		t.Errorf("the resume ran sessions %q, want %s", ids, id)
	}
	reqs := dumpedMessages(t, dump, "/chat/completions")[before:]
	if len(reqs) == 0 || !strings.Contains(reqs[0], "(agent id w1@alpha), a teammate") || !strings.Contains(reqs[0], "You were restarted") {
		t.Errorf("first request after the resume does not carry the earlier turn: %.3000s", reqs)
	}

	cmd := exec.Command(bin, "session", "delete", id)
	cmd.Dir, cmd.Env = cwd, first.Env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("opencode session delete: %v\n%s", err, out)
	}
	gone, err := c.Launch(OpenCode, m)
	if err != nil || gone.Resumed || !strings.Contains(gone.FreshReason, "opencode has no session "+id) || !slices.Contains(gone.Argv, "--prompt") {
		t.Errorf("launch after the session was deleted: %+v, %v", gone, err)
	}
}
