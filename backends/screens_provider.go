package backends

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A teammate whose model provider does not answer (closed port, refused
// connection, HTTP 5xx) waits for nobody but never gets anywhere, under a
// spinner that never stops. OpenCode 1.18.33 draws the error and a retry
// countdown in its status line ("upstream unavailable [retrying in 8s
// attempt #3]") and gives up after the fifth attempt; Claude Code 2.1.197
// and Codex 0.169.0 draw a retry line of their own. Gemini CLI 0.61.0
// shows only "Thinking..." while it retries: it is recognised once that
// has lasted GeminiWaitLimit (ScreenPatterns.Waiting). The
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

// GeminiWaitLimit is how long Gemini CLI may show only "Thinking..." (its
// elapsed time counting) before its provider counts as not answering. A
// model that answers streams its thoughts or its reply well before; Gemini
// CLI 0.61.0 against a closed port retries behind "Thinking..." for
// minutes (recorded: testdata/screens/gemini/provider-unreachable-*).
const GeminiWaitLimit = 2 * time.Minute

// geminiWaiting matches Gemini CLI's bare "Thinking..." spinner line and
// its elapsed time ("⠴ Thinking... (esc to cancel, 1m 37s)").
var geminiWaiting = regexp.MustCompile(`(?m)^[^\p{L}\n]*Thinking\.\.\. \(esc to cancel, (?:(\d+)h )?(?:(\d+)m )?(\d+)s\)`)

// matchWaiting reports a spinner past the wait limit (ScreenPatterns.Waiting)
// on the normalised tail of a screen, and its prompt line. The line names
// the limit, not the elapsed time, so it stays the same while the wait
// goes on and the lead is told once.
func (p ScreenPatterns) matchWaiting(text string) (string, bool) {
	if p.Waiting == nil || p.WaitLimit <= 0 {
		return "", false
	}
	m := p.Waiting.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	var waited time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if i+1 < len(m) && m[i+1] != "" {
			n, err := strconv.Atoi(m[i+1])
			if err != nil {
				return "", false
			}
			waited += time.Duration(n) * unit
		}
	}
	if waited < p.WaitLimit {
		return "", false
	}
	return ProviderUnreachablePrefix + "no answer after " + strings.TrimSuffix(p.WaitLimit.String(), "0s") +
		` of "Thinking..."`, true
}

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
