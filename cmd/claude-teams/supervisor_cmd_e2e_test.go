package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// TestStatusRealSupervisor drives `supervisor status` against a real tmux
// server and a real supervisor (`supervisor run`): offline first, then
// supervised while a teammate runs and crashes, then offline again.
func TestStatusRealSupervisor(t *testing.T) {
	tmp := tmuxTestDir(t)
	t.Setenv("TMUX_TMPDIR", tmp)
	sock := fmt.Sprintf("cts-e2e-%d", os.Getpid())
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %q: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() { exec.Command("tmux", "-L", sock, "kill-server").Run() })

	stop := filepath.Join(tmp, "stop")
	pane := tmux("new-session", "-d", "-s", "delta", "-x", "200", "-y", "50", "-P", "-F", "#{pane_id}",
		fmt.Sprintf("while [ ! -e %s ]; do sleep 0.05; done; exit 3", stop))
	tmux("set-option", "-w", "-t", pane, "remain-on-exit", "on")
	tmux("set-option", "-p", "-t", pane, "@claude-teams-agent", "w1@delta")

	cfg := Config{DataRoot: t.TempDir(), TmuxSocket: sock, Restart: "never",
		Environ: []string{"XDG_RUNTIME_DIR=" + tmp}}
	// Tagged as ours (agent id and data root): only such a pane, or one
	// running a process we recorded, is ever adopted.
	tmux("set-option", "-p", "-t", pane, tmuxconv.PaneRootOption, tmuxconv.RootHash(tmuxconv.CanonicalRoot(cfg.DataRoot)))
	store := protocol.NewStore(cfg.DataRoot)
	if _, err := store.CreateTeam("delta", "", protocol.Member{Cwd: "/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddMember("delta", protocol.Member{Name: "w1", TmuxPaneID: pane, BackendType: "claude", Cwd: "/"}); err != nil {
		t.Fatal(err)
	}
	status := func() protocol.TeamStatus {
		t.Helper()
		out, _, err := runSup(t, cfg, "status", "--json", "--team", "delta")
		if err != nil {
			t.Fatal(err)
		}
		var doc statusJSON
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Teams) != 1 || len(doc.Teams[0].Teammates) != 1 {
			t.Fatalf("%v: %s", err, out)
		}
		return doc.Teams[0]
	}
	waitStatus := func(what string, ok func(protocol.TeamStatus) bool) protocol.TeamStatus {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := status()
			if ok(st) {
				return st
			}
			if time.Now().After(deadline) {
				b, _ := json.Marshal(st)
				t.Fatalf("%s: last status %s", what, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// No supervisor: files and tmux.
	st := status()
	if w1 := st.Teammates[0]; st.Supervised || w1.State != "running" || !w1.Alive || w1.PaneID != pane || w1.PID == 0 {
		t.Fatalf("offline: %+v", st)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, logs := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- runSupervisorCmd(ctx, []string{"run", "--team", "delta"}, out, logs, cfg) }()
	waitStatus("supervised and alive", func(st protocol.TeamStatus) bool {
		return st.Supervised && st.SupervisorPID == os.Getpid() && st.Teammates[0].Alive
	})

	// A crash is seen by the supervisor, with its exit status.
	if err := os.WriteFile(stop, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitStatus("crash seen by the supervisor", func(st protocol.TeamStatus) bool {
		w1 := st.Teammates[0]
		return st.Supervised && w1.State == "crashed" && !w1.Alive && w1.ExitStatus != nil && *w1.ExitStatus == 3
	})
	table, _, err := runSup(t, cfg, "status", "--team", "delta")
	if err != nil || !strings.Contains(table, fmt.Sprintf("team delta — supervised by pid %d", os.Getpid())) ||
		!strings.Contains(table, "crashed") {
		t.Errorf("table: %v\n%s", err, table)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, logs)
	}
	// Supervisor gone: the dead pane still tells the story.
	st = status()
	if w1 := st.Teammates[0]; st.Supervised || w1.State != "crashed" || w1.ExitStatus == nil || *w1.ExitStatus != 3 {
		b, _ := json.Marshal(st)
		t.Errorf("offline after crash: %s", b)
	}
}
