package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// helperSpec tells a supervising helper process (the test binary with
// CT_SUPERVISOR_HELPER=1) what to do. It prints "owner=<bool>" once it knows
// whether it supervises the team, then "ready" after its spawns, then waits
// to be killed (or for stdin to close).
type helperSpec struct {
	Root    string              `json:"root"`
	Team    string              `json:"team"`
	Socket  string              `json:"socket"`
	Dir     string              `json:"dir"`
	Env     []string            `json:"env"`
	Spawn   map[string][]string `json:"spawn"`   // name -> fake agent script
	Barrier string              `json:"barrier"` // wait for this file before supervising
	// Claude spawns the teammates with the real claude backend (the fake
	// claude of session_test.go standing in), under restart policy Restart.
	Claude  bool                   `json:"claude,omitempty"`
	Restart protocol.RestartPolicy `json:"restart,omitempty"`
	// KillAfterPane SIGKILLs the helper in Spawn once the pane exists,
	// before the member is written (join.go).
	KillAfterPane bool `json:"kill_after_pane"`
	// KillWhenPaneMade SIGKILLs the helper in the owner loop once a pane
	// exists, before anything records it, at that stage of paneMadeHook.
	KillWhenPaneMade string `json:"kill_when_pane_made,omitempty"`
	// TMUX and TMUXPane: the lead's tmux (split mode), as Config has them.
	TMUX     string `json:"tmux,omitempty"`
	TMUXPane string `json:"tmux_pane,omitempty"`
}

// supervisorHelper is the helper process's main.
func supervisorHelper() int {
	var spec helperSpec
	if err := json.Unmarshal([]byte(os.Getenv("CT_HELPER_SPEC")), &spec); err != nil {
		fmt.Println("bad spec:", err)
		return 2
	}
	if spec.KillAfterPane {
		afterPaneHook = func(string) { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }
	}
	if spec.KillWhenPaneMade != "" {
		paneMadeHook = func(_, stage string) {
			if stage == spec.KillWhenPaneMade {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way: record nothing meanwhile
			}
		}
	}
	launch := &fakeLauncher{dir: spec.Dir, scripts: map[string][]string{}}
	for name, script := range spec.Spawn {
		launch.set(name, script)
	}
	log, _ := zap.NewDevelopment()
	var bc Launcher = launch
	backend := "fake"
	if spec.Claude {
		bc, backend = fakeClaudeBackends(spec.Root), backends.Claude
	}
	m, err := NewManager(Config{
		Store: protocol.NewStore(spec.Root), Backends: bc,
		TmuxSocket: spec.Socket, TmuxEnv: spec.Env, RuntimeDir: spec.Dir, Logger: log,
		TMUX: spec.TMUX, TMUXPane: spec.TMUXPane,
		Health:       policy.HealthConfig{ScreenSettle: 50 * time.Millisecond, StartTimeout: 500 * time.Millisecond},
		WorkDebounce: 10 * time.Millisecond,
	})
	if err != nil {
		fmt.Println("manager:", err)
		return 2
	}
	defer m.Close()
	ctx := context.Background()
	if spec.Barrier != "" {
		for {
			if _, err := os.Stat(spec.Barrier); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	owner, err := m.Supervise(ctx, spec.Team)
	if err != nil {
		fmt.Println("supervise:", err)
		return 2
	}
	fmt.Printf("owner=%v\n", owner)
	for name := range spec.Spawn {
		mem, err := m.Spawn(ctx, spec.Team, protocol.Member{Name: name, Prompt: "do " + name, Cwd: spec.Dir, BackendType: backend}, spec.Restart)
		if err != nil {
			fmt.Println("spawn:", err)
			return 2
		}
		fmt.Printf("spawned %s %s\n", name, mem.TmuxPaneID)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the test closes stdin or kills us
	return 0
}

// helperProc is a running supervising helper process.
type helperProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startHelper starts a supervising helper process for h's team.
func (h *harness) startHelper(spawn map[string][]string, barrier string, mods ...func(*helperSpec)) *helperProc {
	h.t.Helper()
	hs := helperSpec{Spawn: spawn, Barrier: barrier}
	for _, f := range mods {
		f(&hs)
	}
	return h.startHelperSpec(hs)
}

// startHelperSpec starts a supervising helper process for h's team; the
// harness fills in where (root, team, socket, dir, environment).
func (h *harness) startHelperSpec(hs helperSpec) *helperProc {
	h.t.Helper()
	spawn := hs.Spawn
	// The helper launches each teammate once: its control file is run 1's.
	h.launch.mu.Lock()
	if h.launch.runs == nil {
		h.launch.runs = map[string]int{}
	}
	for name := range spawn {
		h.launch.runs[name]++
	}
	h.launch.mu.Unlock()
	hs.Root, hs.Team, hs.Socket, hs.Dir, hs.Env = h.root, h.team, h.socket, h.dir, h.env
	spec, _ := json.Marshal(hs)
	self, err := os.Executable()
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(append([]string{}, h.env...), "CT_SUPERVISOR_HELPER=1", "CT_HELPER_SPEC="+string(spec))
	cmd.Stderr = io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	p := &helperProc{cmd: cmd, stdin: stdin, lines: make(chan string, 64)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	h.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return p
}

// expect waits for a line with the given prefix and returns it.
func (p *helperProc) expect(t testing.TB, prefix string) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("helper ended before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
			if !strings.HasPrefix(l, "spawned ") && !strings.HasPrefix(l, "owner=") {
				t.Fatalf("helper: %s", l)
			}
		case <-timeout:
			t.Fatalf("helper did not print %q", prefix)
		}
	}
}

// kill SIGKILLs the helper and waits for it.
func (p *helperProc) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}
