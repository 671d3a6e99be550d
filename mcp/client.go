package mcp

import (
	"context"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
)

// clientInfo is the connecting client's self-reported identity.
type clientInfo struct {
	Name, Version string
	Modern        bool // learned from a 2026-07-28 request's _meta
}

// afterInitialize records the client of a legacy-era session (the
// initialize handshake carries clientInfo once).
func (s *Server) afterInitialize(ctx context.Context, _ any, req *mcpgo.InitializeRequest, _ *mcpgo.InitializeResult) {
	s.recordClient(clientInfo{Name: req.Params.ClientInfo.Name, Version: req.Params.ClientInfo.Version})
}

// identify is a tool middleware that records the client of every call. In
// the 2026-07-28 era there is no handshake: each request carries clientInfo
// in its _meta, which mcp-go exposes as RequestProtocolInfo. Older clients
// said who they were once, in initialize, which mcp-go keeps on the session.
func (s *Server) identify(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		if ci, ok := clientFromContext(ctx); ok {
			s.recordClient(ci)
		}
		return next(ctx, req)
	}
}

// clientFromContext returns the client identity of the request being
// handled, from its _meta (modern era) or from the session (legacy era).
func clientFromContext(ctx context.Context) (clientInfo, bool) {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern && info.ClientInfo != nil {
		return clientInfo{Name: info.ClientInfo.Name, Version: info.ClientInfo.Version, Modern: true}, true
	}
	if sess, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		if ci := sess.GetClientInfo(); ci.Name != "" {
			return clientInfo{Name: ci.Name, Version: ci.Version}, true
		}
	}
	return clientInfo{}, false
}

func (s *Server) recordClient(ci clientInfo) {
	if ci.Name == "" {
		return
	}
	s.mu.Lock()
	changed := s.client.Name != ci.Name || s.client.Version != ci.Version
	s.client = ci
	s.mu.Unlock()
	if changed {
		s.log.Info("client identified",
			zap.String("client", ci.Name),
			zap.String("client_version", ci.Version),
			zap.Bool("stateless", ci.Modern),
			zap.String("backend", backends.ClientBackend(ci.Name)))
	}
}

// Client returns the name of the connecting MCP client as it reported
// itself ("claude-code", "codex-mcp-client", "opencode",
// "gemini-cli-mcp-client", …), "" until it has said.
func (s *Server) Client() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client.Name
}

// clientFor returns the client name for a call: the request's own identity
// when it has one, else the last one recorded.
func (s *Server) clientFor(ctx context.Context) string {
	if ci, ok := clientFromContext(ctx); ok {
		return ci.Name
	}
	return s.Client()
}
