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
