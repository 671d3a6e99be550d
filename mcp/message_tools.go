package mcp

import (
	"context"
	"errors"
	"fmt"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// Message types of send_message.
const (
	typeMessage              = "message"
	typeBroadcast            = "broadcast"
	typeShutdownRequest      = "shutdown_request"
	typeShutdownResponse     = "shutdown_response"
	typePlanApprovalResponse = "plan_approval_response"
)

type sendMessageArgs struct {
	TeamName  string `json:"team_name"`
	Type      string `json:"type"`
	Recipient string `json:"recipient"`
	Content   string `json:"content"`
	Summary   string `json:"summary"`
	RequestID string `json:"request_id"`
	Approve   *bool  `json:"approve"`
	Sender    string `json:"sender"`
}

// sendMessageResult is the Python server's SendMessageResult: optional
// fields are left out when empty.
type sendMessageResult struct {
	Success   bool     `json:"success"`
	Message   string   `json:"message"`
	Routing   *routing `json:"routing,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	Target    string   `json:"target,omitempty"`

	// notes are inboxes found corrupt (and set aside) on the way; each
	// becomes an extra text block of the result.
	notes []string
}

type routing struct {
	Sender      string `json:"sender"`
	Target      string `json:"target"`
	TargetColor string `json:"targetColor,omitempty"`
	CopiedTo    string `json:"copiedTo,omitempty"`
}

// reminder is appended to message and broadcast text, in the Python
// server's exact words, so that an agent knows who wrote and how to answer.
func reminder(sender string) string {
	return "\n\n<system_reminder>This message was sent from " + sender +
		". Use your send_message tool to respond.</system_reminder>"
}

func (s *Server) sendMessageTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "send_message"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Send a message to a teammate or answer a protocol request.\n"+
			"type=message: a direct message (recipient, content and summary required). Teammates may "+
			"message only the lead unless the team enabled peer_messaging.\n"+
			"type=broadcast: the lead to every teammate (summary required).\n"+
			"type=shutdown_request: the lead asks a teammate to shut down (recipient; content is the reason).\n"+
			"type=shutdown_response: a teammate (sender) answers a shutdown request (request_id, approve).\n"+
			"type=plan_approval_response: the lead answers a teammate's plan (recipient, request_id, approve; content is feedback)."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("type", mcpgo.Required(),
			mcpgo.Enum(typeMessage, typeBroadcast, typeShutdownRequest, typeShutdownResponse, typePlanApprovalResponse),
			mcpgo.Description("Kind of message.")),
		mcpgo.WithString("recipient", mcpgo.DefaultString(""), mcpgo.Description("Member name to send to.")),
		mcpgo.WithString("content", mcpgo.DefaultString(""), mcpgo.Description("Message text (reason or feedback for protocol responses).")),
		mcpgo.WithString("summary", mcpgo.DefaultString(""), mcpgo.Description("Short preview shown to the recipient.")),
		mcpgo.WithString("request_id", mcpgo.DefaultString(""), mcpgo.Description("Id of the request being answered.")),
		mcpgo.WithBoolean("approve", mcpgo.Description("Approve (true) or reject (false) the request.")),
		mcpgo.WithString("sender", mcpgo.DefaultString(s.defaultSender()), mcpgo.Description("Who sends: your own member name.")),
		mcpgo.WithRawOutputSchema(object("", map[string]schema{
			"success":    boolean("True when the message was written."),
			"message":    str("What happened."),
			"request_id": str("Id of the shutdown request sent."),
			"target":     str("Recipient of the shutdown request."),
			"routing": object("Where a direct message went.", map[string]schema{
				"sender":      str("Sender."),
				"target":      str("Recipient."),
				"targetColor": str("Recipient's colour."),
				"copiedTo":    str("Also delivered to (the lead, for peer messages)."),
			}, "sender", "target"),
		}, "success", "message").raw()),
		localWriteTool("Send message"),
	)
	return tool, typed(s, name, func(ctx context.Context, args sendMessageArgs) *mcpgo.CallToolResult {
		if err := s.checkSender(&args); err != nil {
			return s.refuse(name, err)
		}
		res, err := s.sendMessage(args)
		if err != nil {
			return s.refuse(name, err)
		}
		s.log.Info("message sent", zap.String("team", args.TeamName), zap.String("type", args.Type),
			zap.String("from", args.Sender), zap.String("to", args.Recipient))
		out := okResult(res)
		for _, n := range res.notes {
			out.Content = append(out.Content, mcpgo.NewTextContent(n))
		}
		return out
	})
}

// defaultSender is team-lead, or the teammate this server serves.
func (s *Server) defaultSender() string {
	if s.cfg.Agent != "" {
		return s.cfg.Agent
	}
	return protocol.LeadName
}

// checkSender fills in the default sender; a teammate's own server sends
// only as that teammate within its team.
func (s *Server) checkSender(a *sendMessageArgs) error {
	own := s.cfg.Agent != "" && a.TeamName == s.cfg.AgentTeam
	switch {
	case a.Sender == "" && own:
		a.Sender = s.cfg.Agent
	case a.Sender == "":
		a.Sender = protocol.LeadName
	case own && a.Sender != s.cfg.Agent:
		return fmt.Errorf("this server belongs to teammate %q of team %q: it cannot send as %q", s.cfg.Agent, s.cfg.AgentTeam, a.Sender)
	}
	return nil
}

// deliver appends m to to's inbox; an inbox found corrupt (its bytes kept
// aside, a fresh one started) is logged and noted on res.
func (s *Server) deliver(team, to string, m protocol.Message, res *sendMessageResult) error {
	d, err := s.cfg.Store.Deliver(team, to, m)
	if err != nil {
		return err
	}
	if d.Corrupt != "" {
		res.notes = append(res.notes, s.corruptNote(team, to, d.Corrupt))
	}
	return nil
}

// sendMessage checks the Python server's rules for args.Type, then writes.
func (s *Server) sendMessage(a sendMessageArgs) (sendMessageResult, error) {
	if err := protocol.ValidateTeamName(a.TeamName); err != nil {
		return sendMessageResult{}, err
	}
	switch a.Type {
	case typeMessage, typeBroadcast, typeShutdownRequest, typeShutdownResponse, typePlanApprovalResponse:
	default:
		return sendMessageResult{}, fmt.Errorf("unknown message type %q: use message, broadcast, "+
			"shutdown_request, shutdown_response or plan_approval_response", a.Type)
	}
	if err := protocol.ValidateMemberName(a.Sender); err != nil {
		return sendMessageResult{}, fmt.Errorf("sender: %w", err)
	}
	if a.Recipient != "" {
		if err := protocol.ValidateMemberName(a.Recipient); err != nil {
			return sendMessageResult{}, fmt.Errorf("recipient: %w", err)
		}
	}
	cfg, err := s.readTeam(a.TeamName)
	if err != nil {
		return sendMessageResult{}, err
	}
	from, ok := cfg.FindMember(a.Sender)
	if !ok {
		return sendMessageResult{}, fmt.Errorf("sender %q is not a member of team %q", a.Sender, a.TeamName)
	}
	switch a.Type {
	case typeMessage:
		return s.sendDirect(cfg, from, a)
	case typeBroadcast:
		return s.sendBroadcast(cfg, from, a)
	case typeShutdownRequest:
		return s.sendShutdownRequest(cfg, a)
	case typeShutdownResponse:
		return s.sendShutdownResponse(from, a)
	default:
		return s.sendPlanApproval(cfg, a)
	}
}

func (s *Server) sendDirect(cfg protocol.TeamConfig, from protocol.Member, a sendMessageArgs) (sendMessageResult, error) {
	switch {
	case a.Content == "":
		return sendMessageResult{}, errors.New("message content must not be empty")
	case a.Summary == "":
		return sendMessageResult{}, errors.New("message summary must not be empty")
	case a.Recipient == "":
		return sendMessageResult{}, errors.New("message recipient must not be empty")
	}
	to, ok := cfg.FindMember(a.Recipient)
	if !ok {
		return sendMessageResult{}, fmt.Errorf("recipient %q is not a member of team %q", a.Recipient, a.TeamName)
	}
	if a.Sender == a.Recipient {
		return sendMessageResult{}, fmt.Errorf("cannot send a message to yourself (%q)", a.Sender)
	}
	peer := a.Sender != protocol.LeadName && a.Recipient != protocol.LeadName
	if peer {
		st, err := s.cfg.Store.TeamSettings(a.TeamName)
		if err != nil {
			return sendMessageResult{}, err
		}
		if !st.PeerMessaging {
			return sendMessageResult{}, fmt.Errorf("teammates can only send direct messages to team-lead "+
				"(%q to %q refused: team %q was created without peer_messaging)", a.Sender, a.Recipient, a.TeamName)
		}
	}
	msg := protocol.Message{From: a.Sender, Text: a.Content + reminder(a.Sender), Summary: a.Summary, Color: from.Color}
	res := sendMessageResult{Success: true, Message: "Message sent to " + a.Recipient,
		Routing: &routing{Sender: a.Sender, Target: a.Recipient, TargetColor: to.Color}}
	if err := s.deliver(a.TeamName, a.Recipient, msg, &res); err != nil {
		return sendMessageResult{}, err
	}
	if peer {
		// The lead keeps oversight of every conversation in its team.
		if err := s.deliver(a.TeamName, protocol.LeadName, msg, &res); err != nil {
			return sendMessageResult{}, fmt.Errorf("copy to %s: %w", protocol.LeadName, err)
		}
		res.Routing.CopiedTo = protocol.LeadName
	}
	return res, nil
}

func (s *Server) sendBroadcast(cfg protocol.TeamConfig, from protocol.Member, a sendMessageArgs) (sendMessageResult, error) {
	if a.Sender != protocol.LeadName {
		return sendMessageResult{}, fmt.Errorf("only team-lead can send broadcasts (sender %q)", a.Sender)
	}
	if a.Summary == "" {
		return sendMessageResult{}, errors.New("broadcast summary must not be empty")
	}
	to, note := s.splitTeammates(a.TeamName, cfg)
	res := sendMessageResult{Success: true, Message: fmt.Sprintf("Broadcast sent to %d teammate(s)", len(to))}
	if note != "" {
		res.notes = append(res.notes, note)
	}
	msg := protocol.Message{From: a.Sender, Text: a.Content + reminder(a.Sender), Summary: a.Summary, Color: from.Color}
	var errs []error
	for _, name := range to { // every teammate it can reach, even if one fails
		errs = append(errs, s.deliver(a.TeamName, name, msg, &res))
	}
	if err := errors.Join(errs...); err != nil {
		return sendMessageResult{}, err
	}
	return res, nil
}

func (s *Server) sendShutdownRequest(cfg protocol.TeamConfig, a sendMessageArgs) (sendMessageResult, error) {
	switch {
	case a.Recipient == "":
		return sendMessageResult{}, errors.New("shutdown request recipient must not be empty")
	case a.Recipient == protocol.LeadName:
		return sendMessageResult{}, errors.New("cannot send a shutdown request to team-lead")
	case a.Sender != protocol.LeadName:
		return sendMessageResult{}, fmt.Errorf("only team-lead can request a shutdown (sender %q)", a.Sender)
	}
	if _, ok := cfg.FindMember(a.Recipient); !ok {
		return sendMessageResult{}, fmt.Errorf("recipient %q is not a member of team %q", a.Recipient, a.TeamName)
	}
	now := s.cfg.Now()
	frame := protocol.ShutdownRequest{
		RequestID: protocol.ShutdownRequestID(a.Recipient, now),
		From:      protocol.LeadName,
		Reason:    a.Content,
		Timestamp: protocol.FormatTimestamp(now),
	}
	res := sendMessageResult{Success: true, Message: "Shutdown request sent to " + a.Recipient,
		RequestID: frame.RequestID, Target: a.Recipient}
	if err := s.deliver(a.TeamName, a.Recipient, protocol.Message{From: protocol.LeadName, Text: protocol.Encode(frame)}, &res); err != nil {
		return sendMessageResult{}, err
	}
	return res, nil
}

func (s *Server) sendShutdownResponse(from protocol.Member, a sendMessageArgs) (sendMessageResult, error) {
	switch {
	case a.Sender == protocol.LeadName:
		return sendMessageResult{}, errors.New("shutdown_response comes from a teammate: set sender to your own name, not team-lead")
	case a.RequestID == "":
		return sendMessageResult{}, errors.New("request_id must not be empty for shutdown_response")
	case a.Approve == nil:
		return sendMessageResult{}, errors.New("approve (true or false) is required for shutdown_response")
	}
	ts := protocol.FormatTimestamp(s.cfg.Now())
	var text, what string
	if *a.Approve {
		text = protocol.Encode(protocol.ShutdownApproved{RequestID: a.RequestID, From: a.Sender, Timestamp: ts,
			PaneID: from.TmuxPaneID, BackendType: from.BackendType})
		what = "approved"
	} else {
		reason := a.Content
		if reason == "" {
			reason = "Shutdown rejected"
		}
		text = protocol.Encode(protocol.ShutdownRejected{RequestID: a.RequestID, From: a.Sender, Reason: reason, Timestamp: ts})
		what = "rejected"
	}
	res := sendMessageResult{Success: true, Message: fmt.Sprintf("Shutdown %s for request %s", what, a.RequestID)}
	if err := s.deliver(a.TeamName, protocol.LeadName, protocol.Message{From: a.Sender, Text: text, Color: from.Color}, &res); err != nil {
		return sendMessageResult{}, err
	}
	return res, nil
}

func (s *Server) sendPlanApproval(cfg protocol.TeamConfig, a sendMessageArgs) (sendMessageResult, error) {
	switch {
	case a.Sender != protocol.LeadName:
		return sendMessageResult{}, fmt.Errorf("only team-lead can answer a plan (sender %q): teammates honour "+
			"plan approvals only from team-lead", a.Sender)
	case a.Recipient == "":
		return sendMessageResult{}, errors.New("plan approval recipient must not be empty")
	case a.Recipient == protocol.LeadName:
		return sendMessageResult{}, errors.New("cannot send a plan approval to team-lead")
	case a.RequestID == "":
		return sendMessageResult{}, errors.New("request_id must not be empty for plan_approval_response")
	case a.Approve == nil:
		return sendMessageResult{}, errors.New("approve (true or false) is required for plan_approval_response")
	}
	if _, ok := cfg.FindMember(a.Recipient); !ok {
		return sendMessageResult{}, fmt.Errorf("recipient %q is not a member of team %q", a.Recipient, a.TeamName)
	}
	feedback := a.Content
	if feedback == "" && !*a.Approve {
		feedback = "Plan rejected" // the Python server's words
	}
	frame := protocol.PlanApprovalResponse{RequestID: a.RequestID, Approved: *a.Approve, Feedback: feedback,
		Timestamp: protocol.FormatTimestamp(s.cfg.Now())}
	what := "rejected"
	if *a.Approve {
		what = "approved"
	}
	res := sendMessageResult{Success: true, Message: fmt.Sprintf("Plan %s for %s", what, a.Recipient)}
	if err := s.deliver(a.TeamName, a.Recipient, protocol.Message{From: protocol.LeadName, Text: protocol.Encode(frame)}, &res); err != nil {
		return sendMessageResult{}, err
	}
	return res, nil
}
