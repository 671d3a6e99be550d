package backends

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestClientBackend(t *testing.T) {
	for client, want := range map[string]string{
		"claude-code":           Claude,
		"codex-mcp-client":      Codex,
		"opencode":              OpenCode,
		"gemini-cli-mcp-client": Gemini,
		"mcp-test-client":       "",
		"inspector-cli":         "",
		"":                      "",
	} {
		if got := ClientBackend(client); got != want {
			t.Errorf("ClientBackend(%q) = %q, want %q", client, got, want)
		}
	}
}

func TestAvailable(t *testing.T) {
	commands := map[string]CommandSpec{
		"zed":   {Argv: []string{"zed-agent"}},
		"aider": {Argv: []string{"aider"}},
	}
	cases := []struct {
		name   string
		config func(*Config)
		client string
		want   []string
	}{
		{name: "default order", want: []string{Claude, Codex, OpenCode, Gemini}},
		{name: "codex client first", client: "codex-mcp-client", want: []string{Codex, Claude, OpenCode, Gemini}},
		{name: "gemini client first", client: "gemini-cli-mcp-client", want: []string{Gemini, Claude, Codex, OpenCode}},
		{name: "unknown client", client: "inspector-cli", want: []string{Claude, Codex, OpenCode, Gemini}},
		{name: "only installed", config: func(c *Config) { c.LookPath = fakeLookPath("opencode", "gemini") },
			client: "claude-code", want: []string{OpenCode, Gemini}},
		{name: "no self drops codex and local opencode", config: func(c *Config) { c.Self = "" },
			want: []string{Claude, Gemini}},
		{name: "attached opencode needs no self", config: func(c *Config) { c.Self, c.OpenCodeServerURL = "", "http://localhost:4096" },
			client: "opencode", want: []string{OpenCode, Claude, Gemini}},
		{name: "explicit list keeps its order", config: func(c *Config) { c.Enabled = []string{Gemini, Claude} },
			want: []string{Gemini, Claude}},
		{name: "explicit list, client moves first", config: func(c *Config) { c.Enabled = []string{Gemini, Claude} },
			client: "claude-code", want: []string{Claude, Gemini}},
		{name: "client backend not enabled", config: func(c *Config) { c.Enabled = []string{Claude} },
			client: "codex-mcp-client", want: []string{Claude}},
		{name: "explicit unknown and duplicate names ignored", config: func(c *Config) { c.Enabled = []string{"nope", Claude, Claude} },
			want: []string{Claude}},
		{name: "command backends by default, sorted, only installed", config: func(c *Config) { c.Commands = commands },
			want: []string{Claude, Codex, OpenCode, Gemini, "aider"}},
		{name: "command backend enabled explicitly", config: func(c *Config) {
			c.Commands = commands
			c.Enabled = []string{"aider", Codex}
		}, want: []string{"aider", Codex}},
		{name: "nothing installed", config: func(c *Config) { c.LookPath = fakeLookPath() }, client: "claude-code", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			if tc.config != nil {
				tc.config(&c)
			}
			if got := c.Available(tc.client); !slices.Equal(got, tc.want) {
				t.Errorf("Available(%q) = %q, want %q", tc.client, got, tc.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	c := baseConfig()
	c.Commands = map[string]CommandSpec{"aider": {Argv: []string{"aider"}}}
	d := c.Describe()
	for _, want := range []string{"claude (", "codex (", "opencode (", "gemini (", "aider (user-defined command aider)", "read_inbox", "gemini mcp add"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe() lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "\n") {
		t.Errorf("Describe() is not one paragraph:\n%s", d)
	}
	c.Enabled = []string{Claude}
	if d := c.Describe(); strings.Contains(d, "codex") || strings.Contains(d, "read_inbox") {
		t.Errorf("claude-only Describe() = %s", d)
	}
	c.LookPath = fakeLookPath()
	if d := c.Describe(); !strings.Contains(d, "No teammate backend is available") {
		t.Errorf("empty Describe() = %s", d)
	}
}

func TestParseEnabled(t *testing.T) {
	cases := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: "claude", want: []string{"claude"}},
		{in: " codex , claude,codex,, opencode ", want: []string{"codex", "claude", "opencode"}},
		{in: "aider", want: []string{"aider"}},
		{in: ",", wantErr: "names no backend"},
		{in: "claude;rm", wantErr: `"claude;rm"`},
		{in: "Claude", wantErr: `"Claude"`},
		{in: "claude code", wantErr: `"claude code"`},
	}
	for _, tc := range cases {
		got, err := ParseEnabled(tc.in)
		if tc.wantErr != "" {
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseEnabled(%q) err = %v, want one containing %s", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseEnabled(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	c := baseConfig()
	if err := c.Validate(); err != nil {
		t.Errorf("base config: %v", err)
	}
	c.Enabled = []string{"claude", "aider"}
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), `"aider"`) {
		t.Errorf("unknown enabled: %v", err)
	}
	c.Commands = map[string]CommandSpec{"aider": {Argv: []string{"aider"}}}
	if err := c.Validate(); err != nil {
		t.Errorf("with command: %v", err)
	}
	c.OpenCodeServerURL = "localhost:4096"
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "localhost:4096") {
		t.Errorf("bad url: %v", err)
	}
	c.OpenCodeServerURL = ""
	c.Enabled = nil
	c.Commands = map[string]CommandSpec{"bad": {Argv: []string{"x", "{nope}"}}}
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "{nope}") {
		t.Errorf("bad command: %v", err)
	}
}
