package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// tmuxTestDir skips a test without tmux (fails it under CI) and returns a
// short directory for TMUX_TMPDIR, removed at the end.
func tmuxTestDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux missing under CI")
		}
		t.Skip("tmux not installed")
	}
	return shortTempDir(t, "tt-")
}

// tmuxTestServer is tmuxTestDir for a test that runs a tmux server on
// socket sock: the server is killed at the end.
func tmuxTestServer(t *testing.T, sock string) string {
	t.Helper()
	tmp := tmuxTestDir(t)
	t.Cleanup(func() {
		cmd := exec.Command("tmux", "-L", sock, "kill-server")
		cmd.Env = append(os.Environ(), "TMUX_TMPDIR="+tmp)
		_ = cmd.Run()
	})
	return tmp
}

// TestSupervisionPolicyEndToEnd drives the built binary as the lead's MCP
// server on a real tmux server: the lead's poll_inbox wakes on the
// supervisor's crash notification; restart_teammate and `claude-teams
// supervisor restart` (over the server's status socket) start the crashed
// teammate again with its identity; status --json reports health,
// next_restart_at and failures.
func TestSupervisionPolicyEndToEnd(t *testing.T) {
	sock := fmt.Sprintf("ctp-e2e-%d", os.Getpid())
	tmp := tmuxTestServer(t, sock)
	// A command backend that works until its stop file appears, then
	// crashes with status 3 (the file is removed, so a restart works
	// again).
	backend, _ := json.Marshal(map[string]any{"crasher": map[string]any{
		"argv": []string{"sh", "-c", `echo "working as $NAME"; while [ ! -e "$STOP" ]; do sleep 0.05; done; rm -f "$STOP"; echo boom; exit 3`},
		"env":  map[string]string{"NAME": "{name}", "STOP": tmp + "/stop-{name}"},
	}})
	root := t.TempDir()
	env := append(testEnv(root), "TMUX_TMPDIR="+tmp, "XDG_RUNTIME_DIR="+tmp, "CLAUDE_TEAMS_TMUX_SOCKET="+sock,
		"CLAUDE_TEAMS_COMMAND_BACKENDS="+string(backend), "CLAUDE_TEAMS_BACKENDS=crasher")
	p := startProc(t, env)
	p.initialize("claude-code")
	p.mustCall("team_create", map[string]any{"team_name": "alpha"})
	first := p.mustCall("spawn_teammate", map[string]any{
		"team_name": "alpha", "name": "w1", "prompt": "count the files", "cwd": tmp, "backend_type": "crasher",
	}).StructuredContent

	// The lead waits for mail; the crash wakes it.
	type pollOut struct {
		r   toolResult
		err error
	}
	polled := make(chan pollOut, 1)
	go func() {
		r, err := p.callToolErr("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": protocol.LeadName, "timeout_ms": 60000})
		polled <- pollOut{r, err}
	}()
	time.Sleep(100 * time.Millisecond) // let the poll start waiting (the result is the same if it has not)
	if err := os.WriteFile(filepath.Join(tmp, "stop-w1"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var got pollOut
	select {
	case got = <-polled:
	case <-time.After(60 * time.Second):
		t.Fatal("poll_inbox did not return")
	}
	if got.err != nil || got.r.IsError {
		t.Fatalf("poll_inbox = %+v, %v", got.r, got.err)
	}
	msgs, _ := got.r.StructuredContent["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("poll_inbox messages = %+v", got.r.StructuredContent)
	}
	msg, _ := msgs[0].(map[string]any)
	if msg["from"] != "w1" || !strings.Contains(fmt.Sprint(msg["summary"]), "w1 crashed (exit 3)") ||
		!strings.Contains(fmt.Sprint(msg["text"]), "boom") {
		t.Errorf("crash notification = %+v", msg)
	}

	// restart_teammate starts it again with its identity.
	st := p.mustCall("restart_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"}).StructuredContent
	if st["restarts"] != float64(1) || st["pane_id"] == first["pane_id"] || st["agent_id"] != "w1@alpha" {
		t.Errorf("restart_teammate = %+v (first %+v)", st, first)
	}

	// So does the CLI, through the server's socket.
	cfg := Config{DataRoot: root, TmuxSocket: sock, Environ: []string{"XDG_RUNTIME_DIR=" + tmp}}
	out, _, err := runSup(t, cfg, "restart", "w1")
	if err != nil || !strings.Contains(out, "restarted w1 (team alpha)") {
		t.Fatalf("supervisor restart = %q, %v", out, err)
	}
	out, _, err = runSup(t, cfg, "status", "--json", "--team", "alpha")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Teams []struct {
			Supervised bool                         `json:"supervised"`
			Teammates  []map[string]json.RawMessage `json:"teammates"`
		} `json:"teams"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Teams) != 1 || len(doc.Teams[0].Teammates) != 1 {
		t.Fatalf("status = %s (%v)", out, err)
	}
	w1 := doc.Teams[0].Teammates[0]
	for _, k := range []string{"health", "next_restart_at", "failures"} {
		if _, ok := w1[k]; !ok {
			t.Errorf("status --json lacks %q: %s", k, out)
		}
	}
	if string(w1["restarts"]) != "2" || !doc.Teams[0].Supervised || string(w1["alive"]) != "true" {
		t.Errorf("status = %s", out)
	}
	cm := p.mustCall("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"}).StructuredContent
	if cm["alive"] != true || cm["restarts"] != float64(2) {
		t.Errorf("check_teammate = %+v", cm)
	}
	p.mustCall("force_kill_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"})
	p.mustCall("team_delete", map[string]any{"team_name": "alpha"})
}
