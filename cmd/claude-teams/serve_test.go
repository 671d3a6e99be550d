package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServeStdio starts the built binary and talks to it like an MCP client
// of the initialize era: every stdout line must be JSON-RPC, stderr must be
// JSON logs, and closing stdin must end the process cleanly.
func TestServeStdio(t *testing.T) {
	root := t.TempDir()
	p := startProc(t, testEnv(root))
	raw := p.request("initialize", map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "codex-mcp-client", "version": "0.169.0"},
	})
	var init struct {
		ServerInfo struct{ Name, Version string } `json:"serverInfo"`
	}
	if err := json.Unmarshal(raw, &init); err != nil || init.ServerInfo.Name != "claude-teams" || init.ServerInfo.Version == "" {
		t.Fatalf("initialize = %s (%v)", raw, err)
	}
	p.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})

	var tools struct{ Tools []struct{ Name string } }
	if err := json.Unmarshal(p.request("tools/list", map[string]any{}), &tools); err != nil || len(tools.Tools) < 10 {
		t.Fatalf("tools/list = %+v (%v)", tools, err)
	}
	r := p.mustCall("team_create", map[string]any{"team_name": "alpha"})
	if r.StructuredContent["lead_agent_id"] != "team-lead@alpha" {
		t.Fatalf("team_create = %+v", r)
	}
	if _, err := os.Stat(filepath.Join(root, "teams", "alpha", "config.json")); err != nil {
		t.Fatalf("config not under CLAUDE_CONFIG_DIR: %v", err)
	}
	if r := p.callTool("team_create", map[string]any{"team_name": "Bad Name"}); !r.IsError ||
		!strings.Contains(r.Content[0].Text, `"Bad Name"`) {
		t.Fatalf("bad name = %+v", r)
	}

	p.stdin.Close()
	if err := p.wait(); err != nil {
		t.Fatalf("exit after stdin EOF: %v (stderr:\n%s)", err, p.stderr.String())
	}
	if rest, _ := p.out.ReadString(0); rest != "" {
		t.Errorf("stdout after the last response: %q", rest)
	}
	logs := p.logLines()
	var sawClient, sawStop bool
	for _, ev := range logs {
		switch ev["msg"] {
		case "client identified":
			sawClient = ev["client"] == "codex-mcp-client"
		case "server stopping":
			sawStop = ev["reason"] == "stdin closed"
		}
	}
	if !sawClient || !sawStop {
		t.Errorf("logs lack client identification or clean stop:\n%s", p.stderr.String())
	}
}

// TestServeStateless talks the 2026-07-28 protocol: no initialize, client
// information in every request's _meta.
func TestServeStateless(t *testing.T) {
	p := startProc(t, testEnv(t.TempDir()))
	meta := map[string]any{
		"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "claude-code", "version": "2.1.330"},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
	}
	raw := p.request("tools/call", map[string]any{"_meta": meta, "name": "team_create",
		"arguments": map[string]any{"team_name": "beta"}})
	var r toolResult
	if err := json.Unmarshal(raw, &r); err != nil || r.IsError || r.StructuredContent["team_name"] != "beta" {
		t.Fatalf("stateless tools/call = %s (%v)", raw, err)
	}
	p.stdin.Close()
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.stderr.String(), `"client":"claude-code"`) {
		t.Errorf("client not identified from _meta:\n%s", p.stderr.String())
	}
}

// TestServeSignals checks that SIGTERM and SIGINT end the server cleanly
// (exit status 0) while stdin stays open.
func TestServeSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p := startProc(t, testEnv(t.TempDir()))
			p.initialize("test")
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := p.wait(); err != nil {
				t.Fatalf("exit after %v: %v (stderr:\n%s)", sig, err, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), `"reason":"signal"`) {
				t.Errorf("no clean stop logged:\n%s", p.stderr.String())
			}
		})
	}
}

// TestServeLogFile checks CLAUDE_TEAMS_LOG_FILE gets the same JSON events.
func TestServeLogFile(t *testing.T) {
	root := t.TempDir()
	logFile := filepath.Join(root, "server.log")
	p := startProc(t, append(testEnv(root), "CLAUDE_TEAMS_LOG_FILE="+logFile))
	p.initialize("test")
	p.stdin.Close()
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(data), `"msg":"server starting"`) {
		t.Fatalf("log file = %q (%v)", data, err)
	}
}

// TestServeBadConfig checks a malformed variable stops the server at once
// with a message naming it, and nothing on stdout.
func TestServeBadConfig(t *testing.T) {
	p := startProc(t, append(testEnv(t.TempDir()), "CLAUDE_TEAMS_RESTART=sometimes"))
	err := p.wait()
	var exit interface{ ExitCode() int }
	if err == nil || !asExit(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v", err)
	}
	if !strings.Contains(p.stderr.String(), "CLAUDE_TEAMS_RESTART") {
		t.Errorf("stderr = %q", p.stderr.String())
	}
	if rest, _ := p.out.ReadString(0); rest != "" {
		t.Errorf("stdout = %q", rest)
	}
}

func asExit(err error, target *interface{ ExitCode() int }) bool {
	e, ok := err.(interface{ ExitCode() int })
	if ok {
		*target = e
	}
	return ok
}

// TestServePipedScript pipes a whole session into the binary at once, as
// `printf ... | claude-teams` does: every request gets its answer before
// the process exits on EOF.
func TestServePipedScript(t *testing.T) {
	root := t.TempDir()
	script := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"team_create","arguments":{"team_name":"piped"}}}
{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}}
`
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = testEnv(root)
	cmd.Stdin = strings.NewReader(script)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil || m.Result == nil {
			t.Fatalf("stdout line %q (%v)", line, err)
		}
		ids[string(m.ID)] = true
	}
	if len(ids) != 3 || !ids["1"] || !ids["2"] || !ids["3"] {
		t.Fatalf("answered ids %v, want 1, 2, 3; stdout:\n%s", ids, out)
	}
}
