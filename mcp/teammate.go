package mcp

import (
	"context"
	"errors"
	"fmt"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/f9449b24/claude-teams/protocol"
)

// A teammate's own server (Config.Agent set: a codex, opencode, gemini or
// command teammate started it) acts as that teammate and only as it, as
// Claude Code lets a native teammate act:
//
//   - it does not offer the lead's tools (leadOnlyTools): team lifecycle,
//     spawning, looking into, stopping and restarting teammates;
//   - it works in its own team only;
//   - it reads and marks read only its own inbox, and sends only as itself
//     (checkSender);
//   - it changes only tasks it owns, or claims a task nobody owns
//     (teammateTaskCheck, applied under the task list lock).

// leadOnlyTools are the tools a teammate's own server does not offer.
var leadOnlyTools = map[string]bool{
	"team_create": true, "team_delete": true,
	"spawn_teammate": true, "check_teammate": true, "force_kill_teammate": true,
	"process_shutdown_approved": true, "restart_teammate": true,
}

// errNotAllowed is wrapped by the refusals of a teammate's own server.
var errNotAllowed = errors.New("not allowed for a teammate")

// asTeammate reports whether this server serves a teammate.
func (s *Server) asTeammate() bool { return s.cfg.Agent != "" }

// whoAmI names the teammate this server serves, for refusals.
func (s *Server) whoAmI() string {
	return fmt.Sprintf("this server belongs to teammate %q of team %q", s.cfg.Agent, s.cfg.AgentTeam)
}

// offered reports whether this server lists and serves tool.
func (s *Server) offered(tool string) bool { return !s.asTeammate() || !leadOnlyTools[tool] }

// teammateGuard is the tool middleware that refuses, on a teammate's own
// server, calls about another team or another agent's inbox (before the
// handler runs), and calls of a lead-only tool that reach it anyway.
func (s *Server) teammateGuard(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	if !s.asTeammate() {
		return next
	}
	return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		tool := req.Params.Name
		if !s.offered(tool) {
			return s.refusef(tool, "%s: %s is the lead's (team lifecycle, spawning, stopping and restarting "+
				"teammates); ask the lead with send_message", s.whoAmI(), tool), nil
		}
		args := req.GetArguments()
		if team, ok := args["team_name"].(string); ok && team != s.cfg.AgentTeam {
			return s.refusef(tool, "%s: it acts in that team only, not in team %q", s.whoAmI(), team), nil
		}
		if tool == "read_inbox" || tool == "poll_inbox" {
			if agent, _ := args["agent_name"].(string); agent != s.cfg.Agent {
				return s.refusef(tool, "%s: it reads only its own inbox (agent_name %q), not %q's",
					s.whoAmI(), s.cfg.Agent, agent), nil
			}
		}
		return next(ctx, req)
	}
}

// teammateTaskCheck returns, on a teammate's own server, the check that
// task_update runs under the task list lock against the task as it is: a
// teammate changes a task it owns (and may give it up or keep it, not hand
// it to another member), or claims a task nobody owns by setting itself as
// owner. On a lead's server it returns nil (no check).
func (s *Server) teammateTaskCheck(owner *string) func(protocol.Task) error {
	if !s.asTeammate() {
		return nil
	}
	me := s.cfg.Agent
	return func(cur protocol.Task) error {
		switch {
		case owner != nil && *owner != "" && *owner != me:
			return fmt.Errorf("%s: it cannot make %q the owner of task %s (only the lead assigns tasks to others): %w",
				s.whoAmI(), *owner, cur.ID, errNotAllowed)
		case cur.Owner == me:
			return nil
		case cur.Owner == "" && owner != nil && *owner == me:
			return nil // claiming a free task
		case cur.Owner == "":
			return fmt.Errorf("%s: task %s has no owner; claim it first (owner %q) to change it: %w",
				s.whoAmI(), cur.ID, me, errNotAllowed)
		default:
			return fmt.Errorf("%s: task %s is owned by %q; a teammate changes only its own tasks: %w",
				s.whoAmI(), cur.ID, cur.Owner, errNotAllowed)
		}
	}
}

// teammateInstructions is added to the server instructions of a
// teammate's own server.
func (s *Server) teammateInstructions() string {
	if !s.asTeammate() {
		return ""
	}
	return fmt.Sprintf(" This server serves teammate %q of team %q: it sends as that teammate, reads only "+
		"its inbox, and changes only its own tasks or claims free ones. Team lifecycle, spawning and "+
		"stopping teammates belong to the lead and are not offered here.", s.cfg.Agent, s.cfg.AgentTeam)
}
