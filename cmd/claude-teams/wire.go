package main

import (
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// managerConfig is the supervisor configuration cmd derives from Config:
// the one place where the environment's settings reach the supervisor.
func managerConfig(cfg Config, log *zap.Logger, store *protocol.Store) supervisor.Config {
	b := cfg.Backends
	b.LeadKeys = store // signs where b.SignLead and the claude CLI allow
	return supervisor.Config{
		Store:      store,
		Backends:   b,
		TmuxSocket: cfg.TmuxSocket,
		TMUX:       cfg.Tmux,
		TMUXPane:   cfg.TmuxPane,
		UseWindows: cfg.TmuxWindows,
		Restarts:   policy.RestartConfig{Policy: cfg.Restart},
		Health: policy.HealthConfig{
			StallAfter:   cfg.StallAfter,
			IdleAfter:    cfg.IdleAfter,
			StartTimeout: cfg.StartTimeout,
		},
		Notify: policy.NotifyConfig{
			Burst: cfg.NotifyBurst,
			Every: cfg.NotifyEvery,
		},
		RuntimeDir: cfg.Getenv("XDG_RUNTIME_DIR"),
		Logger:     log,
	}
}

// newManager builds the supervisor.Manager. serve (for its pane tools)
// and `supervisor run` both call it, so they supervise alike. It starts
// nothing yet; serve supervises each team from its first pane call, by this
// process if no other process holds the team's lock. Close stops
// supervising (teammates keep running; the next claude-teams process
// re-adopts them).
func newManager(cfg Config, log *zap.Logger, store *protocol.Store) (*supervisor.Manager, error) {
	return supervisor.NewManager(managerConfig(cfg, log, store))
}
