package backends

import (
	"errors"
	"fmt"
	"os/exec"
)

// Backend names known to this package. User-defined command backends add
// their own names through Config.Commands.
const (
	Claude   = "claude"
	Codex    = "codex"
	Gemini   = "gemini"
	OpenCode = "opencode"
)

// ErrUnknownBackend is returned (wrapped) by Config.Launch for a backend name
// that is neither built in nor a configured command backend.
var ErrUnknownBackend = errors.New("backends: unknown backend")

// ErrUnavailableBackend is returned (wrapped) by Config.Launch for a known
// backend that is not enabled or whose binary is not on PATH.
var ErrUnavailableBackend = errors.New("backends: backend not available")

// ErrInvalidTeammate is returned (wrapped) by Config.Launch when a field of
// the Teammate fails validation (bad name, relative cwd, hostile model...).
var ErrInvalidTeammate = errors.New("backends: invalid teammate")

// Teammate is everything a backend needs to start one teammate.
type Teammate struct {
	Team, Name, AgentID, Color, Model, AgentType, Cwd, LeadSessionID string
	PlanModeRequired                                                 bool
	// DataRoot is the CLAUDE_CONFIG_DIR-or-~/.claude root. It is passed on
	// as CLAUDE_CONFIG_DIR only when Config.Environ sets CLAUDE_CONFIG_DIR.
	DataRoot string
}

// Launch is how to start a teammate: argv words (never a shell string),
// extra environment ("KEY=VALUE") and the working directory.
type Launch struct {
	Argv []string
	Env  []string
	Dir  string
}

// CommandSpec is a user-defined generic command backend. Each Argv word and
// Env value may hold placeholders ({name} {team} {agent_id} {cwd} {model}
// {color} {agent_type} {prompt_hint}) that are substituted within that word
// only, never re-split.
type CommandSpec struct {
	// Argv is the command; Argv[0] is looked up on PATH.
	Argv []string `json:"argv"`
	// Env is extra environment for the teammate.
	Env map[string]string `json:"env,omitempty"`
	// Instructions appends the built-in instruction wrapper (team,
	// teammate name, tools to use) as the last argv word.
	Instructions bool `json:"instructions,omitempty"`
}

// Config is built by cmd from the environment; its zero value works.
type Config struct {
	// Enabled is CLAUDE_TEAMS_BACKENDS (see ParseEnabled); nil means the
	// default set.
	Enabled []string
	// Commands are user-defined generic command backends by name.
	Commands map[string]CommandSpec
	// SkipPermissions is CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS.
	SkipPermissions bool
	// OpenCodeServerURL is OPENCODE_SERVER_URL: opencode teammates attach
	// to that server instead of starting their own.
	OpenCodeServerURL string
	// Self is the absolute path of the claude-teams binary, used for the
	// MCP server entries of codex, gemini and opencode teammates.
	Self string
	// Environ is the caller's environment, from which pass-through
	// variables are copied.
	Environ []string
	// LookPath finds a binary on PATH; nil means exec.LookPath.
	LookPath func(string) (string, error)
}

func (c Config) lookPath(file string) (string, error) {
	if c.LookPath != nil {
		return c.LookPath(file)
	}
	return exec.LookPath(file)
}

// Available returns the backend names a spawn may use, in order; [0] is
// the default. client is the MCP clientInfo name of the connecting client.
func (c Config) Available(client string) []string {
	return nil
}

// ClientBackend maps an MCP clientInfo name to a backend name ("" when
// unknown).
func ClientBackend(clientName string) string {
	return ""
}

// Launch returns how to start teammate t with the named backend. The error
// names an unknown or unavailable backend or the invalid field.
func (c Config) Launch(backend string, t Teammate) (Launch, error) {
	return Launch{}, fmt.Errorf("launch %q: %w", backend, ErrUnknownBackend)
}

// Describe returns one paragraph for the spawn tool's description listing
// the available backends.
func (c Config) Describe() string {
	return ""
}

// ParseEnabled parses CLAUDE_TEAMS_BACKENDS, a comma-separated list of
// backend names. An empty string yields nil (the default set).
func ParseEnabled(s string) ([]string, error) {
	return nil, nil
}

// ParseCommandBackends parses CLAUDE_TEAMS_COMMAND_BACKENDS, a JSON object
// mapping backend names to CommandSpecs, and validates every spec.
func ParseCommandBackends(jsonText string) (map[string]CommandSpec, error) {
	return nil, nil
}
