package main

import (
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// TestManagerConfigCarriesSettings: the environment's supervision settings
// reach the supervisor, the same way for serve and `supervisor run`
// (both use newManager).
func TestManagerConfigCarriesSettings(t *testing.T) {
	root := t.TempDir()
	cfg, err := loadConfig(append(testEnv(root), "CLAUDE_TEAMS_RESTART=on-failure", "CLAUDE_TEAMS_STALL_AFTER=7m",
		"CLAUDE_TEAMS_IDLE_AFTER=45s", "CLAUDE_TEAMS_START_TIMEOUT=2m", "CLAUDE_TEAMS_NOTIFY_EVERY=10s",
		"CLAUDE_TEAMS_NOTIFY_BURST=3", "CLAUDE_TEAMS_TMUX_SOCKET=sock1", "XDG_RUNTIME_DIR=/run/x"))
	if err != nil {
		t.Fatal(err)
	}
	got := managerConfig(cfg, zap.NewNop(), protocol.NewStore(root))
	want := supervisor.Config{
		Restarts: policy.RestartConfig{Policy: protocol.RestartOnFailure}, TmuxSocket: "sock1", RuntimeDir: "/run/x",
		Health: policy.HealthConfig{StallAfter: 7 * time.Minute, IdleAfter: 45 * time.Second, StartTimeout: 2 * time.Minute},
		Notify: policy.NotifyConfig{Burst: 3, Every: 10 * time.Second},
	}
	if got.Restarts.Policy != want.Restarts.Policy || got.TmuxSocket != want.TmuxSocket || got.RuntimeDir != want.RuntimeDir ||
		got.Health != want.Health || got.Notify != want.Notify || got.Store == nil || got.Backends == nil {
		t.Errorf("managerConfig = %+v", got)
	}
	m, err := newManager(cfg, zap.NewNop(), protocol.NewStore(root))
	if err != nil {
		t.Fatal(err)
	}
	_ = m.Close()
}
