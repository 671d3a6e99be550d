package main

import (
	"context"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/mcp"
	"github.com/f9449b24/claude-teams/protocol"
)

// newSupervisor builds the process supervisor the MCP server uses for its
// pane tools; a nil Supervisor means the pane tools are not offered. The
// returned func stops it.
//
// Placeholder: the supervisor owner replaces this file.
func newSupervisor(ctx context.Context, cfg Config, log *zap.Logger, store *protocol.Store) (mcp.Supervisor, func(), error) {
	return nil, func() {}, nil
}
