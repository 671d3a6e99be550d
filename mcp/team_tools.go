package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

type teamCreateArgs struct {
	TeamName      string `json:"team_name"`
	Description   string `json:"description"`
	PeerMessaging bool   `json:"peer_messaging"`
}

type teamCreateResult struct {
	TeamName      string `json:"team_name"`
	TeamFilePath  string `json:"team_file_path"`
	LeadAgentID   string `json:"lead_agent_id"`
	PeerMessaging bool   `json:"peer_messaging"`
}

func (s *Server) teamCreateTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "team_create"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Create a new agent team: its config, the lead's inbox and an empty task list. "+
			"One team per server session. Team names are lower-case letters, digits and hyphens "+
			"(1-64), the only names Claude Code stores consistently. Refused if the team exists."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name, ^[a-z0-9-]{1,64}$.")),
		mcpgo.WithString("description", mcpgo.DefaultString(""), mcpgo.Description("What the team is for.")),
		mcpgo.WithBoolean("peer_messaging", mcpgo.DefaultBool(false),
			mcpgo.Description("Let teammates message each other directly (the lead gets a copy of every such message). "+
				"Default false: teammates may message only the lead.")),
		mcpgo.WithRawOutputSchema(object("", map[string]schema{
			"team_name":      str("The team's name."),
			"team_file_path": str("Path of the team's config.json."),
			"lead_agent_id":  str("The lead's agent id, team-lead@<team>."),
			"peer_messaging": boolean("Whether teammates may message each other."),
		}, "team_name", "team_file_path", "lead_agent_id").raw()),
		localWriteTool("Create team"),
	)
	return tool, typed(s, name, func(ctx context.Context, args teamCreateArgs) *mcpgo.CallToolResult {
		if err := protocol.ValidateTeamName(args.TeamName); err != nil {
			return s.refuse(name, err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.activeTeam != "" {
			return s.refusef(name, "this session already has the active team %q: one team per session "+
				"(delete it with team_delete first)", s.activeTeam)
		}
		lead := protocol.Member{
			Name:          protocol.LeadName,
			AgentType:     protocol.LeadName,
			Model:         s.cfg.LeadModel,
			TmuxPaneID:    s.cfg.LeadPaneID,
			Cwd:           s.cfg.Cwd,
			Subscriptions: []string{},
		}
		cfg, err := s.cfg.Store.CreateTeam(args.TeamName, args.Description, lead)
		if err != nil {
			return s.refuse(name, err)
		}
		if args.PeerMessaging {
			if err := s.cfg.Store.SetTeamSettings(args.TeamName, protocol.Settings{PeerMessaging: true}); err != nil {
				if derr := s.cfg.Store.DeleteTeam(args.TeamName); derr != nil {
					s.log.Warn("team rollback failed", zap.String("team", args.TeamName), zap.Error(derr))
				}
				return s.refuse(name, fmt.Errorf("create team %s: %w", args.TeamName, err))
			}
		}
		s.activeTeam = args.TeamName
		s.log.Info("team created", zap.String("team", args.TeamName), zap.Bool("peer_messaging", args.PeerMessaging))
		return okResult(teamCreateResult{
			TeamName:      cfg.Name,
			TeamFilePath:  s.cfg.Store.ConfigPath(cfg.Name),
			LeadAgentID:   cfg.LeadAgentID,
			PeerMessaging: args.PeerMessaging,
		})
	})
}

type teamArgs struct {
	TeamName string `json:"team_name"`
}

type teamDeleteArgs struct {
	TeamName string `json:"team_name"`
	Force    bool   `json:"force"`
}

type teamDeleteResult struct {
	Success  bool   `json:"success"`
	Message  string `json:"message"`
	TeamName string `json:"team_name"`
}

func (s *Server) teamDeleteTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "team_delete"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Delete a team and all its data (config, inboxes, tasks). Refused while "+
			"teammates remain: shut them down or force-kill them first. Only the session that created "+
			"the team deletes it without force=true."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team to delete.")),
		mcpgo.WithBoolean("force", mcpgo.DefaultBool(false),
			mcpgo.Description("Delete a team this session did not create (its lead is another session, "+
				"perhaps one that has ended). Default false.")),
		mcpgo.WithRawOutputSchema(object("", map[string]schema{
			"success":   boolean("True when the team was deleted."),
			"message":   str("What happened."),
			"team_name": str("The team's name."),
		}, "success", "message", "team_name").raw()),
		destructiveTool("Delete team"),
	)
	return tool, typed(s, name, func(ctx context.Context, args teamDeleteArgs) *mcpgo.CallToolResult {
		cfg, r := s.loadTeam(name, args.TeamName)
		if r != nil {
			return r
		}
		if active := s.ActiveTeam(); active != args.TeamName && !args.Force {
			return s.refusef(name, "team %q was not created by this session, so this server is not its lead "+
				"(%s); pass force=true to delete it anyway", args.TeamName, activeNote(active))
		}
		// A member whose name is invalid cannot run (no pane was started
		// for it) nor be shut down through the tools: it does not keep
		// the team alive.
		mates, note := s.splitTeammates(args.TeamName, cfg)
		if len(mates) > 0 {
			return s.refusef(name, "team %q still has %d teammate(s): %s; shut them down "+
				"(send_message type=shutdown_request, then process_shutdown_approved) or "+
				"force_kill_teammate first", args.TeamName, len(mates), strings.Join(mates, ", "))
		}
		if s.cfg.Supervisor != nil {
			if err := s.cfg.Supervisor.Teardown(ctx, args.TeamName); err != nil {
				return s.refuse(name, fmt.Errorf("delete team %s: %w", args.TeamName, err))
			}
		}
		if err := s.cfg.Store.DeleteTeam(args.TeamName); err != nil {
			return s.refuse(name, err)
		}
		s.mu.Lock()
		if s.activeTeam == args.TeamName {
			s.activeTeam = ""
		}
		s.mu.Unlock()
		s.log.Info("team deleted", zap.String("team", args.TeamName))
		out := okResult(teamDeleteResult{
			Success:  true,
			Message:  fmt.Sprintf("Team %q deleted.", args.TeamName),
			TeamName: args.TeamName,
		})
		if note != "" {
			out.Content = append(out.Content, mcpgo.NewTextContent(note))
		}
		return out
	})
}

func (s *Server) readConfigTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "read_config"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Read the team configuration with all members (teammates' prompts left out)."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team to read.")),
		mcpgo.WithRawOutputSchema(object("The team's config.json without prompts (unknown keys are kept).", map[string]schema{
			"name":          str("Team name."),
			"description":   str("Team description."),
			"createdAt":     integer("Creation time, epoch milliseconds."),
			"leadAgentId":   str("The lead's agent id."),
			"leadSessionId": str("The lead's session id."),
			"members":       array("The lead and the teammates.", anyObject("A member.")),
		}, "name", "members").raw()),
		readOnlyTool("Read team config"),
	)
	return tool, typed(s, name, func(ctx context.Context, args teamArgs) *mcpgo.CallToolResult {
		cfg, r := s.loadTeam(name, args.TeamName)
		if r != nil {
			return r
		}
		for i := range cfg.Members {
			cfg.Members[i].Prompt = ""
		}
		return okResult(cfg)
	})
}

// loadTeam validates a team name and reads its config; a non-nil result is
// the refusal to return.
func (s *Server) loadTeam(tool, team string) (protocol.TeamConfig, *mcpgo.CallToolResult) {
	if err := protocol.ValidateTeamName(team); err != nil {
		return protocol.TeamConfig{}, s.refuse(tool, err)
	}
	cfg, err := s.readTeam(team)
	if err != nil {
		return protocol.TeamConfig{}, s.refuse(tool, err)
	}
	return cfg, nil
}

// readTeam reads a team's config, saying plainly when there is no such team.
func (s *Server) readTeam(team string) (protocol.TeamConfig, error) {
	cfg, err := s.cfg.Store.ReadConfig(team)
	if errors.Is(err, protocol.ErrTeamNotFound) {
		return cfg, fmt.Errorf("team %q not found", team)
	}
	return cfg, err
}

// activeNote says which team, if any, this session leads.
func activeNote(active string) string {
	if active == "" {
		return "this session has created no team"
	}
	return fmt.Sprintf("this session leads team %q", active)
}

// teammateNames lists the members other than the lead.
func teammateNames(cfg protocol.TeamConfig) []string {
	var out []string
	for _, m := range cfg.Members {
		if m.Name != protocol.LeadName {
			out = append(out, m.Name)
		}
	}
	return out
}
