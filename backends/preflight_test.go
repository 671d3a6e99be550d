package backends

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPreflight(t *testing.T) {
	const registered = `{"mcpServers":{"claude-teams":{"command":"/opt/ct"}},"security":{"auth":{"selectedType":"gemini-api-key"}}}`
	cases := []struct {
		name    string
		backend string
		env     []string
		files   map[string]string // relative to HOME ("cwd/" = the teammate's cwd)
		refuse  []string          // substrings of the error; nil = no error
		warn    string            // substring of a warning; "" = none
	}{
		{"gemini ready", Gemini, []string{"GEMINI_API_KEY=k"}, map[string]string{".gemini/settings.json": registered}, nil, ""},
		{"gemini registered in the project", Gemini, []string{"GEMINI_API_KEY=k"}, map[string]string{
			".gemini/settings.json":     `{"security":{"auth":{"selectedType":"gemini-api-key"}}}`,
			"cwd/.gemini/settings.json": `{"mcpServers":{"claude-teams":{}}}`,
		}, nil, ""},
		{"gemini without our server", Gemini, []string{"GEMINI_API_KEY=k"}, map[string]string{
			".gemini/settings.json": `{"security":{"auth":{"selectedType":"gemini-api-key"}}}`,
		}, []string{"gemini mcp add --scope user --trust claude-teams /opt/claude-teams/bin/claude-teams"}, ""},
		{"gemini without settings", Gemini, []string{"GEMINI_API_KEY=k"}, nil, []string{"no \"claude-teams\" MCP server"}, ""},
		{"gemini without auth type", Gemini, []string{"GEMINI_API_KEY=k"}, map[string]string{
			".gemini/settings.json": `{"mcpServers":{"claude-teams":{}}}`,
		}, []string{"security.auth.selectedType", "How would you like to authenticate"}, ""},
		{"gemini key redacted", Gemini, nil, map[string]string{".gemini/settings.json": registered},
			[]string{"GEMINI_API_KEY", "Paste your API key", "\"env\""}, ""},
		{"gemini bad settings", Gemini, nil, map[string]string{".gemini/settings.json": `{`}, []string{"settings.json"}, ""},
		{"codex env_key present", Codex, []string{"MOCK_KEY=x"}, map[string]string{
			".codex/config.toml": "model_provider = \"mock\"\n[model_providers.mock]\nbase_url = \"http://x\"\nenv_key = \"MOCK_KEY\"\n",
		}, nil, ""},
		{"codex env_key missing", Codex, nil, map[string]string{
			".codex/config.toml": "model_provider = \"mock\" # ours\n\n[model_providers.mock]\nenv_key = \"MOCK_KEY\"\n",
		}, []string{`"mock"`, "MOCK_KEY", `env_vars = ["CODEX_HOME", "MOCK_KEY"]`}, ""},
		{"codex env_key of another provider", Codex, nil, map[string]string{
			".codex/config.toml": "model_provider = \"mock\"\n[model_providers.other]\nenv_key = \"OTHER_KEY\"\n",
		}, nil, ""},
		{"codex never signed in", Codex, nil, nil, nil, "sign-in chooser"},
		{"codex signed in", Codex, nil, map[string]string{".codex/auth.json": "{}"}, nil, ""},
		{"opencode provider in the project", OpenCode, nil, map[string]string{"cwd/opencode.json": `{"provider":{"mock":{}}}`}, nil, ""},
		{"opencode with a key", OpenCode, []string{"OPENROUTER_API_KEY=k"}, nil, nil, ""},
		{"opencode with nothing", OpenCode, nil, nil, nil, "no provider"},
		{"claude has no preflight", Claude, nil, nil, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			cwd := filepath.Join(home, "proj")
			if err := os.MkdirAll(cwd, 0o755); err != nil {
				t.Fatal(err)
			}
			for rel, content := range tc.files {
				p := filepath.Join(home, strings.Replace(rel, "cwd/", "proj/", 1))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c := baseConfig()
			c.Environ = append([]string{"HOME=" + home, "PATH=/bin"}, tc.env...)
			warnings, err := c.Preflight(tc.backend, cwd)
			if tc.refuse == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.refuse != nil {
				if !errors.Is(err, ErrPreflight) {
					t.Fatalf("err = %v, want ErrPreflight", err)
				}
				for _, want := range tc.refuse {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
			}
			got := strings.Join(warnings, "\n")
			if tc.warn == "" && got != "" || !strings.Contains(got, tc.warn) {
				t.Errorf("warnings = %q, want %q", got, tc.warn)
			}
		})
	}
}
