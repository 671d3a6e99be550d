package backends

import (
	"strings"
	"testing"
)

// TestScreensProviderRetryStable: the prompt line of OpenCode's retry
// status is the same at every countdown and attempt (lines as recorded), so
// the lead hears of an unreachable provider once.
func TestScreensProviderRetryStable(t *testing.T) {
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
