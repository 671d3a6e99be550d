package main

import (
	"context"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/mcp"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor"
)

// newSupervisor builds the process supervisor the MCP server uses for its
// pane tools: a supervisor.Manager configured like `supervisor run`
// (managerConfig). It starts nothing yet; each team is supervised from its
// first pane call, by this process if no other process holds the team's
// lock. The returned func stops supervising (teammates keep running; the
// next claude-teams process re-adopts them).
func newSupervisor(ctx context.Context, cfg Config, log *zap.Logger, store *protocol.Store) (mcp.Supervisor, func(), error) {
	m, err := supervisor.NewManager(managerConfig(cfg, log, store))
	if err != nil {
		return nil, func() {}, err
	}
	return m, func() { _ = m.Close() }, nil
}
