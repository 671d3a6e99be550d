package policy

import (
	"regexp"
	"strings"
	"time"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// prompt is the line that makes the input needs_input: the refusal of its
// idle_notification first, else the prompt on its screen.
func (in HealthInput) prompt() string {
	if in.Refusal != "" {
		return in.Refusal
	}
	return in.Prompt
}

// HealthReason says in words why a teammate with input in is in health h
// (check_teammate's and team_status' health_reason): the prompt or refusal
// of needs_input, the silence and the work of stalled, what made it idle,
// what starting waits for; "" for running. Times are absolute, so that the
// reason stays true between evaluations.
func HealthReason(cfg HealthConfig, in HealthInput, h Health) string {
	cfg = cfg.WithDefaults()
	switch h {
	case HealthNeedsInput:
		if in.Refusal != "" {
			return "its idle_notification says: " + in.Refusal
		}
		return screenReason(in.Prompt)
	case HealthStarting:
		return "its ready screen has not shown yet (counted as started after " + leadDuration(cfg.StartTimeout) + ")"
	case HealthStalled:
		why := "no output since " + reasonTime(in.activity())
		if in.InProgressTasks > 0 {
			why += " with " + leadPlural(in.InProgressTasks, "task") + " in progress"
		}
		if !in.OldestUnread.IsZero() {
			why += ", an unread message since " + reasonTime(in.OldestUnread)
		}
		return why
	case HealthIdle:
		if n := in.IdleNotification; !n.IsZero() && !n.Before(in.StartedAt) &&
			!in.LastOutput.After(n.Add(cfg.IdleGrace)) &&
			(in.OldestUnread.IsZero() || !in.OldestUnread.After(n)) {
			return "it sent an idle_notification at " + reasonTime(n)
		}
		return "no output since " + reasonTime(in.activity()) + " and no work"
	}
	return ""
}

// reasonTime prints a time of a reason.
func reasonTime(t time.Time) string { return protocol.FormatTimestamp(t.Round(time.Second)) }

// Reason returns why the health after the last Update is what it is
// (HealthReason).
func (t *HealthTracker) Reason() string { return t.reason }

// Restore makes the tracker continue from health h with prompt, since
// since, as a previous supervisor of the same process left it (its state
// file): an adopted teammate whose dialog the lead was already told about
// gives no second message while the dialog stays, and "recovered" once it
// goes. The CLI counts as ready.
func (t *HealthTracker) Restore(h Health, prompt string, since time.Time) {
	t.cur, t.prompt, t.since, t.ready = h, prompt, since, true
	if h == HealthNeedsInput {
		t.reason = screenReason(prompt)
		if unreachable(prompt) {
			t.unreachableAt = since
		}
	}
}

// screenReason is the reason of a needs_input read from the screen: a
// provider that does not answer says so itself ("provider unreachable:
// …"), any other prompt is quoted.
func screenReason(prompt string) string {
	if strings.HasPrefix(prompt, backends.ProviderUnreachablePrefix) {
		return prompt
	}
	return "its screen shows: " + leadOr(prompt, "a prompt")
}

// Dialogs and refusals: what the lead can do about a teammate that waits
// for a person. A message cannot answer a dialog; the advice names the
// setting that makes it go away, or says to answer it in the pane.

// autoModeRefusal matches Claude Code 2.1.332's refusal of every tool call
// in auto mode behind a gateway, proxy or mock (PROTOCOL.md §10), as its
// screen and the result of its idle_notification show it.
var autoModeRefusal = regexp.MustCompile(`Auto mode is unavailable|Auto mode can't check actions in this session|auto mode's check had no usable answer`)

// AutoModeRefusal reports whether text (an idle_notification's result)
// holds the auto-mode refusal, and its line (cut to a summary's length).
func AutoModeRefusal(text string) (line string, ok bool) {
	loc := autoModeRefusal.FindStringIndex(text)
	if loc == nil {
		return "", false
	}
	start := strings.LastIndexByte(text[:loc[0]], '\n') + 1
	end := len(text)
	if i := strings.IndexByte(text[loc[1]:], '\n'); i >= 0 {
		end = loc[1] + i
	}
	return leadCut(strings.TrimSpace(text[start:end]), leadMaxSummary), true
}

// dialogAdvice is one known dialog: a prompt line holding match (for
// backend, "" = any) is fixed as fix says.
type dialogAdvice struct {
	backend, match, fix string
}

var dialogAdvices = []dialogAdvice{
	// A provider that does not answer (backends.ProviderUnreachablePrefix):
	// the CLI retries on its own, then gives up; only its configuration helps.
	{"opencode", backends.ProviderUnreachablePrefix, "Its model provider does not answer and OpenCode keeps retrying " +
		"(it gives up after 5 attempts): check the provider's baseURL, the network and the API key in the provider block " +
		"of its opencode.json (or OPENCODE_CONFIG_CONTENT in claude-teams' environment, which the teammate inherits), " +
		"then restart it with restart_teammate."},
	{"claude", backends.ProviderUnreachablePrefix, "Its model API does not answer and Claude Code keeps retrying " +
		"(it gives up after 10 attempts): check ANTHROPIC_BASE_URL, the network (proxy, HTTPS_PROXY) and " +
		"ANTHROPIC_API_KEY in claude-teams' environment (the env of its entry in the lead's MCP settings), " +
		"which the teammate inherits, then restart it with restart_teammate."},
	{"codex", backends.ProviderUnreachablePrefix, "Its model provider does not answer and Codex keeps reconnecting " +
		"(it gives up after 5 attempts): check base_url of the [model_providers.<name>] block in $CODEX_HOME/config.toml, " +
		"the network and the key variable named by env_key (listed in env_vars of [mcp_servers.claude-teams] in the " +
		"lead's Codex config), then restart it with restart_teammate."},
	{"gemini", backends.ProviderUnreachablePrefix, "Its model provider has not answered for minutes and Gemini CLI " +
		`retries behind "Thinking..." (it gives up after a few minutes): check GOOGLE_GEMINI_BASE_URL, the network ` +
		"and GEMINI_API_KEY in claude-teams' environment (the env of its entry in the lead's MCP settings), which " +
		"the teammate inherits, then restart it with restart_teammate."},
	{"", backends.ProviderUnreachablePrefix, "Its model provider does not answer and it keeps retrying: check the " +
		"provider's base URL, the network and the API key in its configuration, then restart it with restart_teammate."},
	{"", "uto mode", "Claude Code 2.1.332 starts in auto mode, whose safety check runs only on Anthropic's servers: " +
		"behind a gateway, proxy or mock every tool call is refused, and answering cannot help. Spawn it again " +
		`with permission_mode "default" (or set CLAUDE_TEAMS_PERMISSION_MODE=default in claude-teams' environment).`},
	{"gemini", "Paste your API key", "Its Gemini API key did not reach it (a Gemini lead removes *KEY* variables " +
		`from claude-teams' environment): name GEMINI_API_KEY in the "env" of claude-teams' entry in the lead's ` +
		"settings, then spawn it again."},
	{"gemini", "How would you like to authenticate", `Gemini CLI has no auth choice: set security.auth.selectedType ` +
		`(e.g. "gemini-api-key") in ~/.gemini/settings.json, then spawn it again; or choose in its pane.`},
	{"codex", "Missing environment variable", "The provider's env_key variable did not reach it (Codex passes MCP " +
		"servers a short environment): list it in env_vars of [mcp_servers.claude-teams] in the lead's Codex config, " +
		"then spawn it again."},
	{"codex", "Sign in with ChatGPT", "Codex found no credentials: list CODEX_HOME and the provider's key variable " +
		"in env_vars of [mcp_servers.claude-teams] in the lead's Codex config, then spawn it again."},
	{"codex", "MCP server to run tool", "Codex asks to approve a claude-teams tool: answer in its pane, or set " +
		`default_tools_approval_mode = "approve" under [mcp_servers.claude-teams] in its Codex config.`},
	{"opencode", "Permission required", "OpenCode asks for a permission: answer in its pane (Allow once, Allow " +
		`always or Reject), or allow it in the "permission" section of opencode.json.`},
}

// DialogAdvice returns the fix for the dialog or refusal whose prompt line
// is prompt, "" when no specific one is known.
func DialogAdvice(backend, prompt string) string {
	for _, a := range dialogAdvices {
		if (a.backend == "" || a.backend == backend) && strings.Contains(prompt, a.match) {
			return a.fix
		}
	}
	return ""
}
