package mcp_test

import (
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
)

const wantReminder = "\n\n<system_reminder>This message was sent from %s. Use your send_message tool to respond.</system_reminder>"

func reminderFor(sender string) string { return strings.Replace(wantReminder, "%s", sender, 1) }

func TestSendMessageDirect(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1", "w2")

	got := h.ok("send_message", map[string]any{"team_name": "alpha", "type": "message",
		"recipient": "w1", "content": "hello", "summary": "greeting"})
	if got["success"] != true || got["message"] != "Message sent to w1" {
		t.Fatalf("send_message = %v", got)
	}
	rt := got["routing"].(map[string]any)
	if rt["sender"] != "team-lead" || rt["target"] != "w1" || rt["targetColor"] != "blue" {
		t.Errorf("routing = %v", rt)
	}
	msgs := h.inbox("alpha", "w1")
	if len(msgs) != 1 {
		t.Fatalf("w1 inbox = %+v", msgs)
	}
	m := msgs[len(msgs)-1]
	if m.From != "team-lead" || m.Text != "hello"+reminderFor("team-lead") || m.Summary != "greeting" || m.Read {
		t.Errorf("entry = %+v", m)
	}

	// A teammate answers the lead; the entry carries the sender's colour.
	h.ok("send_message", map[string]any{"team_name": "alpha", "type": "message", "sender": "w1",
		"recipient": "team-lead", "content": "done", "summary": "status"})
	lead := h.inbox("alpha", "team-lead")
	if len(lead) != 1 || lead[0].From != "w1" || lead[0].Text != "done"+reminderFor("w1") || lead[0].Color != "blue" {
		t.Errorf("lead inbox = %+v", lead)
	}
}

func TestSendMessagePeer(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.ok("team_create", map[string]any{"team_name": "peers", "peer_messaging": true})
	h.addTeammate("peers", "w1")
	h.addTeammate("peers", "w2")
	got := h.ok("send_message", map[string]any{"team_name": "peers", "type": "message", "sender": "w1",
		"recipient": "w2", "content": "psst", "summary": "side channel"})
	if rt := got["routing"].(map[string]any); rt["copiedTo"] != "team-lead" {
		t.Errorf("routing = %v", rt)
	}
	for _, who := range []string{"w2", "team-lead"} {
		msgs := h.inbox("peers", who)
		if len(msgs) == 0 || msgs[len(msgs)-1].Text != "psst"+reminderFor("w1") {
			t.Errorf("%s inbox = %+v", who, msgs)
		}
	}
}

func TestSendMessageBroadcast(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1", "w2")
	got := h.ok("send_message", map[string]any{"team_name": "alpha", "type": "broadcast",
		"content": "all hands", "summary": "meeting"})
	if got["message"] != "Broadcast sent to 2 teammate(s)" {
		t.Fatalf("broadcast = %v", got)
	}
	for _, w := range []string{"w1", "w2"} {
		msgs := h.inbox("alpha", w)
		if len(msgs) != 1 || msgs[0].Text != "all hands"+reminderFor("team-lead") || msgs[0].Summary != "meeting" {
			t.Errorf("%s inbox = %+v", w, msgs)
		}
	}
	if lead := h.inbox("alpha", "team-lead"); len(lead) != 0 {
		t.Errorf("the lead got its own broadcast: %+v", lead)
	}
}

func TestSendMessageShutdown(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	got := h.ok("send_message", map[string]any{"team_name": "alpha", "type": "shutdown_request",
		"recipient": "w1", "content": "work is done"})
	reqID, _ := got["request_id"].(string)
	if !strings.HasPrefix(reqID, "shutdown-") || !strings.HasSuffix(reqID, "@w1") || got["target"] != "w1" {
		t.Fatalf("shutdown_request = %v", got)
	}
	msgs := h.inbox("alpha", "w1")
	typ, v, ok := protocol.Decode(msgs[len(msgs)-1].Text)
	req, _ := v.(protocol.ShutdownRequest)
	if !ok || typ != "shutdown_request" || req.RequestID != reqID || req.From != "team-lead" || req.Reason != "work is done" {
		t.Fatalf("frame = %q %#v", msgs[len(msgs)-1].Text, v)
	}

	// Approve: a shutdown_approved frame with the pane and backend.
	h.ok("send_message", map[string]any{"team_name": "alpha", "type": "shutdown_response", "sender": "w1",
		"request_id": reqID, "approve": true})
	lead := h.inbox("alpha", "team-lead")
	typ, v, ok = protocol.Decode(lead[len(lead)-1].Text)
	ap, _ := v.(protocol.ShutdownApproved)
	if !ok || typ != "shutdown_approved" || ap.RequestID != reqID || ap.From != "w1" || ap.PaneID != "%w1" ||
		ap.BackendType != "claude" || lead[len(lead)-1].From != "w1" {
		t.Fatalf("approved frame = %q", lead[len(lead)-1].Text)
	}

	// Reject: a shutdown_rejected frame with the reason.
	got = h.ok("send_message", map[string]any{"team_name": "alpha", "type": "shutdown_response", "sender": "w1",
		"request_id": reqID, "approve": false, "content": "still busy"})
	if got["message"] != "Shutdown rejected for request "+reqID {
		t.Errorf("reject = %v", got)
	}
	lead = h.inbox("alpha", "team-lead")
	typ, v, ok = protocol.Decode(lead[len(lead)-1].Text)
	rej, _ := v.(protocol.ShutdownRejected)
	if !ok || typ != "shutdown_rejected" || rej.Reason != "still busy" || rej.From != "w1" {
		t.Fatalf("rejected frame = %q", lead[len(lead)-1].Text)
	}
}

func TestSendMessagePlanApproval(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	for _, approve := range []bool{true, false} {
		got := h.ok("send_message", map[string]any{"team_name": "alpha", "type": "plan_approval_response",
			"recipient": "w1", "request_id": "plan-1", "approve": approve, "content": "looks fine"})
		want := "Plan rejected for w1"
		if approve {
			want = "Plan approved for w1"
		}
		if got["message"] != want {
			t.Errorf("result = %v", got)
		}
		msgs := h.inbox("alpha", "w1")
		last := msgs[len(msgs)-1]
		typ, v, ok := protocol.Decode(last.Text)
		resp, _ := v.(protocol.PlanApprovalResponse)
		if !ok || typ != "plan_approval_response" || last.From != "team-lead" || resp.RequestID != "plan-1" ||
			resp.Approved != approve || resp.Feedback != "looks fine" || resp.Timestamp == "" {
			t.Errorf("frame = %q (from %s)", last.Text, last.From)
		}
	}
	// A rejection without content still gives a reason, in the Python
	// server's words; an approval without content has no feedback.
	for _, approve := range []bool{false, true} {
		h.ok("send_message", map[string]any{"team_name": "alpha", "type": "plan_approval_response",
			"recipient": "w1", "request_id": "plan-2", "approve": approve})
		msgs := h.inbox("alpha", "w1")
		_, v, _ := protocol.Decode(msgs[len(msgs)-1].Text)
		want := "Plan rejected"
		if approve {
			want = ""
		}
		if resp, _ := v.(protocol.PlanApprovalResponse); resp.Feedback != want {
			t.Errorf("approve=%v without content: feedback %q, want %q", approve, resp.Feedback, want)
		}
	}
}

func TestSendMessageRefusals(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1", "w2")
	msg := func(kv ...any) map[string]any {
		m := map[string]any{"team_name": "alpha", "type": "message", "recipient": "w1", "content": "c", "summary": "s"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"no team", msg("team_name", "nope"), []string{`"nope"`, "not found"}},
		{"bad team", msg("team_name", "../x"), []string{`"../x"`}},
		{"unknown type", msg("type", "shout"), []string{`"shout"`}},
		{"empty content", msg("content", ""), []string{"content"}},
		{"empty summary", msg("summary", ""), []string{"summary"}},
		{"empty recipient", msg("recipient", ""), []string{"recipient"}},
		{"bad recipient", msg("recipient", "a/b"), []string{`"a/b"`}},
		{"unknown recipient", msg("recipient", "ghost"), []string{`"ghost"`, "not a member"}},
		{"unknown sender", msg("sender", "ghost"), []string{`"ghost"`, "not a member"}},
		{"to self", msg("sender", "w1"), []string{"yourself", `"w1"`}},
		{"lead to self", msg("recipient", "team-lead"), []string{"yourself"}},
		{"peer without opt-in", msg("sender", "w2"), []string{"only send direct messages to team-lead", `"w2"`, `"w1"`}},
		{"broadcast by teammate", msg("type", "broadcast", "sender", "w1"), []string{"only team-lead", `"w1"`}},
		{"broadcast without summary", msg("type", "broadcast", "summary", ""), []string{"summary"}},
		{"shutdown to lead", msg("type", "shutdown_request", "recipient", "team-lead"), []string{"team-lead"}},
		{"shutdown without recipient", msg("type", "shutdown_request", "recipient", ""), []string{"recipient"}},
		{"shutdown by teammate", msg("type", "shutdown_request", "sender", "w2"), []string{"only team-lead", `"w2"`}},
		{"shutdown to stranger", msg("type", "shutdown_request", "recipient", "ghost"), []string{`"ghost"`}},
		{"response by lead", msg("type", "shutdown_response", "request_id", "r", "approve", true), []string{"teammate"}},
		{"response without id", msg("type", "shutdown_response", "sender", "w1", "approve", true), []string{"request_id"}},
		{"response without approve", msg("type", "shutdown_response", "sender", "w1", "request_id", "r"), []string{"approve"}},
		{"plan by teammate", msg("type", "plan_approval_response", "sender", "w1", "recipient", "w2",
			"request_id", "r", "approve", true), []string{"only team-lead", `"w1"`}},
		{"plan without approve", msg("type", "plan_approval_response", "request_id", "r"), []string{"approve"}},
		{"plan without id", msg("type", "plan_approval_response", "approve", true), []string{"request_id"}},
		{"plan to lead", msg("type", "plan_approval_response", "recipient", "team-lead", "request_id", "r",
			"approve", true), []string{"team-lead"}},
		{"too large", msg("content", strings.Repeat("x", protocol.MaxMessageBytes+1)), []string{"large"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.fail("send_message", tc.args, tc.want...)
		})
	}
	// Nothing refused was written.
	for _, who := range []string{"team-lead", "w1", "w2"} {
		if msgs := h.inbox("alpha", who); len(msgs) != 0 {
			t.Errorf("%s got %d message(s) from refused calls: %+v", who, len(msgs), msgs[0])
		}
	}
}

// TestSendMessageTeammateServer checks the server a codex/opencode/gemini
// teammate runs (CLAUDE_TEAMS_AGENT_NAME/TEAM set): it sends as that
// teammate by default and never as anyone else in its team.
func TestSendMessageTeammateServer(t *testing.T) {
	lead := newHarness(t, harnessOpts{})
	lead.createTeam("alpha", "w1")
	h := newHarness(t, harnessOpts{root: lead.root, agent: "w1", agentTeam: "alpha"})
	got := h.ok("send_message", map[string]any{"team_name": "alpha", "type": "message", "recipient": "team-lead",
		"content": "done", "summary": "status"})
	if rt := got["routing"].(map[string]any); rt["sender"] != "w1" {
		t.Fatalf("routing = %v", rt)
	}
	if msgs := h.inbox("alpha", "team-lead"); len(msgs) != 1 || msgs[0].From != "w1" {
		t.Fatalf("lead inbox = %+v", msgs)
	}
	h.fail("send_message", map[string]any{"team_name": "alpha", "type": "broadcast", "sender": "team-lead",
		"content": "x", "summary": "x"}, `"w1"`, `"team-lead"`)
}

// TestSendMessageCorruptInbox checks a corrupt recipient inbox is kept
// aside, reported in the result, and the message still delivered.
func TestSendMessageCorruptInbox(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.corruptInbox("alpha", "w1")
	h.wantCorruptNote(h.call("send_message", map[string]any{"team_name": "alpha", "type": "message", "recipient": "w1",
		"content": "hello", "summary": "hi"}), "w1")
	if msgs := h.inbox("alpha", "w1"); len(msgs) != 1 {
		t.Fatalf("w1 inbox = %+v", msgs)
	}
}
