package backends

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
)

// Built-in backend names. User-defined command backends add their own
// names through Config.Commands.
const (
	Claude   = "claude"
	Codex    = "codex"
	OpenCode = "opencode"
	Gemini   = "gemini"
)

// builtins lists the built-in backends in their default order.
var builtins = []string{Claude, Codex, OpenCode, Gemini}

// MCPServerName is the name of the claude-teams MCP server entry that
// codex and opencode teammates get, and that gemini teammates need in the
// user's Gemini CLI settings.
const MCPServerName = "claude-teams"

// Environment variables that tell a teammate's own claude-teams MCP server
// (started by a codex, gemini, opencode or command teammate) who it serves.
// cmd reads them; a server that has them knows its default sender and inbox.
const (
	EnvAgentName = "CLAUDE_TEAMS_AGENT_NAME"
	EnvTeam      = "CLAUDE_TEAMS_TEAM"
	EnvAgentID   = "CLAUDE_TEAMS_AGENT_ID"
)

// ErrUnknownBackend is returned (wrapped) for a backend name that is
// neither built in nor a configured command backend.
var ErrUnknownBackend = errors.New("backends: unknown backend")

// ErrUnavailableBackend is returned (wrapped) by Config.Launch for a known
// backend that is not enabled, whose binary is not on PATH, or that lacks
// a setting it needs (Config.Self for codex and a local opencode).
var ErrUnavailableBackend = errors.New("backends: backend not available")

// ErrInvalidTeammate is returned (wrapped) by Config.Launch when a field of
// the Teammate fails validation; the message names the field and value.
var ErrInvalidTeammate = errors.New("backends: invalid teammate")

// ErrInvalidConfig is returned (wrapped) by ParseEnabled,
// ParseCommandBackends and Config.Validate.
var ErrInvalidConfig = errors.New("backends: invalid configuration")

// Teammate is everything a backend needs to start one teammate.
type Teammate struct {
	Team, Name, AgentID, Color, Model, AgentType, Cwd, LeadSessionID string
	PlanModeRequired                                                 bool
	// PermissionMode is a claude teammate's --permission-mode (one of
	// PermissionModes); "" means Config.PermissionMode.
	PermissionMode string
	// DataRoot is the CLAUDE_CONFIG_DIR-or-~/.claude root. It is passed
	// on as CLAUDE_CONFIG_DIR to the agent only when Config.Environ sets
	// CLAUDE_CONFIG_DIR (it moves all of Claude Code's state); the
	// claude-teams MCP servers we configure for codex and opencode
	// teammates always get it.
	DataRoot string
	// SessionID is the conversation recorded for this teammate by an
	// earlier launch (Launch.SessionID, or one found later with
	// Config.FindSession). It is used only when Resume is set.
	SessionID string
	// Resume asks for the earlier conversation SessionID back. Launch
	// resumes only when the backend can and its transcript holds a turn
	// (see Config.Resumable); otherwise it starts fresh, with a new id,
	// and says why in Launch.FreshReason.
	Resume bool
}

// Launch is how to start a teammate: argv words (never a shell string),
// extra environment ("KEY=VALUE", on top of what the pane inherits from
// the tmux server) and the working directory.
type Launch struct {
	Argv []string
	Env  []string
	Dir  string
	// SessionID is the conversation this launch runs: the resumed one, or
	// the new id a fresh launch chose (claude, gemini, command backends).
	// It is "" when the CLI picks its own id (codex, opencode): find it
	// after the first turn with Config.FindSession.
	SessionID string
	// Resumed reports that this launch continues Teammate.SessionID.
	Resumed bool
	// FreshReason says why a launch asked to resume starts fresh ("" when
	// it resumed or was not asked to).
	FreshReason string
}

// Config is built by cmd from the environment; its zero value works (the
// default set of backends, found with exec.LookPath, no pass-through).
type Config struct {
	// Enabled is CLAUDE_TEAMS_BACKENDS (see ParseEnabled); nil means every
	// built-in backend and every command backend.
	Enabled []string
	// Commands are user-defined generic command backends by name, from
	// CLAUDE_TEAMS_COMMAND_BACKENDS (see ParseCommandBackends).
	Commands map[string]CommandSpec
	// SkipPermissions is CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS.
	SkipPermissions bool
	// PermissionMode is CLAUDE_TEAMS_PERMISSION_MODE: the --permission-mode
	// of claude teammates spawned without one; "" means
	// DefaultPermissionMode.
	PermissionMode string
	// OpenCodeServerURL is OPENCODE_SERVER_URL: opencode teammates attach
	// to that server (opencode run --attach) instead of running their own.
	OpenCodeServerURL string
	// Self is the absolute path of the claude-teams binary, used for the
	// MCP server entries of codex and local opencode teammates. Without it
	// those backends are unavailable.
	Self string
	// Environ is the caller's environment, from which pass-through
	// variables are copied ("KEY=VALUE"; a later duplicate wins).
	Environ []string
	// LookPath finds a binary on PATH; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// NewSessionID returns a new session id (a random UUID) for a fresh
	// launch; nil means NewSessionID. Tests set it to get exact argv.
	NewSessionID func() string
	// SignLead is CLAUDE_TEAMS_SIGN_LEAD (cmd's default true): claude
	// teammates whose CLI knows --lead-verify-key get a lead key from
	// LeadKeys. With LeadKeys nil nothing is signed (leadkey.go).
	SignLead bool
	// LeadKeys makes the lead keys (cmd passes its protocol.Store).
	LeadKeys LeadKeys
	// Run runs the helper processes of session lookups (opencode session
	// list and export, see FindSession and Resumable); nil means
	// RunBounded. Tests set it to replay recorded output.
	Run RunFunc
}

func (c Config) lookPath(file string) (string, error) {
	if c.LookPath != nil {
		return c.LookPath(file)
	}
	return exec.LookPath(file)
}

// ClientBackend maps an MCP clientInfo name to the backend of that client
// ("" when unknown).
func ClientBackend(clientName string) string {
	switch clientName {
	case "claude-code", "claude":
		return Claude
	case "codex-mcp-client", "codex":
		return Codex
	case "opencode":
		return OpenCode
	case "gemini-cli-mcp-client", "gemini-cli":
		return Gemini
	}
	return ""
}

// Launch returns how to start teammate t with the named backend. It
// validates t again (names, model, absolute cwd) and fails with an error
// that wraps ErrUnknownBackend, ErrUnavailableBackend or ErrInvalidTeammate
// and names the offending value. It is LaunchContext without a context.
func (c Config) Launch(backend string, t Teammate) (Launch, error) {
	return c.LaunchContext(context.Background(), backend, t)
}

// LaunchContext is Launch; ctx bounds the helper processes a resume may
// run to check its session (opencode: Resumable), which end when it does.
func (c Config) LaunchContext(ctx context.Context, backend string, t Teammate) (Launch, error) {
	if !c.known(backend) {
		return Launch{}, fmt.Errorf("launch %q: %w (known: %v)", backend, ErrUnknownBackend, c.knownNames())
	}
	if !c.enabled(backend) {
		return Launch{}, fmt.Errorf("launch %q: %w: not enabled by CLAUDE_TEAMS_BACKENDS %v", backend, ErrUnavailableBackend, c.Enabled)
	}
	t, err := validateTeammate(t)
	if err != nil {
		return Launch{}, fmt.Errorf("launch %s: %w", backend, err)
	}
	bin, err := c.binary(backend)
	if err != nil {
		return Launch{}, fmt.Errorf("launch %s: %w", backend, err)
	}
	s, err := c.session(ctx, backend, t)
	if err != nil {
		return Launch{}, fmt.Errorf("launch %s: %w", backend, err)
	}
	var l Launch
	switch backend {
	case Claude:
		l = c.claudeLaunch(bin, t, s)
		l.Argv, err = c.leadKeyArgv(bin, t, l.Argv)
	case Codex:
		l, err = c.codexLaunch(bin, t, s)
	case OpenCode:
		l, err = c.openCodeLaunch(bin, t, s)
	case Gemini:
		l, err = c.geminiLaunch(bin, t, s)
	default:
		l, err = c.commandLaunch(backend, bin, t, s)
	}
	if err != nil {
		return Launch{}, fmt.Errorf("launch %s: %w", backend, err)
	}
	l.Dir = t.Cwd
	l.SessionID, l.Resumed, l.FreshReason = s.id, s.resume, s.freshReason
	return l, nil
}
