package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// retryScreens writes the recorded screen of backend's file with its
// countdown replaced by each of counts ("8s attempt #3", "7s attempt #3",
// ...): what a retrying CLI redraws once a second.
func retryScreens(t *testing.T, backend, file, from string, counts ...string) string {
	t.Helper()
	raw, err := os.ReadFile(screenFile(t, backend, file))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), from) {
		t.Fatalf("%s has no %q", file, from)
	}
	var out []string
	for i, c := range counts {
		p := filepath.Join(t.TempDir(), strings.TrimSuffix(file, ".txt")+"-"+string(rune('a'+i))+".txt")
		if err := os.WriteFile(p, []byte(strings.Replace(string(raw), from, c, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return strings.Join(out, ",")
}

// TestHealthProviderUnreachable: a teammate whose provider does not answer
// keeps redrawing its retry line (recorded from OpenCode 1.18.33 against a
// server answering 500, Claude Code 2.1.197 and Gemini CLI 0.61.0 against
// a closed port)
// under a spinner that never stops. It becomes needs_input with the
// provider's error as its reason, and the lead gets one message, naming
// the fix, however often the countdown changes.
func TestHealthProviderUnreachable(t *testing.T) {
	h := newHarness(t)
	m := h.manager(busyHealth)
	cases := []struct{ name, backend, screens, reason, advice string }{
		{"oc", "opencode", retryScreens(t, "opencode", "provider-retry-500.txt", "retrying in 8s attempt #3",
			"retrying in 8s attempt #3", "retrying in 7s attempt #3", "retrying attempt #3", "retrying in 16s attempt #4"),
			"provider unreachable: upstream unavailable", "baseURL"},
		{"cl", "claude", retryScreens(t, "claude", "provider-retry-refused.txt", "Retrying in 20s · attempt 9/10",
			"Retrying in 20s · attempt 9/10", "Retrying in 19s · attempt 9/10", "Retrying in 1s · attempt 9/10", "Retrying in 30s · attempt 10/10"),
			"provider unreachable: Unable to connect to API (ConnectionRefused)", "ANTHROPIC_BASE_URL"},
		// Gemini CLI 0.61.0 shows nothing but "Thinking..." and its
		// elapsed time (recorded at 2m 25s against a closed port).
		{"ge", "gemini", retryScreens(t, "gemini", "provider-unreachable-thinking-2m.txt", "2m 25s",
			"2m 25s", "2m 26s", "2m 27s", "3m 0s"),
			`provider unreachable: no answer after 2m of "Thinking..."`, "GOOGLE_GEMINI_BASE_URL"},
	}
	for _, c := range cases {
		h.spawnAs(m, c.name, c.backend, "redraw 40 "+c.screens, "wait")
	}
	for _, c := range cases {
		ts := h.waitState(m, c.name, protocol.StateNeedsInput)
		if ts.Health != string(policy.HealthNeedsInput) || ts.HealthReason != c.reason {
			t.Errorf("%s: status = %+v, want reason %q", c.name, ts, c.reason)
		}
		msg := h.leadMessageWith(c.name, "needs input")
		if !strings.Contains(msg.Summary, c.reason) {
			t.Errorf("%s: summary %q lacks %q", c.name, msg.Summary, c.reason)
		}
		for _, want := range []string{c.advice, "restart_teammate", "claude-teams supervisor attach --team " + h.team} {
			if !strings.Contains(msg.Text, want) {
				t.Errorf("%s: message lacks %q:\n%s", c.name, want, msg.Text)
			}
		}
	}
	// Many more busy reads of the redrawn countdowns: still one message
	// each, and no "recovered".
	reads := m.busyReads.count()
	eventually(t, func() bool { return m.busyReads.count() >= reads+40 }, "40 more busy screen reads")
	for _, c := range cases {
		if ts := h.status(m, c.name); ts.State != protocol.StateNeedsInput {
			t.Errorf("%s left needs_input: %+v", c.name, ts)
		}
		if n := h.needsInputMessages(c.name); n != 1 {
			t.Errorf("%s: %d needs-input messages, want 1", c.name, n)
		}
		for _, msg := range h.leadMessages(c.name) {
			if strings.Contains(msg.Summary, "recovered") {
				t.Errorf("%s: lead told %q", c.name, msg.Summary)
			}
		}
	}
}
