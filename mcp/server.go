package mcp

import (
	"sync"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// Server limits.
const (
	// DefaultPollTimeout is poll_inbox's timeout when timeout_ms is absent.
	DefaultPollTimeout = 30 * time.Second
	// MaxPollTimeout caps poll_inbox's timeout_ms. It stays a minute below
	// 600 s, where Codex (tool_timeout_sec = 600) and Gemini CLI (its
	// default) cut a tool call, so a poll at the maximum answers timed_out
	// before any client limit the README documents.
	MaxPollTimeout = 9 * time.Minute
)

// Config is what a Server needs. Store is required; every other field has a
// working zero value.
type Config struct {
	// Store is the data root with its teams, inboxes and tasks.
	Store *protocol.Store
	// Supervisor runs teammates. Nil means the pane tools (spawn_teammate,
	// check_teammate, force_kill_teammate, process_shutdown_approved,
	// team_status, restart_teammate) are not registered.
	Supervisor Supervisor
	// Backends says which agent CLIs spawn_teammate may start.
	Backends backends.Config
	// Logger receives one event per notable action; nil means no logs.
	Logger *zap.Logger
	// Version is reported as the server version in the MCP handshake.
	Version string
	// Cwd is the working directory recorded for the lead when it creates a
	// team, and the default cwd of a spawned teammate.
	Cwd string
	// LeadPaneID is the lead's own tmux pane ($TMUX_PANE), "" outside tmux.
	LeadPaneID string
	// LeadModel is recorded as the lead member's model ("" when unknown).
	LeadModel string
	// Agent and AgentTeam name the teammate this server serves when a
	// codex, opencode, gemini or command teammate started it
	// (CLAUDE_TEAMS_AGENT_NAME, CLAUDE_TEAMS_TEAM); empty for a lead's
	// server. In that team send_message then sends as Agent by default and
	// refuses to send as anyone else.
	Agent, AgentTeam string
	// PollInterval is poll_inbox's re-check period when inotify is
	// unavailable (and its safety net when it is); default 250 ms.
	PollInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the claude-teams MCP server for one client session (a stdio
// server has exactly one).
type Server struct {
	cfg Config
	log *zap.Logger
	mcp *server.MCPServer

	mu         sync.Mutex // guards the fields below
	activeTeam string     // the one team this session created ("" = none)
	client     clientInfo // last client identity seen
}

// New builds a Server and registers its tools.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger.Named("mcp")}
	hooks := &server.Hooks{}
	hooks.AddAfterInitialize(s.afterInitialize)
	s.mcp = server.NewMCPServer("claude-teams", cfg.Version,
		server.WithToolCapabilities(false),
		server.WithRecovery(),
		server.WithHooks(hooks),
		server.WithToolHandlerMiddleware(s.identify),
		server.WithToolHandlerMiddleware(s.teammateGuard),
		server.WithInstructions(instructions+s.teammateInstructions()),
	)
	s.mcp.AddTools(s.tools()...)
	return s
}

const instructions = "claude-teams coordinates a team of coding agents: a lead and its teammates " +
	"share a team config, one inbox per member and a task list, in the files Claude Code's agent " +
	"teams use. Create a team with team_create, exchange messages with send_message and " +
	"read_inbox (or wait for mail with poll_inbox), and track work with the task_* tools."

// tools lists every tool this server serves, pane tools only with a
// Supervisor, and on a teammate's own server only a teammate's tools.
func (s *Server) tools() []server.ServerTool {
	ctors := []func() (mcpgo.Tool, server.ToolHandlerFunc){
		s.teamCreateTool, s.teamDeleteTool, s.readConfigTool,
		s.sendMessageTool, s.readInboxTool, s.pollInboxTool,
		s.taskCreateTool, s.taskUpdateTool, s.taskListTool, s.taskGetTool,
	}
	if s.cfg.Supervisor != nil {
		ctors = append(ctors,
			s.spawnTeammateTool, s.checkTeammateTool, s.forceKillTeammateTool,
			s.processShutdownApprovedTool, s.teamStatusTool, s.restartTeammateTool,
		)
	}
	out := make([]server.ServerTool, 0, len(ctors))
	for _, ctor := range ctors {
		tool, handler := ctor()
		if !s.offered(tool.Name) {
			continue
		}
		out = append(out, server.ServerTool{Tool: tool, Handler: handler})
	}
	return out
}

// MCPServer returns the underlying mcp-go server (for in-process use).
func (s *Server) MCPServer() *server.MCPServer { return s.mcp }

// ActiveTeam returns the team this session created, "" if none.
func (s *Server) ActiveTeam() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeTeam
}
