package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// Config is everything the program takes from its environment and flags.
// It is built once in cmd and handed down; nothing below cmd reads the
// environment. Add a field here (and to loadConfig, the help text and the
// README) for every new setting.
type Config struct {
	// DataRoot is $CLAUDE_CONFIG_DIR, else ~/.claude.
	DataRoot string
	// DataRootFromEnv is true when CLAUDE_CONFIG_DIR set DataRoot (it is
	// then passed on to teammates).
	DataRootFromEnv bool
	// Backends configures the teammate CLIs (CLAUDE_TEAMS_BACKENDS,
	// CLAUDE_TEAMS_COMMAND_BACKENDS, CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS,
	// OPENCODE_SERVER_URL, CLAUDE_TEAMS_SIGN_LEAD).
	Backends backends.Config
	// TmuxWindows is USE_TMUX_WINDOWS: one window per teammate instead of
	// splitting the lead's window.
	TmuxWindows bool
	// TmuxSocket is CLAUDE_TEAMS_TMUX_SOCKET, the private tmux server's
	// socket name (tmux -L) used when the lead is not inside tmux.
	TmuxSocket string
	// Restart is CLAUDE_TEAMS_RESTART: never, on-failure or always.
	Restart protocol.RestartPolicy
	// LogFile is CLAUDE_TEAMS_LOG_FILE ("" = stderr only).
	LogFile string
	// LogLevel is CLAUDE_TEAMS_LOG_LEVEL (debug, info, warn, error).
	LogLevel zapcore.Level
	// Tmux and TmuxPane are $TMUX and $TMUX_PANE: set when the lead runs
	// inside tmux.
	Tmux, TmuxPane string
	// AgentName and AgentTeam are CLAUDE_TEAMS_AGENT_NAME and
	// CLAUDE_TEAMS_TEAM, set by backends for the MCP server of a codex,
	// opencode, gemini or command teammate: the teammate it serves.
	AgentName, AgentTeam string
	// Supervision thresholds; zero means the supervisor's default.
	// StallAfter is CLAUDE_TEAMS_STALL_AFTER, IdleAfter
	// CLAUDE_TEAMS_IDLE_AFTER, StartTimeout CLAUDE_TEAMS_START_TIMEOUT,
	// NotifyEvery CLAUDE_TEAMS_NOTIFY_EVERY (Go durations such as 90s or
	// 10m) and NotifyBurst CLAUDE_TEAMS_NOTIFY_BURST (a count).
	StallAfter, IdleAfter, StartTimeout, NotifyEvery time.Duration
	NotifyBurst                                      int
	// Cwd is the working directory (the lead's, and teammates' default).
	Cwd string
	// Self is the absolute path of this executable.
	Self string
	// Version is this build's version string.
	Version string
	// Environ is the whole environment, for settings read elsewhere in cmd
	// (see Getenv) and for variables passed on to teammates.
	Environ []string
}

// Defaults.
const (
	defaultTmuxSocket = "claude-teams"
	defaultRestart    = protocol.RestartNever
)

// Getenv returns the value of key in c.Environ ("" when unset).
func (c Config) Getenv(key string) string {
	v, _ := lookupEnv(c.Environ, key)
	return v
}

func lookupEnv(environ []string, key string) (string, bool) {
	prefix := key + "="
	for i := len(environ) - 1; i >= 0; i-- { // the last definition wins, as in os.Getenv
		if strings.HasPrefix(environ[i], prefix) {
			return environ[i][len(prefix):], true
		}
	}
	return "", false
}

// loadConfig builds a Config from environ. Every malformed value is an
// error that names the variable.
func loadConfig(environ []string) (Config, error) {
	get := func(k string) string { v, _ := lookupEnv(environ, k); return v }
	c := Config{
		TmuxSocket: defaultTmuxSocket,
		Restart:    defaultRestart,
		LogLevel:   zapcore.InfoLevel,
		Tmux:       get("TMUX"),
		TmuxPane:   get("TMUX_PANE"),
		AgentName:  get(backends.EnvAgentName),
		AgentTeam:  get(backends.EnvTeam),
		LogFile:    get("CLAUDE_TEAMS_LOG_FILE"),
		Version:    buildVersion(),
		Environ:    environ,
	}
	if v := get("CLAUDE_CONFIG_DIR"); v != "" {
		c.DataRoot, c.DataRootFromEnv = v, true
	} else {
		home := get("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return c, fmt.Errorf("data root: set CLAUDE_CONFIG_DIR or HOME: %w", err)
			}
			home = h
		}
		c.DataRoot = filepath.Join(home, ".claude")
	}
	var err error
	if c.TmuxWindows, err = parseBool("USE_TMUX_WINDOWS", get("USE_TMUX_WINDOWS")); err != nil {
		return c, err
	}
	if v := get("CLAUDE_TEAMS_TMUX_SOCKET"); v != "" {
		if strings.ContainsAny(v, "/\x00") {
			return c, fmt.Errorf("CLAUDE_TEAMS_TMUX_SOCKET=%q: a socket name, not a path", v)
		}
		c.TmuxSocket = v
	}
	if v := get("CLAUDE_TEAMS_RESTART"); v != "" {
		p, err := protocol.ParseRestartPolicy(v)
		if err != nil {
			return c, fmt.Errorf("CLAUDE_TEAMS_RESTART: %w", err)
		}
		c.Restart = p
	}
	if v := get("CLAUDE_TEAMS_LOG_LEVEL"); v != "" {
		if c.LogLevel, err = zapcore.ParseLevel(v); err != nil {
			return c, fmt.Errorf("CLAUDE_TEAMS_LOG_LEVEL=%q: use debug, info, warn or error", v)
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"CLAUDE_TEAMS_STALL_AFTER", &c.StallAfter},
		{"CLAUDE_TEAMS_IDLE_AFTER", &c.IdleAfter},
		{"CLAUDE_TEAMS_START_TIMEOUT", &c.StartTimeout},
		{"CLAUDE_TEAMS_NOTIFY_EVERY", &c.NotifyEvery},
	} {
		if *d.dst, err = parseDuration(d.name, get(d.name)); err != nil {
			return c, err
		}
	}
	if v := get("CLAUDE_TEAMS_NOTIFY_BURST"); v != "" {
		if c.NotifyBurst, err = strconv.Atoi(v); err != nil || c.NotifyBurst < 1 {
			return c, fmt.Errorf("CLAUDE_TEAMS_NOTIFY_BURST=%q: want a positive count", v)
		}
	}
	if err := checkAgent(c.AgentName, c.AgentTeam); err != nil {
		return c, err
	}
	if c.Backends, err = loadBackends(environ); err != nil {
		return c, err
	}
	if c.Cwd, err = os.Getwd(); err != nil {
		return c, fmt.Errorf("working directory: %w", err)
	}
	if c.Self, err = os.Executable(); err != nil {
		return c, fmt.Errorf("own executable: %w", err)
	}
	c.Backends.Self = c.Self
	if err := c.Backends.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

func loadBackends(environ []string) (backends.Config, error) {
	get := func(k string) string { v, _ := lookupEnv(environ, k); return v }
	b := backends.Config{OpenCodeServerURL: get("OPENCODE_SERVER_URL"), Environ: environ,
		PermissionMode: get("CLAUDE_TEAMS_PERMISSION_MODE")}
	var err error
	if b.Enabled, err = backends.ParseEnabled(get("CLAUDE_TEAMS_BACKENDS")); err != nil {
		return b, fmt.Errorf("CLAUDE_TEAMS_BACKENDS: %w", err)
	}
	if v := get("CLAUDE_TEAMS_COMMAND_BACKENDS"); v != "" {
		if b.Commands, err = backends.ParseCommandBackends(v); err != nil {
			return b, fmt.Errorf("CLAUDE_TEAMS_COMMAND_BACKENDS: %w", err)
		}
	}
	if b.SkipPermissions, err = parseBool("CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS",
		get("CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS")); err != nil {
		return b, err
	}
	b.SignLead = true
	if v := get("CLAUDE_TEAMS_SIGN_LEAD"); v != "" {
		if b.SignLead, err = parseBool("CLAUDE_TEAMS_SIGN_LEAD", v); err != nil {
			return b, err
		}
	}
	return b, nil
}

// setDataRoot makes dir (the -config-dir flag) the data root, for
// teammates too: it is passed on to them as CLAUDE_CONFIG_DIR, the only
// way a native claude teammate finds its team there.
func (c *Config) setDataRoot(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("data root %q: %w", dir, err)
	}
	c.DataRoot, c.DataRootFromEnv = abs, true
	kv := "CLAUDE_CONFIG_DIR=" + abs
	c.Environ = append(slices.Clip(c.Environ), kv)
	c.Backends.Environ = append(slices.Clip(c.Backends.Environ), kv)
	return nil
}

// checkAgent validates the identity of a teammate's own server: both
// variables or neither, each a valid name.
func checkAgent(name, team string) error {
	switch {
	case name == "" && team == "":
		return nil
	case team == "":
		return fmt.Errorf("%s=%q is set without %s", backends.EnvAgentName, name, backends.EnvTeam)
	case name == "":
		return fmt.Errorf("%s=%q is set without %s", backends.EnvTeam, team, backends.EnvAgentName)
	}
	if err := protocol.ValidateMemberName(name); err != nil {
		return fmt.Errorf("%s: %w", backends.EnvAgentName, err)
	}
	if err := protocol.ValidateTeamName(team); err != nil {
		return fmt.Errorf("%s: %w", backends.EnvTeam, err)
	}
	return nil
}

// parseDuration reads a positive Go duration; unset or empty is zero.
func parseDuration(name, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 90s or 10m", name, v)
	}
	return d, nil
}

// parseBool reads a boolean variable: unset or empty is false.
func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q: use 1/true/yes/on or 0/false/no/off", name, v)
}
