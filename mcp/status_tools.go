package mcp

import (
	"context"
	"fmt"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// restartArgs are restart_teammate's arguments.
type restartArgs struct {
	TeamName  string `json:"team_name"`
	AgentName string `json:"agent_name"`
	Fresh     bool   `json:"fresh"`
}

// check_teammate limits, as in the Python server.
const (
	defaultOutputLines = 20
	maxOutputLines     = 120
	defaultMaxMessages = 5
	maxMaxMessages     = 20
)

type checkArgs struct {
	TeamName        string `json:"team_name"`
	AgentName       string `json:"agent_name"`
	IncludeOutput   bool   `json:"include_output"`
	OutputLines     *int   `json:"output_lines"`
	IncludeMessages *bool  `json:"include_messages"`
	MaxMessages     *int   `json:"max_messages"`
}

// checkResult has the Python server's fields first, then ours.
type checkResult struct {
	Name             string             `json:"name"`
	Alive            bool               `json:"alive"`
	PendingFrom      []protocol.Message `json:"pending_from"`
	TheirUnreadCount int                `json:"their_unread_count"`
	Error            *string            `json:"error"`
	Output           *string            `json:"output,omitempty"`

	State         string `json:"state"`
	Health        string `json:"health,omitempty"`
	ExitStatus    *int   `json:"exit_status"`
	Signal        string `json:"signal,omitempty"`
	Restarts      int    `json:"restarts"`
	PID           int    `json:"pid,omitempty"`
	Uptime        string `json:"uptime,omitempty"`
	LastOutputAge string `json:"last_output_age,omitempty"`
	Backend       string `json:"backend,omitempty"`
	PaneID        string `json:"pane_id,omitempty"`
	Window        string `json:"window,omitempty"`
	NextRestartAt string `json:"next_restart_at,omitempty"`
	HealthReason  string `json:"health_reason,omitempty"`
	RestartError  string `json:"restart_error,omitempty"`
	SessionID     string `json:"session_id,omitempty"`
	Resumed       bool   `json:"resumed"`
}

// inRange returns *v, or def when v is nil; a value outside [lo, hi] is
// refused with the field and the limits (never silently clamped).
func inRange(field string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, fmt.Errorf("%s is %d; it must be between %d and %d", field, *v, lo, hi)
	}
	return *v, nil
}

func (s *Server) checkTeammateTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "check_teammate"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Check one teammate: alive or dead and why (state, exit status, signal, restarts), "+
			"its newest unread messages to the lead (marked read, as read_inbox would), how many of its own "+
			"messages it has not read, and optionally its screen. Never blocks; call it in parallel for several teammates."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("agent_name", mcpgo.Required(), mcpgo.Description("Teammate to check.")),
		mcpgo.WithBoolean("include_output", mcpgo.DefaultBool(false), mcpgo.Description("Include the teammate's screen.")),
		mcpgo.WithInteger("output_lines", mcpgo.DefaultNumber(defaultOutputLines), mcpgo.Min(1), mcpgo.Max(maxOutputLines),
			mcpgo.Description("Screen lines to include.")),
		mcpgo.WithBoolean("include_messages", mcpgo.DefaultBool(true), mcpgo.Description("Include its unread messages to the lead.")),
		mcpgo.WithInteger("max_messages", mcpgo.DefaultNumber(defaultMaxMessages), mcpgo.Min(1), mcpgo.Max(maxMaxMessages),
			mcpgo.Description("At most this many messages.")),
		mcpgo.WithRawOutputSchema(object("", map[string]schema{
			"name":               str("Teammate name."),
			"alive":              boolean("Whether its process runs."),
			"pending_from":       array("Its newest unread messages to the lead, oldest first (now marked read).", messageSchema),
			"their_unread_count": integer("Messages it has not read yet."),
			"error":              nullable(str("Why it is not alive, or null.")),
			"output":             str("Its screen, ANSI stripped (with include_output)."),
			"state":              str("starting, running, idle, stalled, needs_input, exited, crashed, restarting, failed, stopped or unknown."),
			"health":             str("Health of a live teammate (its state while its process runs)."),
			"health_reason":      str("Why it is in that health: the prompt on its screen, the silence and work of a stall."),
			"exit_status":        nullable(integer("Exit status of its last run, null if none.")),
			"signal":             str("Signal that ended its last run."),
			"restarts":           integer("Restarts so far."),
			"pid":                integer("Process id."),
			"uptime":             str("Time since the current run started."),
			"last_output_age":    str("Time since its screen last changed."),
			"backend":            str("Agent CLI."),
			"pane_id":            str("tmux pane id."),
			"window":             str("tmux window of the pane: name (id)."),
			"next_restart_at":    str("When the next restart is due."),
			"restart_error":      str("Why the last restart could not start its pane (the exit facts stay those of the last run)."),
			"session_id":         str("Its conversation (agent CLI session id), kept across restarts."),
			"resumed":            boolean("Whether its last start resumed its earlier conversation."),
		}, "name", "alive", "pending_from", "their_unread_count", "error", "state", "exit_status", "restarts").raw()),
		localWriteTool("Check teammate"),
	)
	return tool, typed(s, name, func(ctx context.Context, args checkArgs) *mcpgo.CallToolResult {
		maxMessages, err := inRange("max_messages", args.MaxMessages, defaultMaxMessages, 1, maxMaxMessages)
		if err != nil {
			return s.refuse(name, err)
		}
		outputLines, err := inRange("output_lines", args.OutputLines, defaultOutputLines, 1, maxOutputLines)
		if err != nil {
			return s.refuse(name, err)
		}
		m, r := s.loadTeammate(name, args.TeamName, args.AgentName)
		if r != nil {
			return r
		}
		res := checkResult{Name: m.Name, PendingFrom: []protocol.Message{}}
		var corrupt string // the lead's inbox, if found corrupt and set aside
		if orDefault(args.IncludeMessages, true) {
			pending, err := s.pendingFrom(args.TeamName, m.Name, maxMessages)
			if err != nil {
				return s.refuse(name, err)
			}
			res.PendingFrom = append(res.PendingFrom, pending.Messages...)
			corrupt = pending.Corrupt
		}
		n, _, err := s.cfg.Store.Unread(args.TeamName, m.Name)
		if err != nil {
			s.log.Debug("unread count", zap.String("team", args.TeamName), zap.String("agent", m.Name), zap.Error(err))
		}
		res.TheirUnreadCount = n
		st, err := s.cfg.Supervisor.Status(ctx, args.TeamName)
		if err != nil {
			return s.refuse(name, err)
		}
		s.fillStatus(&res, st, m.Name)
		if args.IncludeOutput {
			out, err := s.cfg.Supervisor.Capture(ctx, args.TeamName, m.Name, outputLines)
			if err != nil {
				msg := fmt.Sprintf("capture output: %v", err)
				if res.Error == nil {
					res.Error = &msg
				}
			}
			res.Output = &out
		}
		out := okResult(res)
		s.noteCorrupt(out, args.TeamName, protocol.LeadName, corrupt)
		return out
	})
}

// pendingFrom returns the newest (up to limit) unread messages agent sent
// the lead and marks those read, as the Python server does; the lead's
// other mail stays unread.
func (s *Server) pendingFrom(team, agent string, limit int) (protocol.InboxResult, error) {
	return s.cfg.Store.ReadInbox(team, protocol.LeadName, protocol.ReadOptions{
		UnreadOnly: true, MarkRead: true, From: agent, Limit: limit,
	})
}

// fillStatus copies the supervisor's view of agent into res.
func (s *Server) fillStatus(res *checkResult, st protocol.TeamStatus, agent string) {
	var ts *protocol.TeammateStatus
	for i := range st.Teammates {
		if st.Teammates[i].Name == agent {
			ts = &st.Teammates[i]
			break
		}
	}
	if ts == nil {
		msg := "not known to the supervisor (no pane recorded)"
		res.Error, res.State = &msg, "unknown"
		return
	}
	now := s.cfg.Now()
	res.Alive, res.State, res.Health = ts.Alive, string(ts.State), ts.Health
	res.ExitStatus, res.Signal, res.Restarts, res.PID = ts.ExitStatus, ts.Signal, ts.Restarts, ts.PID
	res.Backend, res.PaneID, res.NextRestartAt = ts.Backend, ts.PaneID, ts.NextRestartAt
	res.HealthReason = ts.HealthReason
	res.Window, res.RestartError = ts.Window, ts.RestartError
	res.SessionID, res.Resumed = ts.SessionID, ts.Resumed
	if ts.Alive {
		res.Uptime = age(now, ts.StartedAt)
	}
	res.LastOutputAge = age(now, ts.LastOutputAt)
	if !ts.Alive {
		msg := deathReason(*ts)
		res.Error = &msg
	}
}

// deathReason says in words why a teammate is not alive, in the one
// phrasing of an exit (protocol.Exit).
func deathReason(ts protocol.TeammateStatus) string {
	why := "not running"
	if ts.Signal != "" || ts.ExitStatus != nil {
		why = protocol.Exit{Status: ts.ExitStatus, Signal: ts.Signal}.String()
	}
	if ts.State != "" {
		why = string(ts.State) + ": " + why
	}
	if ts.Restarts > 0 {
		why += fmt.Sprintf(" (restarted %d time(s))", ts.Restarts)
	}
	if ts.RestartError != "" {
		why += "; its restart failed: " + ts.RestartError
	}
	return why
}

// age formats the time since an RFC 3339 timestamp, "" when unknown.
func age(now time.Time, stamp string) string {
	if stamp == "" {
		return ""
	}
	t, err := protocol.ParseTimestamp(stamp)
	if err != nil {
		return ""
	}
	return max(now.Sub(t), 0).Round(time.Second).String()
}

func (s *Server) teamStatusTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "team_status"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Report every teammate of a team as the supervisor sees it: state, pane, pid, "+
			"exit status or signal, restarts, last output, unread messages, owned tasks, whether the lead's messages "+
			"to it are signed (lead_signed: it checks them and ignores unsigned ones claiming to be the lead), and its "+
			"conversation (session_id, resumed: whether its last start kept its earlier conversation)."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithRawOutputSchema(object("", map[string]schema{
			"name":           str("Team name."),
			"supervised":     boolean("Whether a supervisor process watches the team."),
			"supervisor_pid": integer("Its process id."),
			"teammates":      array("One entry per teammate.", anyObject("Teammate status.")),
		}, "name", "supervised", "teammates").raw()),
		readOnlyTool("Team status"),
	)
	return tool, typed(s, name, func(ctx context.Context, args teamArgs) *mcpgo.CallToolResult {
		if _, r := s.loadTeam(name, args.TeamName); r != nil {
			return r
		}
		st, err := s.cfg.Supervisor.Status(ctx, args.TeamName)
		if err != nil {
			return s.refuse(name, err)
		}
		if st.Teammates == nil {
			st.Teammates = []protocol.TeammateStatus{}
		}
		// lead_signed is the supervisor's: whether the running launch got
		// --lead-verify-key.
		return okResult(st)
	})
}

func (s *Server) restartTeammateTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "restart_teammate"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Restart a teammate now (also one that crashed, failed or was stopped), keeping its "+
			"name, colour and working directory. Where its agent CLI can, it resumes its conversation and gets a short "+
			"note; with fresh, or when resuming is not possible, it starts a new conversation and gets a note with its "+
			"original assignment in its inbox."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("agent_name", mcpgo.Required(), mcpgo.Description("Teammate to restart.")),
		mcpgo.WithBoolean("fresh", mcpgo.DefaultBool(false), mcpgo.Description("Drop its conversation and start a new one.")),
		mcpgo.WithRawOutputSchema(anyObject("The teammate's status after the restart.").raw()),
		destructiveTool("Restart teammate"),
	)
	return tool, typed(s, name, func(ctx context.Context, args restartArgs) *mcpgo.CallToolResult {
		m, r := s.loadTeammate(name, args.TeamName, args.AgentName)
		if r != nil {
			return r
		}
		st, err := s.cfg.Supervisor.Restart(ctx, args.TeamName, m.Name, args.Fresh)
		if err != nil {
			return s.refuse(name, err)
		}
		s.log.Info("teammate restarted", zap.String("team", args.TeamName), zap.String("agent", m.Name),
			zap.Bool("fresh", args.Fresh), zap.String("session_id", st.SessionID), zap.Bool("resumed", st.Resumed))
		return okResult(st)
	})
}
