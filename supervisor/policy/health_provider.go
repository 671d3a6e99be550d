package policy

import (
	"strings"
	"time"

	"github.com/f9449b24/claude-teams/backends"
)

// ProviderRetryHold is how long a teammate stays needs_input for a
// provider that does not answer (backends.ProviderUnreachablePrefix) after
// its retry line was last on screen. Between two attempts the CLI draws
// its plain status line while the request is out (OpenCode, Codex), and a
// screen read then must not count as recovery: that would tell the lead
// "recovered" and "needs input" again at every attempt.
const ProviderRetryHold = 30 * time.Second

// unreachable reports a prompt line of a provider that does not answer.
func unreachable(prompt string) bool {
	return strings.HasPrefix(prompt, backends.ProviderUnreachablePrefix)
}

// holdUnreachable keeps a provider-unreachable needs_input through the
// moments between two attempts: an input without a prompt (and without a
// refusal) gets the last one back while it was seen less than
// ProviderRetryHold ago.
func (t *HealthTracker) holdUnreachable(in *HealthInput) {
	switch {
	case in.NeedsInput && unreachable(in.Prompt):
		t.unreachableAt = in.Now
	case !in.NeedsInput && in.Refusal == "" && t.cur == HealthNeedsInput && unreachable(t.prompt) &&
		in.Now.Sub(t.unreachableAt) < ProviderRetryHold:
		in.NeedsInput, in.Prompt = true, t.prompt
	}
}

// HoldUntil returns when a provider-unreachable needs_input held without
// its retry line on screen ends, so that the owner loop evaluates health
// again then; zero when none is held.
func (t *HealthTracker) HoldUntil() time.Time {
	if t.cur != HealthNeedsInput || !unreachable(t.prompt) || t.unreachableAt.IsZero() {
		return time.Time{}
	}
	return t.unreachableAt.Add(ProviderRetryHold)
}
