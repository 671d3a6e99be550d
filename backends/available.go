package backends

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// known reports whether name is a built-in or configured command backend.
func (c Config) known(name string) bool {
	if slices.Contains(builtins, name) {
		return true
	}
	_, ok := c.Commands[name]
	return ok
}

// knownNames lists the built-in backends, then the command backends sorted.
func (c Config) knownNames() []string {
	return append(slices.Clone(builtins), sortedKeys(c.Commands)...)
}

// enabledNames is Enabled, or every known backend when Enabled is nil.
func (c Config) enabledNames() []string {
	if c.Enabled == nil {
		return c.knownNames()
	}
	return c.Enabled
}

func (c Config) enabled(name string) bool {
	return slices.Contains(c.enabledNames(), name)
}

// binary resolves the executable of a backend and checks the settings the
// backend needs besides it.
func (c Config) binary(backend string) (string, error) {
	file := backend
	switch backend {
	case Claude, Gemini:
	case OpenCode:
		if c.OpenCodeServerURL != "" {
			if err := checkServerURL(c.OpenCodeServerURL); err != nil {
				return "", fmt.Errorf("%w: %v", ErrUnavailableBackend, err)
			}
			break
		}
		fallthrough
	case Codex:
		if c.Self == "" || !isAbs(c.Self) {
			return "", fmt.Errorf("%w: the absolute path of claude-teams (for the MCP server entry) is unknown: %q", ErrUnavailableBackend, c.Self)
		}
	default:
		spec, ok := c.Commands[backend]
		if !ok || len(spec.Argv) == 0 {
			return "", fmt.Errorf("%w: command backend %q has no argv", ErrUnavailableBackend, backend)
		}
		file = spec.Argv[0]
	}
	path, err := c.lookPath(file)
	if err != nil {
		return "", fmt.Errorf("%w: %q not found on PATH: %v", ErrUnavailableBackend, file, err)
	}
	if path, err = absPath(path); err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrUnavailableBackend, file, err)
	}
	return path, nil
}

// absPath makes a path found by LookPath absolute: a relative one was found
// from our directory, and the pane starts in the teammate's.
func absPath(path string) (string, error) {
	if filepath.IsAbs(path) {
		return path, nil
	}
	return filepath.Abs(path)
}

// Available returns the backend names a spawn may use, in order; [0] is
// the default. A backend is listed when it is enabled (Config.Enabled, or
// every known backend when that is nil) and usable (its binary is found,
// and codex and a local opencode have Config.Self). client is the
// MCP clientInfo name of the connecting client: its own backend
// (ClientBackend) moves to the front when it is available.
func (c Config) Available(client string) []string {
	var out []string
	for _, name := range c.enabledNames() {
		if !c.known(name) || slices.Contains(out, name) {
			continue
		}
		if _, err := c.binary(name); err != nil {
			continue
		}
		out = append(out, name)
	}
	if own := ClientBackend(client); own != "" {
		if i := slices.Index(out, own); i > 0 {
			out = append([]string{own}, slices.Delete(out, i, i+1)...)
		}
	}
	return out
}

// descriptions says, per built-in backend, what the spawn tool's caller
// should know about it.
var descriptions = map[string]string{
	Claude:   "claude (Claude Code as a native teammate; model: sonnet, opus, haiku or a full model id)",
	Codex:    "codex (OpenAI Codex CLI; model: a Codex model id, the Claude aliases sonnet/opus/haiku mean its configured default)",
	OpenCode: "opencode (OpenCode; model: provider/model, the Claude aliases mean its configured default; subagent_type names an opencode agent such as build or plan, general-purpose means its default)",
	Gemini:   "gemini (Gemini CLI; model: a Gemini model id, the Claude aliases mean its configured default; needs claude-teams in its user MCP settings: gemini mcp add --scope user --trust claude-teams <path of claude-teams>)",
}

// Describe returns one paragraph for the spawn tool's description listing
// the available backends (as Available("") orders them).
func (c Config) Describe() string {
	avail := c.Available("")
	if len(avail) == 0 {
		return "No teammate backend is available: put claude (or codex, opencode, gemini) on PATH, or check CLAUDE_TEAMS_BACKENDS and CLAUDE_TEAMS_COMMAND_BACKENDS."
	}
	parts := make([]string, 0, len(avail))
	for _, name := range avail {
		if d, ok := descriptions[name]; ok {
			parts = append(parts, d)
			continue
		}
		parts = append(parts, name+" (user-defined command "+c.Commands[name].Argv[0]+")")
	}
	var b strings.Builder
	b.WriteString("Available backend_type values: ")
	b.WriteString(strings.Join(parts, "; "))
	b.WriteString(". The default is the connecting client's own backend when it is available, else the first listed.")
	if len(avail) > 1 || avail[0] != Claude {
		b.WriteString(" Teammates other than claude start with a short instruction to read their inbox and report through this server's tools (read_inbox, send_message, task_list, task_update); the prompt itself always goes to the inbox.")
	}
	return b.String()
}

// Validate checks the configuration as a whole: every enabled name is
// known, every command backend is valid, and OpenCodeServerURL parses.
func (c Config) Validate() error {
	for _, name := range c.Enabled {
		if !c.known(name) {
			return fmt.Errorf("%w: CLAUDE_TEAMS_BACKENDS names unknown backend %q (known: %s)", ErrInvalidConfig, name, strings.Join(c.knownNames(), ", "))
		}
	}
	for name, spec := range c.Commands {
		if err := validateCommand(name, spec); err != nil {
			return err
		}
	}
	if c.OpenCodeServerURL != "" {
		if err := checkServerURL(c.OpenCodeServerURL); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
	}
	if c.PermissionMode != "" && !slices.Contains(PermissionModes, c.PermissionMode) {
		return fmt.Errorf("%w: CLAUDE_TEAMS_PERMISSION_MODE=%q is not one of %s", ErrInvalidConfig, c.PermissionMode, strings.Join(PermissionModes, ", "))
	}
	return nil
}

// ParseEnabled parses CLAUDE_TEAMS_BACKENDS, a comma-separated list of
// backend names (spaces around names are ignored, duplicates dropped). An
// empty or blank string yields nil: the default set. It checks only the
// syntax of each name; Config.Validate checks that they are known.
func ParseEnabled(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		name := strings.TrimSpace(f)
		if name == "" {
			continue
		}
		if !backendNameRE.MatchString(name) {
			return nil, fmt.Errorf("%w: CLAUDE_TEAMS_BACKENDS: bad backend name %q (want %s)", ErrInvalidConfig, name, backendNameRE)
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("%w: CLAUDE_TEAMS_BACKENDS %q names no backend", ErrInvalidConfig, s)
	}
	return out, nil
}

// checkServerURL accepts an absolute http or https URL with a host.
func checkServerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("OPENCODE_SERVER_URL %q is not an http(s) URL", s)
	}
	return nil
}
