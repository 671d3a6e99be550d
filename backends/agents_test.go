package backends

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/launch")

// testEnviron is a caller environment with variables every backend should
// pass on, some only one backend should, and some none should.
var testEnviron = []string{
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"HOME=/home/u",
	"LANG=C.UTF-8",
	"TERM=xterm-256color",
	"XDG_CONFIG_HOME=/home/u/.config",
	"ANTHROPIC_API_KEY=sk-ant-test",
	"ANTHROPIC_BASE_URL=http://127.0.0.1:9",
	"AWS_REGION=us-east-1",
	"CLAUDE_CODE_USE_BEDROCK=1",
	"CLAUDE_CODE_SSE_PORT=4242",
	"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
	"CLOUD_ML_REGION=us-east5",
	"HTTPS_PROXY=http://proxy:3128",
	"no_proxy=localhost,127.0.0.1",
	"NODE_EXTRA_CA_CERTS=/etc/ca.pem",
	"SSL_CERT_DIR=/etc/ssl/certs",
	"DISABLE_AUTOUPDATER=1",
	"ENABLE_TOOL_SEARCH=false",
	"CLAUDECODE=0",
	"CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS=0",
	"OPENAI_API_KEY=sk-openai-test",
	"CODEX_HOME=/home/u/.codex",
	"GEMINI_API_KEY=gemini-test",
	"GOOGLE_CLOUD_PROJECT=proj",
	"OPENCODE_SERVER_PASSWORD=pw",
	"OPENROUTER_API_KEY=or-test",
	"CLAUDE_TEAMS_TMUX_SOCKET=ct",
	"CLAUDE_TEAMS_LOG_LEVEL=debug",
	"CLAUDE_TEAMS_AGENT_NAME=leaked-from-lead",
	"SECRET_TOKEN=never-passed",
	"EMPTY_VAR=",
	"no-equals-sign",
}

// fakeLookPath finds the listed programs in /opt/bin.
func fakeLookPath(found ...string) func(string) (string, error) {
	return func(file string) (string, error) {
		for _, f := range found {
			if f == file {
				if filepath.IsAbs(file) {
					return file, nil
				}
				return "/opt/bin/" + file, nil
			}
		}
		return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
	}
}

func baseConfig() Config {
	return Config{
		Self:     "/opt/claude-teams/bin/claude-teams",
		Environ:  testEnviron,
		LookPath: fakeLookPath("claude", "codex", "opencode", "gemini", "aider", "mycli"),
		// A fixed id, so that the golden files hold exact argv.
		NewSessionID: func() string { return testSessionID },
	}
}

// testSessionID is the id baseConfig gives every fresh launch.
const testSessionID = "0b7f5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

func baseTeammate() Teammate {
	return Teammate{
		Team:     "alpha",
		Name:     "worker-1",
		Cwd:      "/work/proj",
		DataRoot: "/home/u/.claude",
	}
}

// render prints a Launch one quoted word per line, for golden files.
func render(l Launch) string {
	var b strings.Builder
	b.WriteString("argv:\n")
	for _, w := range l.Argv {
		fmt.Fprintf(&b, "  %q\n", w)
	}
	b.WriteString("env:\n")
	for _, kv := range l.Env {
		fmt.Fprintf(&b, "  %q\n", kv)
	}
	fmt.Fprintf(&b, "dir: %q\n", l.Dir)
	return b.String()
}

func TestLaunchGolden(t *testing.T) {
	cases := []struct {
		name    string
		backend string
		config  func(*Config)
		mate    func(*Teammate)
	}{
		{name: "claude_full", backend: Claude, mate: func(m *Teammate) {
			m.Color, m.LeadSessionID, m.AgentType, m.Model = "blue", "6f1c2b1e-0d7a-4c51-9d55-3f6f0b1c2a77", "general-purpose", "sonnet"
		}},
		{name: "claude_minimal", backend: Claude},
		{name: "claude_plan_and_skip", backend: Claude,
			config: func(c *Config) { c.SkipPermissions = true },
			mate:   func(m *Teammate) { m.PlanModeRequired, m.Model = true, "opus" }},
		{name: "claude_skip", backend: Claude,
			config: func(c *Config) { c.SkipPermissions = true },
			mate:   func(m *Teammate) { m.Model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0" }},
		{name: "claude_config_dir", backend: Claude,
			config: func(c *Config) { c.Environ = append(c.Environ, "CLAUDE_CONFIG_DIR=/home/u/alt/") },
			mate:   func(m *Teammate) { m.DataRoot = "/home/u/alt" }},
		{name: "codex_default", backend: Codex, mate: func(m *Teammate) { m.Model = "sonnet" }},
		{name: "codex_skip_model_plan", backend: Codex,
			config: func(c *Config) { c.SkipPermissions = true },
			mate:   func(m *Teammate) { m.Model, m.PlanModeRequired = "gpt-5.3-codex", true }},
		{name: "codex_odd_self_path", backend: Codex,
			config: func(c *Config) { c.Self = `/opt/we"ird\dir/claude teams` }},
		{name: "opencode_local", backend: OpenCode,
			mate: func(m *Teammate) { m.Model, m.AgentType = "anthropic/claude-sonnet-4-5", "build" }},
		{name: "opencode_merge_user_content", backend: OpenCode,
			config: func(c *Config) {
				c.Environ = append(c.Environ, `OPENCODE_CONFIG_CONTENT={"model":"x/y","mcp":{"other":{"type":"local","command":["o"]}}}`)
			},
			mate: func(m *Teammate) { m.AgentType = "general-purpose" }},
		{name: "opencode_attach", backend: OpenCode,
			config: func(c *Config) { c.OpenCodeServerURL, c.SkipPermissions = "http://127.0.0.1:4096", true },
			mate:   func(m *Teammate) { m.Cwd = "/work/my proj; $(x)" }},
		{name: "gemini_default", backend: Gemini},
		{name: "gemini_skip_model_plan", backend: Gemini,
			config: func(c *Config) { c.SkipPermissions = true },
			mate:   func(m *Teammate) { m.Model, m.PlanModeRequired = "gemini-2.5-pro", true }},
		{name: "command_aider", backend: "aider",
			config: func(c *Config) {
				c.Commands = map[string]CommandSpec{"aider": {
					Argv: []string{"aider", "--model", "{model}", "--no-auto-commits", "--message", "{instructions}"},
					Env:  map[string]string{"AIDER_CHAT_HISTORY_FILE": "{cwd}/.aider.{name}.md", "OPENAI_API_KEY": "from-spec"},
				}}
			},
			mate: func(m *Teammate) { m.Model = "gpt-4o" }},
		{name: "command_placeholders", backend: "mycli",
			config: func(c *Config) {
				c.Environ = append(c.Environ, "CLAUDE_CONFIG_DIR=/home/u/.claude")
				c.Commands = map[string]CommandSpec{"mycli": {
					Argv:         []string{"mycli", "--mcp-server", "{self}", "--id={agent_id}", "{{literal}}", "{team}/{name}:{color}:{agent_type}:{lead_session_id}:{data_root}", "--session={session_id}"},
					Instructions: true,
				}}
			},
			mate: func(m *Teammate) { m.Color, m.AgentType, m.LeadSessionID = "green", "Explore", "sess-1" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			if tc.config != nil {
				tc.config(&c)
			}
			m := baseTeammate()
			if tc.mate != nil {
				tc.mate(&m)
			}
			l, err := c.Launch(tc.backend, m)
			if err != nil {
				t.Fatalf("Launch(%s): %v", tc.backend, err)
			}
			got := render(l)
			path := filepath.Join("testdata", "launch", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Launch(%s) differs from %s:\n--- got\n%s--- want\n%s", tc.backend, path, got, want)
			}
		})
	}
}

// TestLaunchEnvNeverLeaks checks, for every backend, the variables that
// must never be passed on and the ones we set ourselves.
func TestLaunchEnvNeverLeaks(t *testing.T) {
	c := baseConfig()
	c.Commands = map[string]CommandSpec{"aider": {Argv: []string{"aider"}}}
	for _, backend := range []string{Claude, Codex, OpenCode, Gemini, "aider"} {
		l, err := c.Launch(backend, baseTeammate())
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]int{}
		for _, kv := range l.Env {
			k, v, _ := strings.Cut(kv, "=")
			env[k]++
			if env[k] > 1 {
				t.Errorf("%s: %s set twice", backend, k)
			}
			switch k {
			case "SECRET_TOKEN", "TERM", "EMPTY_VAR", "CLAUDE_CODE_SSE_PORT":
				t.Errorf("%s passes %s", backend, kv)
			case EnvAgentName:
				if v != "worker-1" {
					t.Errorf("%s: %s, want the teammate's name", backend, kv)
				}
			}
		}
		for _, want := range []string{"PATH", "HOME", "HTTPS_PROXY", "no_proxy", "NODE_EXTRA_CA_CERTS", "SSL_CERT_DIR"} {
			if env[want] != 1 {
				t.Errorf("%s does not pass %s", backend, want)
			}
		}
		if l.Dir != "/work/proj" {
			t.Errorf("%s: Dir = %q", backend, l.Dir)
		}
	}
}

func TestLaunchUnknownAndUnavailable(t *testing.T) {
	c := baseConfig()
	if _, err := c.Launch("aider", baseTeammate()); !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), `"aider"`) {
		t.Errorf("unknown backend: err = %v", err)
	}
	c.Enabled = []string{Claude}
	if _, err := c.Launch(Codex, baseTeammate()); !errors.Is(err, ErrUnavailableBackend) || !strings.Contains(err.Error(), "codex") {
		t.Errorf("disabled backend: err = %v", err)
	}
	c = baseConfig()
	c.LookPath = fakeLookPath("codex")
	if _, err := c.Launch(Claude, baseTeammate()); !errors.Is(err, ErrUnavailableBackend) || !strings.Contains(err.Error(), `"claude" not found`) {
		t.Errorf("missing binary: err = %v", err)
	}
	c = baseConfig()
	c.Self = ""
	if _, err := c.Launch(Codex, baseTeammate()); !errors.Is(err, ErrUnavailableBackend) {
		t.Errorf("codex without Self: err = %v", err)
	}
	c.Self = "relative/claude-teams"
	if _, err := c.Launch(OpenCode, baseTeammate()); !errors.Is(err, ErrUnavailableBackend) {
		t.Errorf("opencode with relative Self: err = %v", err)
	}
	c.OpenCodeServerURL = "http://127.0.0.1:4096"
	if _, err := c.Launch(OpenCode, baseTeammate()); err != nil {
		t.Errorf("attached opencode needs no Self: %v", err)
	}
	c.OpenCodeServerURL = "file:///etc/passwd"
	if _, err := c.Launch(OpenCode, baseTeammate()); !errors.Is(err, ErrUnavailableBackend) || !strings.Contains(err.Error(), "file:///etc/passwd") {
		t.Errorf("bad server URL: err = %v", err)
	}
}

func TestZeroConfigUsesExecLookPath(t *testing.T) {
	var c Config
	// Whatever is installed here, Available must not fail and may list
	// only backends whose binary exec.LookPath finds.
	for _, name := range c.Available("") {
		if _, err := exec.LookPath(name); err != nil {
			t.Errorf("Available lists %s, which exec.LookPath does not find: %v", name, err)
		}
		if name != Claude && name != Gemini {
			t.Errorf("Available lists %s without Config.Self", name)
		}
	}
}
