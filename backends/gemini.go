package backends

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// geminiLaunch runs the interactive Gemini CLI with the instruction as its
// first prompt (--prompt-interactive runs it and stays interactive;
// checked against @google/gemini-cli 0.61.0 --help). Gemini CLI takes MCP
// servers only from settings files, so the claude-teams entry goes into a
// settings file of ours (Launch.Files, under the team's directory) that
// GEMINI_CLI_SYSTEM_SETTINGS_PATH points at: system settings merge over the
// user's, and mcpServers merge by name, so the user's own settings stay.
// GEMINI_CLI_SYSTEM_DEFAULTS_PATH is pinned to its usual place, which
// would otherwise move next to our file. The entry is trusted (no
// confirmation for our coordination tools).
//
// --skip-trust trusts the teammate's directory for the session: the lead
// chose it, and an untrusted folder would stop at a dialog. Permissions:
// --approval-mode auto_edit, or yolo with SkipPermissions.
func (c Config) geminiLaunch(bin string, t Teammate) (Launch, error) {
	if t.DataRoot == "" {
		return Launch{}, fmt.Errorf("%w: gemini needs the data root for its settings file", ErrUnavailableBackend)
	}
	// Gemini expands $VAR in settings values; refuse paths it would rewrite.
	for _, p := range []string{c.Self, t.DataRoot} {
		if strings.Contains(p, "$") {
			return Launch{}, fmt.Errorf("%w: path %q contains '$', which gemini settings would expand", ErrUnavailableBackend, p)
		}
	}
	settings, err := json.MarshalIndent(map[string]any{
		"mcpServers": map[string]any{
			MCPServerName: map[string]any{
				"command": c.Self,
				"args":    []string{},
				"env":     c.serverEnv(t),
				"trust":   true,
			},
		},
	}, "", "  ")
	if err != nil {
		return Launch{}, err
	}
	path := GeminiSettingsPath(t.DataRoot, t.Team, t.Name)

	argv := []string{bin, "--skip-trust"}
	if c.SkipPermissions {
		argv = append(argv, "--approval-mode", "yolo")
	} else {
		argv = append(argv, "--approval-mode", "auto_edit")
	}
	if m := foreignModel(t.Model); m != "" {
		argv = append(argv, "--model", m)
	}
	argv = append(argv, "--prompt-interactive", instructions(t))

	env := c.environ()
	var b envBuilder
	b.identity(t)
	b.set("GEMINI_CLI_SYSTEM_SETTINGS_PATH", path)
	if v := env["GEMINI_CLI_SYSTEM_DEFAULTS_PATH"]; v != "" {
		b.set("GEMINI_CLI_SYSTEM_DEFAULTS_PATH", v)
	} else {
		b.set("GEMINI_CLI_SYSTEM_DEFAULTS_PATH", geminiSystemDefaults())
	}
	b.pass(env, nil, commonPass, geminiPass)
	return Launch{Argv: argv, Env: b.fixed, Files: []File{{Path: path, Data: append(settings, '\n')}}}, nil
}

// GeminiSettingsPath is where the gemini backend keeps a teammate's
// settings file: <root>/teams/<team>/backends/<name>.gemini-settings.json,
// so it goes away with the team directory.
func GeminiSettingsPath(root, team, name string) string {
	return filepath.Join(root, "teams", team, "backends", name+".gemini-settings.json")
}

// geminiSystemDefaults is Gemini CLI's default system-defaults path.
func geminiSystemDefaults() string {
	switch runtime.GOOS {
	case "darwin":
		return "/Library/Application Support/GeminiCli/system-defaults.json"
	case "windows":
		return `C:\ProgramData\gemini-cli\system-defaults.json`
	}
	return "/etc/gemini-cli/system-defaults.json"
}
