package backends

import (
	"regexp"
	"strings"
)

// A teammate whose model provider does not answer (closed port, refused
// connection, HTTP 5xx) waits for nobody but never gets anywhere: OpenCode
// 1.18.33 draws the error and a retry countdown in its status line
// ("upstream unavailable [retrying in 8s attempt #3]") under a spinner that
// never stops, and gives up after the fifth attempt. The screen is matched
// like a dialog, so that the lead hears of it, with the provider's error as
// the prompt (recorded: testdata/screens/opencode/provider-retry-*.txt).

// ProviderUnreachablePrefix starts the prompt line MatchNeedsInput returns
// for a provider that does not answer, e.g. "provider unreachable: upstream
// unavailable". The countdown and the attempt number are left
// out: the line stays the same from one retry to the next, so the lead is
// told once.
const ProviderUnreachablePrefix = "provider unreachable: "

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
