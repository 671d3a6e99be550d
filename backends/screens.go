package backends

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ScreenPatterns tell, from the rendered screen of a teammate's pane
// (`capture-pane -p -J`, no colours), whether the agent CLI waits for a
// person (NeedsInput: permission prompts, trust and login dialogs, "press
// enter") and whether it has finished starting (Ready: its input box is
// drawn).
//
// The patterns of the built-in backends were written against screens
// recorded from the real CLIs (backends/testdata/screens, see its README).
// The values returned by Screens share their slices: do not modify them.
type ScreenPatterns struct {
	// NeedsInput matches a prompt that waits for a key press. They are
	// tried in order against the last TailLines non-blank lines only:
	// prompts are drawn at the bottom, and older output that merely quotes
	// a question must not count.
	NeedsInput []*regexp.Regexp
	// Ready matches the screen of a CLI that has finished starting. They
	// are tried against the whole screen.
	Ready []*regexp.Regexp
	// TailLines is how many of the last non-blank lines NeedsInput looks
	// at; 0 means the whole screen.
	TailLines int
	// Unreachable matches a CLI retrying a model provider that does not
	// answer, in the same tail as NeedsInput and before it; the first
	// group is the provider's error (see ProviderUnreachablePrefix).
	Unreachable []*regexp.Regexp
	// Waiting matches a spinner that shows nothing but how long the CLI has
	// waited for its provider, in the groups hours, minutes, seconds (each
	// may be empty); WaitLimit is how long such a wait may last before the
	// screen counts as a provider that does not answer. Gemini CLI retries
	// behind "Thinking... (esc to cancel, 1m 37s)" and nothing else.
	Waiting   *regexp.Regexp
	WaitLimit time.Duration
}

// Backend names the built-in patterns are keyed by. Any other name gets the
// generic patterns of a command backend.
const (
	screenClaude   = "claude"
	screenCodex    = "codex"
	screenOpenCode = "opencode"
	screenGemini   = "gemini"
)

var (
	// claudeScreens: Claude Code 2.1.197 and 2.1.332.
	claudeScreens = ScreenPatterns{
		NeedsInput: screenMustCompile(
			// Tool permission: "Do you want to proceed?" / "Do you want
			// to create notes.md?" directly above the "❯ 1. Yes" choice.
			`(?m)^\s*Do you want to [^\n]*\?\s*\n\s*❯ 1\. Yes`,
			`Do you want to use this API key\?`,
			`Yes, I trust this folder`,
			// A native teammate routes its permission prompt to the lead
			// and waits for the answer.
			`Waiting for team lead approval`,
			`(?im)^\s*Press Enter to continue`,
			// The footer of every other selection dialog.
			`(?m)^\s*Enter to confirm · Esc to cancel\s*$`,
			// 2.1.332 in auto mode behind a gateway, proxy or mock: every
			// tool call is refused; only another permission mode helps.
			`Auto mode can't check actions in this session`,
			`auto mode's check had no usable answer`,
			`Auto mode is unavailable`,
		),
		// The input box: a horizontal rule (a teammate's ends in "@name ──")
		// directly above the "❯" prompt line.
		Ready:       screenMustCompile(`(?m)^─{3,}[^\n]*\n❯`),
		TailLines:   25,
		Unreachable: claudeUnreachable,
	}

	// codexScreens: Codex CLI 0.169.0 and 0.171.0 (testdata/screens/codex/0.171).
	codexScreens = ScreenPatterns{
		NeedsInput: screenMustCompile(
			`Would you like to run the following command\?`,
			`Would you like to make the following edits\?`,
			`(?m)^\s*Press enter to confirm or esc to cancel`,
			`Trust this folder\?`,
			`Do you trust the files in this folder\?`,
			`Sign in with ChatGPT`,
			// The MCP tool-approval dialog (claude-teams' own tools).
			`Allow the [^\n]* MCP server to run tool`,
			`(?m)enter to submit \| esc to cancel`,
			// The provider's env_key variable did not reach the teammate:
			// it sits at its input box with this error above it.
			`Missing environment variable`,
			`(?im)^\s*Press enter to continue`,
		),
		Ready:       screenMustCompile(`\? for shortcuts`, `Ask Codex to do anything`),
		TailLines:   25,
		Unreachable: codexUnreachable,
	}

	// openCodeScreens: opencode 1.18.33.
	openCodeScreens = ScreenPatterns{
		NeedsInput: screenMustCompile(
			`Permission required`,
			`Access external directory`,
			`Allow once\s+Allow always\s+Reject`,
		),
		Ready:       screenMustCompile(`ctrl\+p commands`),
		TailLines:   25,
		Unreachable: openCodeUnreachable,
	}

	// geminiScreens: Gemini CLI 0.61.0 for the auth dialogs (recorded); the
	// others are strings of its source.
	geminiScreens = ScreenPatterns{
		NeedsInput: screenMustCompile(
			`Allow execution of`,
			`Apply this change\?`,
			`Do you want to proceed\?`,
			`Do you trust this folder\?`,
			`Yes, allow (once|always)`,
			`Waiting for user confirmation`,
			// First-run auth: no security.auth.selectedType, or no key.
			`How would you like to authenticate`,
			`Paste your API key`,
		),
		Ready:     screenMustCompile(`Type your message or @path/to/file`),
		TailLines: 25,
		Waiting:   geminiWaiting,
		WaitLimit: GeminiWaitLimit,
	}

	// genericScreens: any other CLI. Only the last lines count, where a
	// waiting program leaves its cursor.
	genericScreens = ScreenPatterns{
		NeedsInput: screenMustCompile(
			`(?i)press (enter|return|any key)`,
			`(?i)\[(y/n|yes/no)\]`,
			`(?i)\((y/n|yes/no)[^)\n]*\)`,
			`(?i)\(y\)\s*\z`,
			`(?i)\bdo you want to\b[^\n]*\?`,
			`(?i)\bare you sure\b[^\n]*\?`,
			`(?i)\ballow\b[^\n]*\?\s*$`,
			`(?i)\ballow (once|always)\b`,
			`(?im)\b(password|passphrase)( for [^:\n]*)?:\s*$`,
			// Any question on the very last line: rm -i, ssh and most
			// hand-written prompts.
			`\?\s*\z`,
		),
		// Any output at all: a generic CLI has no input box to wait for.
		Ready:     screenMustCompile(`\S`),
		TailLines: 4,
	}
)

// Screens returns the screen patterns of a backend; an unknown name (a
// user-defined command backend) gets the generic ones.
func Screens(backend string) ScreenPatterns {
	switch backend {
	case screenClaude:
		return claudeScreens
	case screenCodex:
		return codexScreens
	case screenOpenCode:
		return openCodeScreens
	case screenGemini:
		return geminiScreens
	default:
		return genericScreens
	}
}

// GenericScreens returns the patterns used for command backends; a
// CommandSpec without patterns of its own can use them.
func GenericScreens() ScreenPatterns { return genericScreens }

// CompileScreenPatterns builds patterns from regular expressions given as
// text (user-defined command backends). tailLines 0 means the whole screen.
func CompileScreenPatterns(needsInput, ready []string, tailLines int) (ScreenPatterns, error) {
	p := ScreenPatterns{TailLines: tailLines}
	for _, s := range needsInput {
		re, err := regexp.Compile(s)
		if err != nil {
			return ScreenPatterns{}, fmt.Errorf("needs-input pattern %q: %w", s, err)
		}
		p.NeedsInput = append(p.NeedsInput, re)
	}
	for _, s := range ready {
		re, err := regexp.Compile(s)
		if err != nil {
			return ScreenPatterns{}, fmt.Errorf("ready pattern %q: %w", s, err)
		}
		p.Ready = append(p.Ready, re)
	}
	return p, nil
}

// MatchNeedsInput reports whether the screen of a teammate of this backend
// shows a prompt waiting for a person, and the line that says so (trimmed,
// frame characters removed), e.g. "Do you want to proceed?".
func MatchNeedsInput(backend, screen string) (matched string, ok bool) {
	return Screens(backend).MatchNeedsInput(screen)
}

// MatchReady reports whether the screen of a teammate of this backend
// shows that the CLI has finished starting.
func MatchReady(backend, screen string) bool {
	return Screens(backend).MatchReady(screen)
}

// MatchNeedsInput is MatchNeedsInput for these patterns.
func (p ScreenPatterns) MatchNeedsInput(screen string) (matched string, ok bool) {
	text := screenTail(screenNormalize(screen), p.TailLines)
	if text == "" {
		return "", false
	}
	if line, ok := matchUnreachable(p.Unreachable, text); ok {
		return line, true
	}
	if line, ok := p.matchWaiting(text); ok {
		return line, true
	}
	for _, re := range p.NeedsInput {
		if loc := re.FindStringIndex(text); loc != nil {
			return screenPromptLine(text, loc[0], loc[1]), true
		}
	}
	return "", false
}

// MatchReady is MatchReady for these patterns.
func (p ScreenPatterns) MatchReady(screen string) bool {
	text := screenNormalize(screen)
	for _, re := range p.Ready {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}

// screenNormalize drops trailing spaces on every line, carriage returns and
// trailing blank lines (capture-pane pads rows and includes empty ones).
func screenNormalize(screen string) string {
	lines := strings.Split(strings.ReplaceAll(screen, "\r", ""), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	end := len(lines)
	for end > 0 && lines[end-1] == "" {
		end--
	}
	return strings.Join(lines[:end], "\n")
}

// screenTail returns the text from the n-th last non-blank line on; n <= 0
// returns text unchanged.
func screenTail(text string, n int) string {
	if n <= 0 {
		return text
	}
	seen := 0
	for i := len(text); i > 0; {
		j := strings.LastIndexByte(text[:i], '\n')
		if strings.TrimSpace(text[j+1:i]) != "" {
			seen++
			if seen == n {
				return text[j+1:]
			}
		}
		if j < 0 {
			break
		}
		i = j
	}
	return text
}

// screenPromptLine returns the first non-blank line of the match at text[start:end],
// widened to the whole line, without frame characters and outer spaces.
func screenPromptLine(text string, start, end int) string {
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	le := end
	if k := strings.IndexByte(text[end:], '\n'); k >= 0 {
		le = end + k
	} else {
		le = len(text)
	}
	for _, l := range strings.Split(text[ls:le], "\n") {
		if s := strings.Trim(l, " \t│┃╭╮╰╯❯›>*△"); s != "" {
			return screenShorten(s, screenMaxPrompt)
		}
	}
	return screenShorten(strings.TrimSpace(text[start:end]), screenMaxPrompt)
}

// screenMaxPrompt bounds the prompt line returned by MatchNeedsInput: it ends
// up in a one-line summary for the lead.
const screenMaxPrompt = 100

// screenShorten cuts s to at most n runes, marking a cut with "…".
func screenShorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// screenMustCompile compiles the built-in patterns; they are constants, so a bad
// one fails every test at package initialisation.
func screenMustCompile(exprs ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(exprs))
	for i, e := range exprs {
		out[i] = regexp.MustCompile(e)
	}
	return out
}
