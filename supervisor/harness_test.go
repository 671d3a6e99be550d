package supervisor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/tmuxcc/tmuxtest"
)

// harness is one test's world: a private tmux server (short TMUX_TMPDIR,
// -f /dev/null, killed at cleanup), a data root with one team, and a fake
// launcher that starts the test binary as the agent.
type harness struct {
	t      testing.TB
	dir    string // short TMUX_TMPDIR, also the status sockets' runtime dir
	socket string // -L name
	env    []string
	root   string
	store  *protocol.Store
	team   string
	launch *fakeLauncher
	logs   *observer.ObservedLogs
	log    *zap.Logger
}

// requireTmux skips without tmux, except in CI where it fails.
func requireTmux(t testing.TB) { tmuxtest.Require(t) }

func newHarness(t testing.TB) *harness {
	t.Helper()
	srv := tmuxtest.New(t, "tt-") // our server is -L ct in its TMUX_TMPDIR
	dir := srv.Dir
	h := &harness{t: t, dir: dir, socket: "ct", team: "alpha", root: t.TempDir(), env: srv.Env}
	t.Cleanup(func() { h.tmux("kill-server") })
	h.store = protocol.NewStore(h.root)
	if _, err := h.store.CreateTeam(h.team, "test team", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	h.logs = logs
	h.log = zap.New(zapcore.NewTee(zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel)).Core(), core))
	h.launch = &fakeLauncher{dir: dir, scripts: map[string][]string{}}
	return h
}

// tmux runs a tmux command on the test's server (test-side checks only).
func (h *harness) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-L", h.socket}, args...)...)
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// config is a Manager configuration for this harness.
func (h *harness) config() Config {
	return Config{
		Store:        h.store,
		Backends:     h.launch,
		TmuxSocket:   h.socket,
		TmuxEnv:      h.env,
		RuntimeDir:   h.dir,
		Logger:       h.log,
		StopGrace:    2 * time.Second,
		Health:       policy.HealthConfig{ScreenSettle: 50 * time.Millisecond, StartTimeout: 500 * time.Millisecond},
		Restarts:     policy.RestartConfig{InitialBackoff: 20 * time.Millisecond, MinRun: 200 * time.Millisecond, StartGap: 20 * time.Millisecond},
		Notify:       policy.NotifyConfig{Burst: 100},
		WorkDebounce: 10 * time.Millisecond,
	}
}

// manager starts a Manager closed at cleanup.
func (h *harness) manager(mod ...func(*Config)) *Manager {
	h.t.Helper()
	cfg := h.config()
	for _, f := range mod {
		f(&cfg)
	}
	m, err := NewManager(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = m.Close() })
	return m
}

// spawn starts teammate name running script (see fakeAgent).
func (h *harness) spawn(m *Manager, name string, script ...string) protocol.Member {
	h.t.Helper()
	h.launch.set(name, script)
	mem, err := m.Spawn(ctxT(h.t), h.team, protocol.Member{Name: name, Prompt: "do " + name, Cwd: h.dir, BackendType: "fake"}, "")
	if err != nil {
		h.t.Fatalf("spawn %s: %v", name, err)
	}
	return mem
}

// ctl appends a command to the teammate's control file.
func (h *harness) ctl(name, command string) {
	h.t.Helper()
	f, err := os.OpenFile(h.launch.ctlPath(name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(command + "\n"); err != nil {
		h.t.Fatal(err)
	}
}

// leadMessages returns the lead's inbox entries from name.
func (h *harness) leadMessages(from string) []protocol.Message {
	h.t.Helper()
	res, err := h.store.ReadInbox(h.team, protocol.LeadName, protocol.ReadOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []protocol.Message
	for _, m := range res.Messages {
		if m.From == from {
			out = append(out, m)
		}
	}
	return out
}

// status returns the teammate's status line from m.
func (h *harness) status(m *Manager, name string) protocol.TeammateStatus {
	h.t.Helper()
	st, err := m.Status(ctxT(h.t), h.team)
	if err != nil {
		h.t.Fatalf("status: %v", err)
	}
	for _, ts := range st.Teammates {
		if ts.Name == name {
			return ts
		}
	}
	h.t.Fatalf("status: no teammate %s in %+v", name, st)
	return protocol.TeammateStatus{}
}

// waitState waits until name is in state want and returns its status.
func (h *harness) waitState(m *Manager, name string, want protocol.State) protocol.TeammateStatus {
	h.t.Helper()
	var last protocol.TeammateStatus
	eventually(h.t, func() bool {
		last = h.status(m, name)
		return last.State == want
	}, "teammate %s to be %s (last %+v)", name, want, &last)
	return last
}

// waitOutput waits until name's screen contains want and returns it.
func (h *harness) waitOutput(m *Manager, name, want string) string {
	h.t.Helper()
	return h.waitOutputBy(m, name, want, time.Now().Add(30*time.Second))
}

// waitOutputBy is waitOutput with its own deadline.
func (h *harness) waitOutputBy(m *Manager, name, want string, deadline time.Time) string {
	h.t.Helper()
	var last string
	eventuallyBy(h.t, deadline, func() bool {
		s, err := m.Capture(ctxT(h.t), h.team, name, 100)
		last = s
		return err == nil && strings.Contains(s, want)
	}, "output of %s to contain %q (last %q)", name, want, &last)
	return last
}

// eventually polls cond until it holds, failing after a generous deadline.
func eventually(t testing.TB, cond func() bool, format string, args ...any) {
	t.Helper()
	eventuallyBy(t, time.Now().Add(30*time.Second), cond, format, args...)
}

// slowDeadline is the deadline for a wait whose length depends on the
// machine's load rather than on our code (a 40 MB flood through tmux on a
// busy machine): the test binary's own -timeout, less a minute to report,
// or 10 minutes where there is none.
func slowDeadline(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := d.Deadline(); ok {
			return end.Add(-time.Minute)
		}
	}
	return time.Now().Add(10 * time.Minute)
}

// eventuallyBy polls cond until it holds, failing at deadline.
func eventuallyBy(t testing.TB, deadline time.Time, cond func() bool, format string, args ...any) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			for i, a := range args {
				if p, ok := a.(*protocol.TeammateStatus); ok {
					args[i] = *p
				}
				if p, ok := a.(*string); ok {
					args[i] = *p
				}
			}
			t.Fatalf("timed out waiting for "+format, args...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ctxT is a context for one call in a test.
func ctxT(t testing.TB) context.Context { return tmuxtest.Ctx(t, 60*time.Second) }

// fakeLauncher starts the test binary as the agent, with a script per
// teammate name and a control file in dir.
type fakeLauncher struct {
	dir     string
	mu      sync.Mutex
	scripts map[string][]string
	env     []string       // extra environment for every agent
	fail    error          // returned by Launch when set
	runs    map[string]int // launches per name: each run has its own control file
}

func (f *fakeLauncher) set(name string, script []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[name] = script
}

// ctlPath is the control file of the latest run of name.
func (f *fakeLauncher) ctlPath(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ctlPathLocked(name)
}

func (f *fakeLauncher) ctlPathLocked(name string) string {
	return filepath.Join(f.dir, "ctl-"+name+"-"+strconv.Itoa(f.runs[name]))
}

func (f *fakeLauncher) Launch(backend string, t backends.Teammate) (backends.Launch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return backends.Launch{}, f.fail
	}
	switch backend {
	case "fake", backends.Claude, backends.Codex, backends.OpenCode:
		// The fake agent stands in for a real CLI (health reads the
		// backend's screen patterns).
	default:
		return backends.Launch{}, errors.New("unknown backend " + backend)
	}
	self, err := os.Executable()
	if err != nil {
		return backends.Launch{}, err
	}
	script := f.scripts[t.Name]
	if script == nil {
		script = []string{"print ready", "wait"}
	}
	if f.runs == nil {
		f.runs = map[string]int{}
	}
	f.runs[t.Name]++
	env := append([]string{"CT_FAKE_AGENT=1", "CT_AGENT_CTL=" + f.ctlPathLocked(t.Name), "CT_AGENT_ID=" + t.AgentID}, f.env...)
	return backends.Launch{Argv: append([]string{self}, script...), Env: env, Dir: t.Cwd}, nil
}
