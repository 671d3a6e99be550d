package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

func runCLI(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(""), &out, &errb, environ)
	return out.String(), errb.String(), err
}

func TestHelp(t *testing.T) {
	var first string
	for i, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"-help"}} {
		out, errOut, err := runCLI(t, nil, args...)
		if err != nil || errOut != "" {
			t.Fatalf("%q: err=%v stderr=%q", args, err, errOut)
		}
		if i == 0 {
			first = out
			golden(t, "help.golden", []byte(out))
		} else if out != first {
			t.Errorf("%q prints other help than %q", args, "help")
		}
	}
	for _, v := range envVars {
		if !strings.Contains(first, v) {
			t.Errorf("help does not mention %s", v)
		}
	}
}

// envVars are the variables loadConfig reads.
var envVars = []string{"CLAUDE_CONFIG_DIR", "CLAUDE_TEAMS_BACKENDS", "CLAUDE_TEAMS_COMMAND_BACKENDS",
	"CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS", "OPENCODE_SERVER_URL", "USE_TMUX_WINDOWS",
	"CLAUDE_TEAMS_TMUX_SOCKET", "CLAUDE_TEAMS_RESTART", "CLAUDE_TEAMS_LOG_FILE", "CLAUDE_TEAMS_LOG_LEVEL",
	"CLAUDE_TEAMS_STALL_AFTER", "CLAUDE_TEAMS_IDLE_AFTER", "CLAUDE_TEAMS_START_TIMEOUT", "CLAUDE_TEAMS_NOTIFY_EVERY",
	"CLAUDE_TEAMS_NOTIFY_BURST", "CLAUDE_TEAMS_AGENT_NAME", "CLAUDE_TEAMS_TEAM", "TMUX_PANE", "CLAUDE_TEAMS_LEAD_SHARE"}

// TestREADMEDocumentsEverything keeps the README in step with the
// program: every environment variable and every tool (one schema
// snapshot each) is mentioned.
func TestREADMEDocumentsEverything(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range envVars {
		if !bytes.Contains(readme, []byte("`"+v+"`")) {
			t.Errorf("README does not document %s", v)
		}
	}
	snaps, err := filepath.Glob(filepath.Join("..", "..", "testdata", "mcp", "toolsnaps", "*.json"))
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no tool snapshots (%v)", err)
	}
	for _, snap := range snaps {
		tool := strings.TrimSuffix(filepath.Base(snap), ".json")
		if !bytes.Contains(readme, []byte("| `"+tool+"`")) {
			t.Errorf("README's tool tables lack %s", tool)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		out, _, err := runCLI(t, nil, arg)
		if err != nil || !strings.HasPrefix(out, "claude-teams ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%s: %q, %v", arg, out, err)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		out, errOut, err := runCLI(t, []string{"HOME=" + t.TempDir()}, tc.args...)
		if !errors.Is(err, errUsage) || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: err=%v stdout=%q stderr=%q", tc.args, err, out, errOut)
		}
	}
	// A bad value is an error naming it, not a usage error.
	_, _, err := runCLI(t, []string{"HOME=" + t.TempDir()}, "serve", "-restart", "sometimes")
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "sometimes") {
		t.Errorf("bad -restart: %v", err)
	}
}

func TestLoadConfig(t *testing.T) {
	home := t.TempDir()
	base := []string{"HOME=" + home}
	cfg, err := loadConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataRoot != filepath.Join(home, ".claude") || cfg.DataRootFromEnv || cfg.TmuxSocket != "claude-teams" ||
		cfg.Restart != "never" || cfg.LogLevel != zapcore.InfoLevel || cfg.TmuxWindows || cfg.Self == "" || cfg.Cwd == "" {
		t.Errorf("defaults = %+v", cfg)
	}
	cfg, err = loadConfig(append(base, "CLAUDE_CONFIG_DIR=/data", "USE_TMUX_WINDOWS=1", "CLAUDE_TEAMS_TMUX_SOCKET=mine",
		"CLAUDE_TEAMS_RESTART=on-failure", "CLAUDE_TEAMS_LOG_LEVEL=debug", "CLAUDE_TEAMS_LOG_FILE=/tmp/x.log",
		"TMUX=/tmp/tmux-0/default,1,0", "TMUX_PANE=%3", "CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS=true",
		"OPENCODE_SERVER_URL=http://127.0.0.1:4096", "CUSTOM=x", "CUSTOM=y", "CLAUDE_TEAMS_AGENT_NAME=w1",
		"CLAUDE_TEAMS_TEAM=alpha", "CLAUDE_TEAMS_STALL_AFTER=5m", "CLAUDE_TEAMS_NOTIFY_BURST=3", "CLAUDE_TEAMS_LEAD_SHARE=45%"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataRoot != "/data" || !cfg.DataRootFromEnv || !cfg.TmuxWindows || cfg.TmuxSocket != "mine" ||
		cfg.Restart != "on-failure" || cfg.LogLevel != zapcore.DebugLevel || cfg.LogFile != "/tmp/x.log" ||
		cfg.TmuxPane != "%3" || cfg.Tmux == "" || !cfg.Backends.SkipPermissions ||
		cfg.Backends.OpenCodeServerURL != "http://127.0.0.1:4096" || cfg.Backends.Self != cfg.Self {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.AgentName != "w1" || cfg.AgentTeam != "alpha" || cfg.StallAfter != 5*time.Minute || cfg.NotifyBurst != 3 ||
		cfg.IdleAfter != 0 || cfg.LeadShare != 45 {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.Getenv("CUSTOM") != "y" {
		t.Errorf("Getenv(CUSTOM) = %q, want the last definition", cfg.Getenv("CUSTOM"))
	}
	for _, bad := range []string{"USE_TMUX_WINDOWS=maybe", "CLAUDE_TEAMS_RESTART=sometimes", "CLAUDE_TEAMS_LOG_LEVEL=loud",
		"CLAUDE_TEAMS_TMUX_SOCKET=/tmp/sock", "CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS=perhaps",
		"CLAUDE_TEAMS_STALL_AFTER=soon", "CLAUDE_TEAMS_IDLE_AFTER=-1s", "CLAUDE_TEAMS_NOTIFY_BURST=0",
		"CLAUDE_TEAMS_BACKENDS=emacs", "OPENCODE_SERVER_URL=ftp://x", "CLAUDE_TEAMS_LEAD_SHARE=95", "CLAUDE_TEAMS_LEAD_SHARE=half",
		"CLAUDE_TEAMS_AGENT_NAME=../w1\x00CLAUDE_TEAMS_TEAM=alpha", "CLAUDE_TEAMS_TEAM=Alpha Team\x00CLAUDE_TEAMS_AGENT_NAME=w1",
		"CLAUDE_TEAMS_AGENT_NAME=w1", "CLAUDE_TEAMS_TEAM=alpha"} {
		name := strings.SplitN(bad, "=", 2)[0]
		// "A\x00B" sets two variables; the error must name the first.
		if _, err := loadConfig(append(base, strings.Split(bad, "\x00")...)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want one naming %s", bad, err, name)
		}
	}
}

// TestServeConfigDirFlag: -config-dir is the data root for teammates too.
// A native claude teammate finds its team only under its own
// CLAUDE_CONFIG_DIR, so the flag is passed on as that variable.
func TestServeConfigDirFlag(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	cfg, err := serveConfig([]string{"-config-dir", dir}, io.Discard, []string{"HOME=" + home})
	if err != nil {
		t.Fatal(err)
	}
	want := "CLAUDE_CONFIG_DIR=" + dir
	if cfg.DataRoot != dir || !cfg.DataRootFromEnv || cfg.Getenv("CLAUDE_CONFIG_DIR") != dir ||
		!slices.Contains(cfg.Backends.Environ, want) {
		t.Errorf("config = root %q fromEnv %v, backends environ has %s: %v", cfg.DataRoot, cfg.DataRootFromEnv,
			want, slices.Contains(cfg.Backends.Environ, want))
	}
	// Without the flag nothing is added: CLAUDE_CONFIG_DIR moves all of
	// Claude Code's state, so it is passed on only when the user chose it.
	cfg, err = serveConfig(nil, io.Discard, []string{"HOME=" + home})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataRoot != filepath.Join(home, ".claude") || cfg.DataRootFromEnv || cfg.Getenv("CLAUDE_CONFIG_DIR") != "" {
		t.Errorf("default config = root %q fromEnv %v", cfg.DataRoot, cfg.DataRootFromEnv)
	}
}
