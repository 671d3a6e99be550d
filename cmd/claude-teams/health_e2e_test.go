package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHealthReasonEndToEnd drives the built binary as the lead's MCP
// server on a real tmux server: a teammate that asks a question and waits
// is needs_input; check_teammate and team_status say why (health_reason,
// the prompt line), and the lead's notification says how to reach its
// pane.
func TestHealthReasonEndToEnd(t *testing.T) {
	sock := fmt.Sprintf("cth-e2e-%d", os.Getpid())
	tmp := tmuxTestServer(t, sock)
	backend, _ := json.Marshal(map[string]any{"asker": map[string]any{
		"argv": []string{"sh", "-c", `echo "Overwrite notes.md? [y/N]"; read answer; echo "got $answer"; sleep 600`},
	}})
	root := t.TempDir()
	env := append(testEnv(root), "TMUX_TMPDIR="+tmp, "XDG_RUNTIME_DIR="+tmp, "CLAUDE_TEAMS_TMUX_SOCKET="+sock,
		"CLAUDE_TEAMS_COMMAND_BACKENDS="+string(backend), "CLAUDE_TEAMS_BACKENDS=asker")
	p := startProc(t, env)
	p.initialize("claude-code")
	p.mustCall("team_create", map[string]any{"team_name": "alpha"})
	p.mustCall("spawn_teammate", map[string]any{
		"team_name": "alpha", "name": "w1", "prompt": "tidy the notes", "cwd": tmp, "backend_type": "asker",
	})
	var cm map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		cm = p.mustCall("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1", "include_messages": false}).StructuredContent
		if cm["state"] == "needs_input" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if cm["state"] != "needs_input" || cm["health"] != "needs_input" ||
		!strings.Contains(fmt.Sprint(cm["health_reason"]), "Overwrite notes.md? [y/N]") {
		t.Fatalf("check_teammate = %+v", cm)
	}
	st := p.mustCall("team_status", map[string]any{"team_name": "alpha"}).StructuredContent
	mates, _ := st["teammates"].([]any)
	if len(mates) != 1 {
		t.Fatalf("team_status = %+v", st)
	}
	if w1, _ := mates[0].(map[string]any); w1["health_reason"] != cm["health_reason"] {
		t.Errorf("team_status teammate = %+v, check_teammate health_reason %q", w1, cm["health_reason"])
	}
	var text string
	for deadline := time.Now().Add(30 * time.Second); text == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		inbox := p.mustCall("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "team-lead"}).StructuredContent
		msgs, _ := inbox["result"].([]any)
		for _, m := range msgs {
			if msg, _ := m.(map[string]any); msg["from"] == "w1" && strings.Contains(fmt.Sprint(msg["summary"]), "w1 needs input") {
				text = fmt.Sprint(msg["text"])
			}
		}
	}
	if text == "" {
		t.Fatal("no needs-input message in the lead's inbox")
	}
	for _, want := range []string{"attach: claude-teams supervisor attach --team alpha", "tmux target: %", "answer there"} {
		if !strings.Contains(text, want) {
			t.Errorf("needs-input message lacks %q:\n%s", want, text)
		}
	}
	p.mustCall("force_kill_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"})
	p.mustCall("team_delete", map[string]any{"team_name": "alpha"})
}
