package backends

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ErrPreflight is returned (wrapped) by Config.Preflight when a teammate
// would start without something it cannot work without; the message says
// what is missing and the exact fix.
var ErrPreflight = errors.New("backends: teammate would not work")

// Preflight checks, before a teammate of backend starts in cwd, what it
// would lack: Gemini CLI without our MCP server in its settings, without
// security.auth.selectedType or without its API key; Codex without the
// variable its provider's env_key names; opencode without any provider.
// Each of these would leave the teammate at a dialog or idle without our
// tools. A certain failure is an error wrapping ErrPreflight; a likely one
// is a warning. Both name the fix. It only reads the CLIs' settings files.
func (c Config) Preflight(backend, cwd string) (warnings []string, err error) {
	env := c.environ()
	home := env["HOME"]
	switch backend {
	case Gemini:
		return c.geminiPreflight(env, home, cwd)
	case Codex:
		return codexPreflight(env, home)
	case OpenCode:
		if c.OpenCodeServerURL == "" {
			return openCodePreflight(env, home, cwd), nil
		}
	}
	return nil, nil
}

// geminiSettings is what we read of a Gemini CLI settings.json.
type geminiSettings struct {
	MCPServers map[string]json.RawMessage `json:"mcpServers"`
	Security   struct {
		Auth struct {
			SelectedType string `json:"selectedType"`
		} `json:"auth"`
	} `json:"security"`
}

func (c Config) geminiPreflight(env map[string]string, home, cwd string) ([]string, error) {
	var files []string
	if home != "" {
		files = append(files, filepath.Join(home, ".gemini", "settings.json"))
	}
	files = append(files, filepath.Join(cwd, ".gemini", "settings.json"))
	registered, auth := false, ""
	for _, f := range files {
		var st geminiSettings
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("%w: gemini settings %s: %v", ErrPreflight, f, err)
		}
		if _, ok := st.MCPServers[MCPServerName]; ok {
			registered = true
		}
		if st.Security.Auth.SelectedType != "" {
			auth = st.Security.Auth.SelectedType
		}
	}
	userFile := "~/.gemini/settings.json"
	if len(files) > 1 {
		userFile = files[0]
	}
	if !registered {
		return nil, fmt.Errorf("%w: gemini has no %q MCP server in %s (it would have none of the team tools): run `gemini mcp add --scope user --trust %s %s`",
			ErrPreflight, MCPServerName, strings.Join(files, " or "), MCPServerName, c.Self)
	}
	if auth == "" {
		return nil, fmt.Errorf("%w: gemini has no security.auth.selectedType in %s (it would stop at \"How would you like to authenticate\"): add \"security\": {\"auth\": {\"selectedType\": \"gemini-api-key\"}} (or your auth type)",
			ErrPreflight, userFile)
	}
	if auth == "gemini-api-key" && env["GEMINI_API_KEY"] == "" && env["GOOGLE_API_KEY"] == "" {
		return nil, fmt.Errorf("%w: GEMINI_API_KEY is not in claude-teams' environment (the teammate would stop at \"Paste your API key\"; a Gemini lead removes *KEY* variables from its MCP servers): put it in the \"env\" of the claude-teams entry of the lead's MCP settings",
			ErrPreflight)
	}
	return nil, nil
}

var (
	tomlSectionRE = regexp.MustCompile(`^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$`)
	tomlStringRE  = regexp.MustCompile(`^\s*([A-Za-z0-9_.-]+)\s*=\s*"([^"]*)"\s*(#.*)?$`)
)

// codexConfig returns the top-level model_provider and the env_key of each
// [model_providers.NAME] of a Codex config.toml (a line reader: enough for
// the keys we need, written as plain strings).
func codexConfig(data string) (provider string, envKeys map[string]string) {
	envKeys = map[string]string{}
	section := ""
	for _, line := range strings.Split(data, "\n") {
		if m := tomlSectionRE.FindStringSubmatch(line); m != nil {
			section = strings.Trim(m[1], `" `)
			continue
		}
		m := tomlStringRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch {
		case section == "" && m[1] == "model_provider":
			provider = m[2]
		case section == "" && strings.HasPrefix(m[1], "model_providers.") && strings.HasSuffix(m[1], ".env_key"):
			envKeys[strings.TrimSuffix(strings.TrimPrefix(m[1], "model_providers."), ".env_key")] = m[2]
		case strings.HasPrefix(section, "model_providers.") && m[1] == "env_key":
			envKeys[strings.TrimPrefix(section, "model_providers.")] = m[2]
		}
	}
	return provider, envKeys
}

func codexPreflight(env map[string]string, home string) ([]string, error) {
	codexHome := env["CODEX_HOME"]
	if codexHome == "" && home != "" {
		codexHome = filepath.Join(home, ".codex")
	}
	if codexHome == "" {
		return []string{"neither CODEX_HOME nor HOME is in claude-teams' environment: the codex teammate may start at its sign-in chooser; add env_vars = [\"CODEX_HOME\"] to the lead's [mcp_servers.claude-teams]"}, nil
	}
	data, err := os.ReadFile(filepath.Join(codexHome, "config.toml"))
	if err != nil {
		if env["OPENAI_API_KEY"] != "" {
			return nil, nil
		}
		if _, aerr := os.Stat(filepath.Join(codexHome, "auth.json")); aerr == nil {
			return nil, nil
		}
		return []string{fmt.Sprintf("no %s/config.toml, auth.json or OPENAI_API_KEY: the codex teammate will stop at its sign-in chooser; if the lead is Codex, add env_vars = [\"CODEX_HOME\", …] to its [mcp_servers.claude-teams]", codexHome)}, nil
	}
	provider, keys := codexConfig(string(data))
	if key := keys[provider]; provider != "" && key != "" && env[key] == "" {
		return nil, fmt.Errorf("%w: codex provider %q reads its key from %s, which is not in claude-teams' environment (the teammate would print \"Missing environment variable\" and wait): add env_vars = [\"CODEX_HOME\", %q] to the lead's [mcp_servers.claude-teams], or export it",
			ErrPreflight, provider, key, key)
	}
	return nil, nil
}

func openCodePreflight(env map[string]string, home, cwd string) []string {
	if strings.Contains(env["OPENCODE_CONFIG_CONTENT"], `"provider"`) {
		return nil
	}
	files := []string{env["OPENCODE_CONFIG"], filepath.Join(cwd, "opencode.json"), filepath.Join(cwd, "opencode.jsonc")}
	if xdg := env["XDG_CONFIG_HOME"]; xdg != "" {
		files = append(files, filepath.Join(xdg, "opencode", "opencode.json"), filepath.Join(xdg, "opencode", "opencode.jsonc"))
	} else if home != "" {
		files = append(files, filepath.Join(home, ".config", "opencode", "opencode.json"), filepath.Join(home, ".config", "opencode", "opencode.jsonc"))
	}
	for _, f := range files {
		if data, err := os.ReadFile(f); f != "" && err == nil && strings.Contains(string(data), `"provider"`) {
			return nil
		}
	}
	for k, v := range env {
		if v != "" && providerPass.match(k) && strings.HasSuffix(k, "_API_KEY") {
			return nil
		}
	}
	if home != "" {
		if _, err := os.Stat(filepath.Join(home, ".local", "share", "opencode", "auth.json")); err == nil {
			return nil
		}
	}
	return []string{"opencode has no provider block in its config and no *_API_KEY is in claude-teams' environment: the teammate may retry its provider for ever; configure one (opencode auth login, or \"provider\" in opencode.json)"}
}
