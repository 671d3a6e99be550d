package backends

import (
	"fmt"
	"slices"
	"strings"
)

// PermissionModes are the values of Claude Code's --permission-mode, as it
// names them (2.1.332; "manual" is its new name for "default" and 2.1.197
// rejects it). DefaultPermissionMode is the one both 2.1.197 and 2.1.332
// accept.
var PermissionModes = []string{"default", "acceptEdits", "auto", "bypassPermissions", "dontAsk", "manual", "plan"}

// DefaultPermissionMode is the permission mode of a claude teammate when
// neither spawn_teammate nor CLAUDE_TEAMS_PERMISSION_MODE names one. With
// no --permission-mode at all, Claude Code 2.1.332 starts a teammate in
// auto mode, whose safety check runs only on Anthropic's servers: behind
// any other ANTHROPIC_BASE_URL every tool call is refused (PROTOCOL.md §10).
const DefaultPermissionMode = "default"

// planSettings is the --settings JSON a claude teammate gets when plan mode
// is required: without it 2.1.332 runs plan mode through the auto-mode
// check (PROTOCOL.md §10). 2.1.197 accepts both keys.
const planSettings = `{"useAutoModeDuringPlan":false,"permissions":{"disableAutoMode":"disable"}}`

// ValidatePermissionMode checks a permission mode; "" (use the default) is
// valid. The error names the value and the accepted ones.
func ValidatePermissionMode(mode string) error {
	if mode == "" || slices.Contains(PermissionModes, mode) {
		return nil
	}
	return fmt.Errorf("%w: permission mode %q is not one of %s", ErrInvalidTeammate, mode, strings.Join(PermissionModes, ", "))
}

// claudePermissionArgs are the permission flags of a claude teammate:
// plan mode required wins (--plan-mode-required --permission-mode plan and
// the settings that keep auto mode out of it); then
// CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS; then the teammate's mode, the
// configured one, or DefaultPermissionMode.
func (c Config) claudePermissionArgs(t Teammate) []string {
	switch {
	case t.PlanModeRequired:
		return []string{"--plan-mode-required", "--permission-mode", "plan", "--settings", planSettings}
	case c.SkipPermissions:
		return []string{"--dangerously-skip-permissions"}
	}
	mode := t.PermissionMode
	if mode == "" {
		mode = c.PermissionMode
	}
	if mode == "" {
		mode = DefaultPermissionMode
	}
	return []string{"--permission-mode", mode}
}
