package backends

import (
	"regexp"
	"strings"
)

// A teammate whose model provider does not answer (closed port, refused
// connection, HTTP 5xx) waits for nobody but never gets anywhere, under a
// spinner that never stops. OpenCode 1.18.33 draws the error and a retry
// countdown in its status line ("upstream unavailable [retrying in 8s
// attempt #3]") and gives up after the fifth attempt; Claude Code 2.1.197
// and Codex 0.169.0 draw a retry line of their own. Gemini CLI 0.61.0
// shows only "Thinking..." while it retries, so it is not recognised. The
// screen is matched like a dialog, so that the lead hears of it, with the
// provider's error as the prompt (recorded: testdata/screens/*/provider-*).

// ProviderUnreachablePrefix starts the prompt line MatchNeedsInput returns
// for a provider that does not answer, e.g. "provider unreachable: upstream
// unavailable". The countdown and the attempt number are left
// out: the line stays the same from one retry to the next, so the lead is
// told once.
const ProviderUnreachablePrefix = "provider unreachable: "

// claudeUnreachable matches Claude Code 2.1.197's retry line above its
// input box ("✻ Unable to connect to API (ConnectionRefused) · Retrying in
// 25s · attempt 9/10"; it gives up after the tenth).
var claudeUnreachable = screenMustCompile(
	`(?m)^[^\p{L}\n]*(\p{L}[^\n]*?)\s*·\s*Retrying in \d+[smh]+\s*·\s*attempt \d+/\d+`,
)

// codexUnreachable matches Codex 0.169.0's reconnect status ("•
// Reconnecting... waiting for network (1m 52s • esc to interrupt)") and
// the error on the line below ("└ Connection failed: error sending
// request").
var codexUnreachable = screenMustCompile(
	`(?m)^[^\p{L}\n]*Reconnecting\.\.\.[^\n]*\n[ \t]*└[ \t]*([^\n]*)`,
	`(?m)^[^\p{L}\n]*Reconnecting\.\.\.()`,
)

// openCodeUnreachable matches OpenCode's retry status line; the group is
// the provider's error as OpenCode shows it (cut with "…" when long).
var openCodeUnreachable = screenMustCompile(
	`(?m)^[ \t⬝■]*([^\n]*?)\s*\[retrying (?:in \d+[smh]+ )?attempt #\d+\]`,
)

// matchUnreachable reports a provider retry on the normalised tail of a
// screen, and its prompt line.
func matchUnreachable(res []*regexp.Regexp, text string) (string, bool) {
	for _, re := range res {
		m := re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		what := "no answer"
		if len(m) > 1 {
			if s := strings.Trim(m[1], " \t│┃"); s != "" {
				what = s
			}
		}
		return screenShorten(ProviderUnreachablePrefix+what, screenMaxPrompt), true
	}
	return "", false
}
