package backends

// Optional checks against the real agent CLIs, run only when one is
// installed (on PATH, or named by CLAUDE_BIN, CODEX_BIN, OPENCODE_BIN,
// GEMINI_BIN as for shared/tools/mockllm). They start the CLI in a private
// HOME, never reach a model, and check that the CLI accepts exactly what
// Launch builds: Claude Code knows every flag, Codex and OpenCode see our
// claude-teams MCP server entry, Gemini CLI has our flags.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realCLI returns the path of an installed CLI or skips the test.
func realCLI(t *testing.T, name, envVar string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (set %s to test against it)", name, envVar)
	}
	return p
}

// runCLI runs argv in a scratch HOME with a generous deadline.
func runCLI(t *testing.T, argv []string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = home
	cmd.Env = append([]string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "CODEX_HOME=" + filepath.Join(home, ".codex"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"DISABLE_AUTOUPDATER=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"ANTHROPIC_BASE_URL=http://127.0.0.1:9", "ANTHROPIC_API_KEY=sk-ant-unused",
		"OPENCODE_DISABLE_AUTOUPDATE=1", "NO_COLOR=1",
	}, env...)
	if err := os.MkdirAll(filepath.Join(home, ".codex"), 0o700); err != nil {
		t.Fatal(err)
	}
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func realConfig(t *testing.T, name, bin string) Config {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Config{Self: self, LookPath: func(string) (string, error) { return bin, nil }, Enabled: []string{name}}
}

func realTeammate(t *testing.T) Teammate {
	return Teammate{Team: "alpha", Name: "worker-1", Color: "blue", Model: "sonnet", AgentType: "general-purpose",
		LeadSessionID: "6f1c2b1e-0d7a-4c51-9d55-3f6f0b1c2a77", PlanModeRequired: true, Cwd: t.TempDir(), DataRoot: "/nonexistent/.claude"}
}

// TestRealClaudeKnowsFlags: Claude Code rejects an unknown option before
// doing anything else, naming the first one; the probe flag appended after
// ours must be the one it names.
func TestRealClaudeKnowsFlags(t *testing.T) {
	bin := realCLI(t, "claude", "CLAUDE_BIN")
	l, err := realConfig(t, Claude, bin).Launch(Claude, realTeammate(t))
	if err != nil {
		t.Fatal(err)
	}
	out := runCLI(t, append(l.Argv, "--claude-teams-probe", "-p", "unused"))
	if !strings.Contains(out, "unknown option '--claude-teams-probe'") {
		t.Errorf("claude did not accept our flags %q:\n%s", l.Argv[1:], out)
	}
}

// TestRealCodexSeesMCPServer: our -c overrides parse as TOML and give the
// claude-teams entry our command, no args and the identity env.
func TestRealCodexSeesMCPServer(t *testing.T) {
	bin := realCLI(t, "codex", "CODEX_BIN")
	c := realConfig(t, Codex, bin)
	c.Self = `/opt/we"ird\dir/claude teams`
	l, err := c.Launch(Codex, realTeammate(t))
	if err != nil {
		t.Fatal(err)
	}
	argv := append(l.Argv[:len(l.Argv)-1:len(l.Argv)-1], "mcp", "list", "--json")
	out := runCLI(t, argv)
	var servers []struct {
		Name        string  `json:"name"`
		Enabled     bool    `json:"enabled"`
		ToolTimeout float64 `json:"tool_timeout_sec"`
		Transport   struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"transport"`
	}
	if i := strings.Index(out, "["); i < 0 || json.Unmarshal([]byte(out[i:]), &servers) != nil {
		t.Fatalf("codex mcp list --json:\n%s", out)
	}
	for _, s := range servers {
		if s.Name != MCPServerName {
			continue
		}
		if !s.Enabled || s.ToolTimeout != toolTimeoutMS/1000 || s.Transport.Command != c.Self || len(s.Transport.Args) != 0 ||
			s.Transport.Env[EnvAgentName] != "worker-1" || s.Transport.Env[EnvTeam] != "alpha" ||
			s.Transport.Env["CLAUDE_CONFIG_DIR"] != "/nonexistent/.claude" {
			t.Errorf("codex sees %+v", s)
		}
		return
	}
	t.Errorf("codex lists no %s server:\n%s", MCPServerName, out)
}

// TestRealOpenCodeSeesMCPServer: opencode merges our
// OPENCODE_CONFIG_CONTENT into its resolved configuration.
func TestRealOpenCodeSeesMCPServer(t *testing.T) {
	bin := realCLI(t, "opencode", "OPENCODE_BIN")
	c := realConfig(t, OpenCode, bin)
	l, err := c.Launch(OpenCode, realTeammate(t))
	if err != nil {
		t.Fatal(err)
	}
	out := runCLI(t, []string{bin, "debug", "config"}, l.Env...)
	var cfg struct {
		MCP map[string]struct {
			Command     []string          `json:"command"`
			Environment map[string]string `json:"environment"`
			Enabled     bool              `json:"enabled"`
			Timeout     int               `json:"timeout"`
		} `json:"mcp"`
	}
	if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &cfg) != nil {
		t.Fatalf("opencode debug config:\n%s", out)
	}
	s, ok := cfg.MCP[MCPServerName]
	if !ok || !s.Enabled || s.Timeout != toolTimeoutMS || len(s.Command) != 1 || s.Command[0] != c.Self || s.Environment[EnvAgentName] != "worker-1" {
		t.Errorf("opencode sees %+v", cfg.MCP)
	}
}

// TestRealGeminiHasFlags: Gemini CLI documents every flag we pass.
func TestRealGeminiHasFlags(t *testing.T) {
	bin := realCLI(t, "gemini", "GEMINI_BIN")
	l, err := realConfig(t, Gemini, bin).Launch(Gemini, realTeammate(t))
	if err != nil {
		t.Fatal(err)
	}
	out := runCLI(t, []string{bin, "--help"})
	for _, w := range l.Argv[1 : len(l.Argv)-1] {
		if strings.HasPrefix(w, "--") && !strings.Contains(out, w) {
			t.Errorf("gemini --help does not know %s:\n%s", w, out)
		}
	}
}
