package mcp_test

import (
	"strings"
	"testing"
)

// TestResultTextNotHTMLEscaped: the text content is what a model reads, so
// it is JSON as JSON.stringify (and the Python server) writes it: code with
// <, > and && stays readable instead of turning into \u003c, \u003e, \u0026.
func TestResultTextNotHTMLEscaped(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.ok("send_message", map[string]any{"team_name": "alpha", "type": "message", "recipient": "w1",
		"content": "if a && b < c > d", "summary": "<code>"})
	for _, args := range []map[string]any{
		{"team_name": "alpha", "agent_name": "w1", "mark_as_read": false}, // a list result
	} {
		text := resultText(h.call("read_inbox", args))
		if strings.Contains(text, `\u00`) || !strings.Contains(text, "if a && b < c > d") ||
			!strings.Contains(text, "<system_reminder>") {
			t.Errorf("read_inbox text = %s", text)
		}
	}
	h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "a < b", "description": "x && y"})
	text := resultText(h.call("task_get", map[string]any{"team_name": "alpha", "task_id": "1"})) // an object result
	if strings.Contains(text, `\u00`) || !strings.Contains(text, `"a < b"`) || !strings.Contains(text, `"x && y"`) {
		t.Errorf("task_get text = %s", text)
	}
}
