package backends

import (
	"strings"
	"testing"
)

// TestScreensProviderRetryStable: the prompt line of OpenCode's retry
// status is the same at every countdown and attempt (lines as recorded), so
// the lead hears of an unreachable provider once.
func TestScreensProviderRetryStable(t *testing.T) {
	// Codex's and Claude Code's retry lines against a server answering
	// 500/503, as seen on the real CLIs (lines transcribed).
	others := []struct{ backend, screen, want string }{
		{"codex", "› say hello\n◦ Reconnecting... 5/5 (20s • esc to interrupt)\n  └ We’re currently experiencing high demand, which may cause temporary errors.\n› Ask Codex to do anything\n",
			"provider unreachable: We’re currently experiencing high demand, which may cause temporary errors."},
		{"codex", "› say hello\n◦ Reconnecting... 2/5 (3s • esc to interrupt)\n› Ask Codex to do anything\n", "provider unreachable: no answer"},
		{"claude", "❯ say hello\n✶ API error · Retrying in 10s · attempt 6/10\n───\n❯ \n", "provider unreachable: API error"},
		{"claude", "❯ say hello\n· Unable to connect to API (ConnectionRefused) · Retrying in 1s · attempt 1/10\n", "provider unreachable: Unable to connect to API (ConnectionRefused)"},
	}
	for _, o := range others {
		if got, ok := MatchNeedsInput(o.backend, o.screen); !ok || got != o.want {
			t.Errorf("%s: got %q (%v), want %q", o.backend, got, ok, o.want)
		}
	}

	const tail = "  esc interrupt                         • OpenCode 1.18.33"
	tests := []struct{ name, line, want string }{
		{"first attempt", "   ⬝⬝⬝⬝⬝⬝⬝⬝  upstream unavailable [retrying in 2s attempt #1]", "provider unreachable: upstream unavailable"},
		{"fifth attempt", "   ⬝⬝■■■■■■  upstream unavailable [retrying in 24s attempt #5]", "provider unreachable: upstream unavailable"},
		{"countdown over", "   ■■■■■■⬝⬝  upstream unavailable [retrying attempt #5]", "provider unreachable: upstream unavailable"},
		{"no error text", "   ■■■■■■⬝⬝  [retrying in 1s attempt #2]", "provider unreachable: no answer"},
		{"refused", "   ■■■■⬝⬝⬝⬝  Cannot connect to API: Unable to connect. [retrying in 3s attempt #3]", "provider unreachable: Cannot connect to API: Unable to connect."},
		{"no retry", "   ⬝⬝⬝⬝⬝⬝⬝⬝", ""},
		{"quoted by the model", "   the log said [retrying soon]", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MatchNeedsInput("opencode", "┃  say hello\n\n"+tc.line+tail+"\n\n")
			if tc.want == "" {
				if ok {
					t.Fatalf("match %q, want none", got)
				}
				return
			}
			if !ok || got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, ok, tc.want)
			}
			if !strings.HasPrefix(got, ProviderUnreachablePrefix) {
				t.Fatalf("%q lacks the prefix", got)
			}
		})
	}
}

// TestMatchWaiting: Gemini CLI's bare "Thinking..." spinner counts as a
// provider that does not answer once its elapsed time reaches the limit;
// the prompt line names the limit, so it does not change as time passes.
func TestMatchWaiting(t *testing.T) {
	want := ProviderUnreachablePrefix + `no answer after 2m of "Thinking..."`
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{" ⠴ Thinking... (esc to cancel, 1m 37s)", false},
		{" ⠴ Thinking... (esc to cancel, 45s)", false},
		{" ⠴ Thinking... (esc to cancel, 2m 0s)", true},
		{" ⠏ Thinking... (esc to cancel, 3m 12s)            ? for shortcuts", true},
		{" ⠏ Thinking... (esc to cancel, 1h 0m 3s)", true},
		{" ⠏ Thinking... (esc to cancel, 150s)", true},
		// Anything else it shows while it works is progress, however long.
		{" ⠏ Running npm install (esc to cancel, 9m 3s)", false},
		{" ⠏ Analyzing the parser (esc to cancel, 4m 0s)", false},
		{"Thinking about it (esc to cancel, 5m 0s)", false},
	} {
		got, ok := MatchNeedsInput(Gemini, "header\n\n"+tc.line+"\n────\n >   Type your message or @path/to/file\n")
		if ok != tc.ok || ok && got != want {
			t.Errorf("%q: %q %v, want %v", tc.line, got, ok, tc.ok)
		}
	}
	for _, b := range []string{Claude, Codex, OpenCode, "mycli"} {
		if got, ok := MatchNeedsInput(b, " ⠏ Thinking... (esc to cancel, 3m 12s)\n"); ok {
			t.Errorf("%s matched Gemini's spinner: %q", b, got)
		}
	}
}
