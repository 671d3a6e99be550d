package mcp_test

import "testing"

// TestClientIdentity checks that the client is identified in both protocol
// eras: from the initialize handshake (legacy) and from the _meta of each
// request (2026-07-28, no handshake; mcp-go's client speaks it by default).
func TestClientIdentity(t *testing.T) {
	for _, tc := range []struct {
		name   string
		legacy bool
		client string
	}{
		{"initialize handshake", true, "codex-mcp-client"},
		{"stateless _meta", false, "claude-code"},
		{"stateless gemini", false, "gemini-cli-mcp-client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{legacy: tc.legacy, clientName: tc.client})
			if tc.legacy && h.srv.Client() != tc.client {
				t.Errorf("after initialize: client = %q, want %q", h.srv.Client(), tc.client)
			}
			h.fail("read_config", map[string]any{"team_name": "nope"})
			if h.srv.Client() != tc.client {
				t.Errorf("after a call: client = %q, want %q", h.srv.Client(), tc.client)
			}
		})
	}
}
