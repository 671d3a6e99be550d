package mcp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/protocol/dirwatch"
)

type readInboxArgs struct {
	TeamName   string `json:"team_name"`
	AgentName  string `json:"agent_name"`
	UnreadOnly *bool  `json:"unread_only"`
	MarkAsRead *bool  `json:"mark_as_read"`
}

func orDefault(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func (s *Server) readInboxTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "read_inbox"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Read messages from an agent's inbox. Returns unread messages by default "+
			"and marks them as read. To wait for new mail instead of polling, use poll_inbox."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("agent_name", mcpgo.Required(), mcpgo.Description("Whose inbox: your own member name.")),
		mcpgo.WithBoolean("unread_only", mcpgo.DefaultBool(true), mcpgo.Description("Only unread messages.")),
		mcpgo.WithBoolean("mark_as_read", mcpgo.DefaultBool(true), mcpgo.Description("Mark the returned messages read.")),
		mcpgo.WithRawOutputSchema(listOf("The messages, oldest first.", messageSchema).raw()),
		// Marking read writes the inbox, so this is not read-only.
		localWriteTool("Read inbox"),
	)
	return tool, typed(s, name, func(ctx context.Context, args readInboxArgs) *mcpgo.CallToolResult {
		if r := s.checkMember(name, args.TeamName, args.AgentName); r != nil {
			return r
		}
		res, err := s.cfg.Store.ReadInbox(args.TeamName, args.AgentName, protocol.ReadOptions{
			UnreadOnly: orDefault(args.UnreadOnly, true),
			MarkRead:   orDefault(args.MarkAsRead, true),
		})
		if err != nil {
			return s.refuse(name, err)
		}
		out := listResult(res.Messages)
		s.noteCorrupt(out, args.TeamName, args.AgentName, res.Corrupt)
		return out
	})
}

// noteCorrupt adds a second text block when the inbox held bad JSON that
// was moved aside, so the reader knows mail may be missing and where it is.
func (s *Server) noteCorrupt(res *mcpgo.CallToolResult, team, agent, path string) {
	if path != "" {
		res.Content = append(res.Content, mcpgo.NewTextContent(s.corruptNote(team, agent, path)))
	}
}

// corruptNote logs an inbox found corrupt and set aside by protocol, and
// says so in words for the tool result.
func (s *Server) corruptNote(team, agent, path string) string {
	s.log.Warn("corrupt inbox kept aside", zap.String("team", team), zap.String("agent", agent), zap.String("path", path))
	return fmt.Sprintf("warning: the inbox of %s was not valid JSON; its bytes were kept at %s and a fresh inbox was started", agent, path)
}

// checkMember validates team and agent names and that the agent is a member;
// a non-nil result is the refusal.
func (s *Server) checkMember(tool, team, agent string) *mcpgo.CallToolResult {
	cfg, r := s.loadTeam(tool, team)
	if r != nil {
		return r
	}
	if err := protocol.ValidateMemberName(agent); err != nil {
		return s.refuse(tool, err)
	}
	if _, ok := cfg.FindMember(agent); !ok {
		return s.refusef(tool, "agent %q is not a member of team %q", agent, team)
	}
	return nil
}

type pollInboxArgs struct {
	TeamName   string `json:"team_name"`
	AgentName  string `json:"agent_name"`
	TimeoutMS  *int64 `json:"timeout_ms"`
	MarkAsRead *bool  `json:"mark_as_read"`
}

type pollInboxResult struct {
	Messages []protocol.Message `json:"messages"`
	TimedOut bool               `json:"timed_out"`
	WaitedMS int64              `json:"waited_ms"`

	// notes are inboxes found corrupt (and set aside) while waiting; each
	// becomes an extra text block of the result.
	notes []string
}

func (s *Server) pollInboxTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "poll_inbox"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription(fmt.Sprintf("Wait until an agent's inbox has unread messages, then return them "+
			"(marked read by default). Returns at once when mail is already waiting, or with timed_out=true "+
			"and no messages after timeout_ms (default %d, at most %d).",
			DefaultPollTimeout.Milliseconds(), MaxPollTimeout.Milliseconds())),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("agent_name", mcpgo.Required(), mcpgo.Description("Whose inbox: your own member name.")),
		mcpgo.WithInteger("timeout_ms", mcpgo.DefaultNumber(DefaultPollTimeout.Milliseconds()),
			mcpgo.Min(0), mcpgo.Max(MaxPollTimeout.Milliseconds()), mcpgo.Description("How long to wait, in milliseconds.")),
		mcpgo.WithBoolean("mark_as_read", mcpgo.DefaultBool(true), mcpgo.Description("Mark the returned messages read.")),
		mcpgo.WithRawOutputSchema(object("", map[string]schema{
			"messages":  array("Unread messages, oldest first (empty on timeout).", messageSchema),
			"timed_out": boolean("True when no message came within the timeout."),
			"waited_ms": integer("How long the call waited."),
		}, "messages", "timed_out", "waited_ms").raw()),
		localWriteTool("Wait for messages"),
	)
	return tool, typed(s, name, func(ctx context.Context, args pollInboxArgs) *mcpgo.CallToolResult {
		if r := s.checkMember(name, args.TeamName, args.AgentName); r != nil {
			return r
		}
		timeout, err := pollTimeout(args.TimeoutMS)
		if err != nil {
			return s.refuse(name, err)
		}
		res, err := s.pollInbox(ctx, args.TeamName, args.AgentName, timeout, orDefault(args.MarkAsRead, true))
		if err != nil {
			return s.refuse(name, err)
		}
		out := okResult(res)
		for _, n := range res.notes {
			out.Content = append(out.Content, mcpgo.NewTextContent(n))
		}
		return out
	})
}

// pollTimeout turns timeout_ms into a duration: absent means
// DefaultPollTimeout; a negative value or one above MaxPollTimeout is
// refused with the limit (never silently clamped).
func pollTimeout(ms *int64) (time.Duration, error) {
	switch {
	case ms == nil:
		return DefaultPollTimeout, nil
	case *ms < 0:
		return 0, fmt.Errorf("timeout_ms must not be negative (got %d)", *ms)
	case *ms > MaxPollTimeout.Milliseconds():
		return 0, fmt.Errorf("timeout_ms is %d; the limit is %d (%s)", *ms, MaxPollTimeout.Milliseconds(), MaxPollTimeout)
	}
	return time.Duration(*ms) * time.Millisecond, nil
}

// pollInbox waits until agent has unread mail, timeout passes or ctx ends.
// It watches the inbox directory with inotify and re-checks on every event;
// a periodic re-check covers missed events and systems without inotify.
func (s *Server) pollInbox(ctx context.Context, team, agent string, timeout time.Duration, markRead bool) (pollInboxResult, error) {
	start := time.Now()
	inbox := s.cfg.Store.InboxPath(team, agent)
	var events <-chan struct{}
	recheck := s.cfg.PollInterval
	base := filepath.Base(inbox)
	if w, err := dirwatch.New([]string{filepath.Dir(inbox)}, func(name string) bool { return name == base }); err == nil {
		defer w.Close()
		events = w.C
		recheck = max(recheck, 2*time.Second)
	} else {
		s.log.Debug("inbox watch unavailable, polling", zap.String("team", team), zap.Error(err))
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	out := pollInboxResult{Messages: []protocol.Message{}}
	for {
		n, _, err := s.cfg.Store.Unread(team, agent)
		if errors.Is(err, protocol.ErrCorrupt) {
			n = 1 // ReadInbox sets it aside and starts a fresh one
		} else if err != nil {
			return pollInboxResult{}, err
		}
		if n > 0 {
			res, err := s.cfg.Store.ReadInbox(team, agent, protocol.ReadOptions{UnreadOnly: true, MarkRead: markRead})
			if err != nil {
				return pollInboxResult{}, err
			}
			if res.Corrupt != "" {
				out.notes = append(out.notes, s.corruptNote(team, agent, res.Corrupt))
			}
			if len(res.Messages) > 0 {
				out.Messages, out.WaitedMS = res.Messages, time.Since(start).Milliseconds()
				return out, nil
			}
		}
		select {
		case <-ctx.Done():
			out.TimedOut, out.WaitedMS = true, time.Since(start).Milliseconds()
			return out, nil
		case <-deadline.C:
			out.TimedOut, out.WaitedMS = true, time.Since(start).Milliseconds()
			return out, nil
		case _, ok := <-events:
			if !ok {
				events = nil // watch broke: rely on the ticker
				tick.Reset(s.cfg.PollInterval)
			}
		case <-tick.C:
		}
	}
}
