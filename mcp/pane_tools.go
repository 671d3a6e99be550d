package mcp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// Restart policies accepted by spawn_teammate ("" = the configured default).
// restartPolicies are the restart parameter's words (protocol's).
var restartPolicies = func() []string {
	out := make([]string, len(protocol.RestartPolicies))
	for i, p := range protocol.RestartPolicies {
		out[i] = string(p)
	}
	return out
}()

type spawnArgs struct {
	TeamName         string                 `json:"team_name"`
	Name             string                 `json:"name"`
	Prompt           string                 `json:"prompt"`
	Cwd              string                 `json:"cwd"`
	Model            string                 `json:"model"`
	SubagentType     string                 `json:"subagent_type"`
	PlanModeRequired bool                   `json:"plan_mode_required"`
	BackendType      string                 `json:"backend_type"`
	Restart          protocol.RestartPolicy `json:"restart"`
	PermissionMode   string                 `json:"permission_mode"`
}

type spawnResult struct {
	AgentID     string `json:"agent_id"`
	Name        string `json:"name"`
	TeamName    string `json:"team_name"`
	Message     string `json:"message"`
	Color       string `json:"color"`
	BackendType string `json:"backend_type"`
	PaneID      string `json:"pane_id"`
	Window      string `json:"window,omitempty"`
}

func (s *Server) spawnTeammateTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "spawn_teammate"
	desc := "Spawn a new teammate in a tmux pane and supervise it: it receives its prompt through its " +
		"inbox and works on its own; a crash is noticed, reported to the lead and (per restart) restarted. " +
		"Names must be unique within the team."
	if d := s.cfg.Backends.Describe(); d != "" {
		desc += " " + d
	}
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription(desc),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("name", mcpgo.Required(), mcpgo.Description("Teammate name, ^[A-Za-z0-9_-]{1,64}$, not team-lead/user/system/main.")),
		mcpgo.WithString("prompt", mcpgo.Required(), mcpgo.Description("The teammate's assignment (delivered through its inbox).")),
		mcpgo.WithString("cwd", mcpgo.Description("Absolute working directory (default: the server's).")),
		mcpgo.WithString("model", mcpgo.DefaultString("sonnet"), mcpgo.Description("Model to run.")),
		mcpgo.WithString("subagent_type", mcpgo.DefaultString("general-purpose"), mcpgo.Description("Agent type.")),
		mcpgo.WithBoolean("plan_mode_required", mcpgo.DefaultBool(false), mcpgo.Description("Teammate must get its plan approved first.")),
		mcpgo.WithString("backend_type", mcpgo.Description("Agent CLI to run (default: the first available).")),
		mcpgo.WithString("restart", mcpgo.Enum(restartPolicies...), mcpgo.Description("Restart policy (default: the server's, normally never).")),
		mcpgo.WithString("permission_mode", mcpgo.Enum(backends.PermissionModes...), mcpgo.Description(
			"Claude teammates: Claude Code's --permission-mode (default: CLAUDE_TEAMS_PERMISSION_MODE, else default; "+
				"manual needs Claude Code 2.1.332 or newer; auto works only against Anthropic's own API).")),
		mcpgo.WithRawOutputSchema(object("", map[string]schema{
			"agent_id":     str("name@team."),
			"name":         str("Teammate name."),
			"team_name":    str("Team name."),
			"message":      str("What happened."),
			"color":        str("Colour assigned."),
			"backend_type": str("Agent CLI started."),
			"pane_id":      str("tmux pane id."),
			"window":       str("tmux window of the pane: name (id), e.g. \"alpha-2 (@7)\"."),
		}, "agent_id", "name", "team_name", "message").raw()),
		localWriteTool("Spawn teammate"),
	)
	return tool, typed(s, name, func(ctx context.Context, args spawnArgs) *mcpgo.CallToolResult {
		m, r := s.spawnMember(ctx, name, &args)
		if r != nil {
			return r
		}
		warnings, err := s.cfg.Backends.Preflight(m.BackendType, m.Cwd)
		if err != nil {
			return s.refuse(name, err)
		}
		got, err := s.cfg.Supervisor.Spawn(ctx, args.TeamName, m, args.Restart)
		if err != nil {
			return s.refuse(name, err)
		}
		s.log.Info("teammate spawned", zap.String("team", args.TeamName), zap.String("agent", got.Name),
			zap.String("backend", got.BackendType), zap.String("pane", got.TmuxPaneID))
		window := s.windowOf(ctx, args.TeamName, got.Name)
		msg := "The agent is now running and will receive instructions via mailbox."
		if window != "" {
			msg = fmt.Sprintf("%s started in window %s, pane %s; see it with `claude-teams supervisor attach`. %s",
				got.Name, window, got.TmuxPaneID, msg)
		}
		for _, w := range warnings {
			msg += " Warning: " + w + "."
			s.log.Warn("teammate may not work", zap.String("agent", got.Name), zap.String("why", w))
		}
		return okResult(spawnResult{
			AgentID: got.AgentID, Name: got.Name, TeamName: args.TeamName,
			Message: msg,
			Color:   got.Color, BackendType: got.BackendType, PaneID: got.TmuxPaneID, Window: window,
		})
	})
}

// windowOf is where the supervisor says agent's pane is ("" unknown).
func (s *Server) windowOf(ctx context.Context, team, agent string) string {
	st, err := s.cfg.Supervisor.Status(ctx, team)
	if err != nil {
		return ""
	}
	for _, ts := range st.Teammates {
		if ts.Name == agent {
			return ts.Window
		}
	}
	return ""
}

// spawnMember validates a spawn request into the member to add.
func (s *Server) spawnMember(ctx context.Context, tool string, a *spawnArgs) (protocol.Member, *mcpgo.CallToolResult) {
	cfg, r := s.loadTeam(tool, a.TeamName)
	if r != nil {
		return protocol.Member{}, r
	}
	if err := protocol.ValidateAgentName(a.Name); err != nil {
		return protocol.Member{}, s.refuse(tool, err)
	}
	if _, taken := cfg.FindMember(a.Name); taken {
		return protocol.Member{}, s.refusef(tool, "team %q already has a member named %q", a.TeamName, a.Name)
	}
	if strings.TrimSpace(a.Prompt) == "" {
		return protocol.Member{}, s.refusef(tool, "prompt must not be empty")
	}
	if a.Cwd == "" {
		a.Cwd = s.cfg.Cwd
	}
	if !filepath.IsAbs(a.Cwd) {
		return protocol.Member{}, s.refusef(tool, "cwd %q is not an absolute path", a.Cwd)
	}
	if st, err := os.Stat(a.Cwd); err != nil || !st.IsDir() {
		return protocol.Member{}, s.refusef(tool, "cwd %q is not an existing directory", a.Cwd)
	}
	if err := backends.ValidatePermissionMode(a.PermissionMode); err != nil {
		return protocol.Member{}, s.refusef(tool, "invalid permission_mode %q: use one of %s", a.PermissionMode, strings.Join(backends.PermissionModes, ", "))
	}
	if _, err := protocol.ParseRestartPolicy(string(a.Restart)); err != nil {
		return protocol.Member{}, s.refuse(tool, err)
	}
	avail := s.cfg.Backends.Available(s.clientFor(ctx))
	switch {
	case a.BackendType != "" && !slices.Contains(avail, a.BackendType):
		offered := strings.Join(avail, ", ")
		if offered == "" {
			offered = "none"
		}
		return protocol.Member{}, s.refusef(tool, "backend %q is not available (available: %s)", a.BackendType, offered)
	case len(avail) == 0:
		return protocol.Member{}, s.refusef(tool, "no teammate backend is available: install claude (or codex, "+
			"opencode, gemini) on PATH, or check CLAUDE_TEAMS_BACKENDS")
	case a.BackendType == "":
		a.BackendType = avail[0]
	}
	if a.Model == "" {
		a.Model = "sonnet"
	}
	if a.SubagentType == "" {
		a.SubagentType = "general-purpose"
	}
	plan := a.PlanModeRequired
	m := protocol.Member{
		Name:             a.Name,
		AgentType:        a.SubagentType,
		Model:            a.Model,
		Prompt:           a.Prompt,
		PlanModeRequired: &plan,
		Cwd:              a.Cwd,
		Subscriptions:    []string{},
		BackendType:      a.BackendType,
	}
	m.SetPermissionMode(a.PermissionMode)
	return m, nil
}

type agentArgs struct {
	TeamName  string `json:"team_name"`
	AgentName string `json:"agent_name"`
}

// loadTeammate validates names and finds a teammate (not the lead).
func (s *Server) loadTeammate(tool, team, agent string) (protocol.Member, *mcpgo.CallToolResult) {
	cfg, r := s.loadTeam(tool, team)
	if r != nil {
		return protocol.Member{}, r
	}
	if agent == protocol.LeadName {
		return protocol.Member{}, s.refusef(tool, "%q is the lead, not a teammate", agent)
	}
	if err := protocol.ValidateMemberName(agent); err != nil {
		return protocol.Member{}, s.refuse(tool, err)
	}
	m, ok := cfg.FindMember(agent)
	if !ok {
		return protocol.Member{}, s.refusef(tool, "teammate %q not found in team %q", agent, team)
	}
	return m, nil
}

type removeResult struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

var removeSchema = object("", map[string]schema{
	"success": boolean("True when the teammate was stopped and removed."),
	"message": str("What happened, including tasks returned to pending."),
}, "success", "message")

func (s *Server) forceKillTeammateTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "force_kill_teammate"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Forcibly stop a teammate: kill its pane and process, remove it from the team and "+
			"return its unfinished tasks to pending. Use when a graceful shutdown "+
			"(send_message type=shutdown_request) is not possible or not answered."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("agent_name", mcpgo.Required(), mcpgo.Description("Teammate to kill.")),
		mcpgo.WithRawOutputSchema(removeSchema.raw()),
		destructiveTool("Kill teammate"),
	)
	return tool, typed(s, name, func(ctx context.Context, args agentArgs) *mcpgo.CallToolResult {
		return s.removeTeammate(ctx, name, args, false)
	})
}

func (s *Server) processShutdownApprovedTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "process_shutdown_approved"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Finish a teammate's approved shutdown: stop its pane, remove it from the team "+
			"and return its unfinished tasks to pending. Call this after shutdown_approved arrives in the lead's inbox."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("agent_name", mcpgo.Required(), mcpgo.Description("Teammate that approved its shutdown.")),
		mcpgo.WithRawOutputSchema(removeSchema.raw()),
		destructiveTool("Remove shut-down teammate"),
	)
	return tool, typed(s, name, func(ctx context.Context, args agentArgs) *mcpgo.CallToolResult {
		return s.removeTeammate(ctx, name, args, true)
	})
}

// removeTeammate has the team's owner stop a teammate on purpose, remove
// it from the config and release its tasks, then tells the lead, in Claude
// Code's words.
func (s *Server) removeTeammate(ctx context.Context, tool string, args agentArgs, shutdown bool) *mcpgo.CallToolResult {
	if shutdown && args.AgentName == protocol.LeadName {
		return s.refusef(tool, "cannot process shutdown for team-lead")
	}
	m, r := s.loadTeammate(tool, args.TeamName, args.AgentName)
	if r != nil {
		return r
	}
	reason := protocol.StopKilled
	if shutdown {
		reason = protocol.StopShutdown
	}
	rm, err := s.cfg.Supervisor.Remove(ctx, args.TeamName, m.Name, reason)
	if err != nil {
		return s.refuse(tool, err)
	}
	released := rm.Released
	notice := protocol.RemovalNotice(m.Name, shutdown, released)
	d, err := s.cfg.Store.Deliver(args.TeamName, protocol.LeadName, protocol.Message{
		From: m.Name, Text: notice, Summary: firstSentence(notice), Color: m.Color,
	})
	if err != nil {
		s.log.Warn("removal notice not delivered", zap.String("team", args.TeamName), zap.String("agent", m.Name), zap.Error(err))
	}
	s.log.Info("teammate removed", zap.String("team", args.TeamName), zap.String("agent", m.Name),
		zap.String("reason", string(reason)), zap.Int("released_tasks", len(released)))
	msg := m.Name + " has been stopped."
	if shutdown {
		msg = m.Name + " removed from team."
	}
	if len(released) > 0 {
		msg += fmt.Sprintf(" %d task(s) returned to pending.", len(released))
	}
	out := okResult(removeResult{Success: true, Message: msg})
	s.noteCorrupt(out, args.TeamName, protocol.LeadName, d.Corrupt)
	return out
}

// firstSentence returns text up to and including its first ". ".
func firstSentence(text string) string {
	if i := strings.Index(text, ". "); i >= 0 {
		return text[:i+1]
	}
	return text
}
