package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpawnCwdFormatCharacters: spawn_teammate with a working directory
// that tmux would expand as a format (issue 10, item 6) starts the teammate
// exactly there (its own `pwd -P` says so), or refuses with the reason;
// "/x#[y]" used to start it silently in the server's directory.
func TestSpawnCwdFormatCharacters(t *testing.T) {
	sock := fmt.Sprintf("ctcwd-%d", os.Getpid())
	tmp := tmuxTestServer(t, sock)
	backend, _ := json.Marshal(map[string]any{"pwder": map[string]any{
		"argv": []string{"sh", "-c", `echo "cwd=[$(pwd -P)]"; exec sleep 600`},
	}})
	root := t.TempDir()
	env := append(testEnv(root), "TMUX_TMPDIR="+tmp, "XDG_RUNTIME_DIR="+tmp, "CLAUDE_TEAMS_TMUX_SOCKET="+sock,
		"CLAUDE_TEAMS_COMMAND_BACKENDS="+string(backend), "CLAUDE_TEAMS_BACKENDS=pwder")
	p := startProc(t, env)
	p.initialize("claude-code")
	p.mustCall("team_create", map[string]any{"team_name": "alpha"})
	for i, d := range []string{"x#[y]", "x##[y]", "#[fg=red]z", "a#{b}", "c#(echo hi)", "e#", "f##g", "h#,i#}", "p%Y q r"} {
		dir := filepath.Join(tmp, d)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("w%d", i)
		res := p.mustCall("spawn_teammate", map[string]any{
			"team_name": "alpha", "name": name, "prompt": "say where", "cwd": dir, "backend_type": "pwder",
		}).StructuredContent
		// The result says where it runs (on the private server: its own
		// window, named after it).
		if msg := fmt.Sprint(res["message"]); !strings.Contains(msg, name+" started in window "+name+" (@") ||
			!strings.Contains(msg, fmt.Sprint(res["pane_id"])) || !strings.Contains(msg, "claude-teams supervisor attach") ||
			!strings.HasPrefix(fmt.Sprint(res["window"]), name+" (@") {
			t.Errorf("spawn_teammate = %+v", res)
		}
		want := "cwd=[" + dir + "]"
		var out string
		for deadline := time.Now().Add(30 * time.Second); ; {
			r := p.mustCall("check_teammate", map[string]any{"team_name": "alpha", "agent_name": name, "include_output": true})
			out = fmt.Sprint(r.StructuredContent["output"])
			if strings.Contains(out, want) {
				break
			}
			if strings.Contains(out, "cwd=[") || time.Now().After(deadline) {
				t.Fatalf("cwd %q: teammate says %q, want %q", dir, out, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// What tmux cannot be given is refused, naming the directory.
	bad := filepath.Join(tmp, "new\nline")
	if err := os.Mkdir(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	r := p.callTool("spawn_teammate", map[string]any{
		"team_name": "alpha", "name": "bad", "prompt": "say where", "cwd": bad, "backend_type": "pwder",
	})
	if !r.IsError || !strings.Contains(r.Content[0].Text, "control character") || !strings.Contains(r.Content[0].Text, `new\nline`) {
		t.Errorf("spawn in %q = %+v", bad, r)
	}
}
