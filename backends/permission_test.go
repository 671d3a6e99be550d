package backends

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestClaudePermissionFlags(t *testing.T) {
	cases := []struct {
		name       string
		configMode string
		skip       bool
		mateMode   string
		plan       bool
		want       []string
	}{
		{"default when nothing is set", "", false, "", false, []string{"--permission-mode", "default"}},
		{"configured mode", "acceptEdits", false, "", false, []string{"--permission-mode", "acceptEdits"}},
		{"spawn mode wins over configured", "acceptEdits", false, "dontAsk", false, []string{"--permission-mode", "dontAsk"}},
		{"skip permissions keeps working", "", true, "", false, []string{"--dangerously-skip-permissions"}},
		{"skip wins over a mode", "acceptEdits", true, "manual", false, []string{"--dangerously-skip-permissions"}},
		{"plan required: plan mode without auto", "", true, "acceptEdits", true,
			[]string{"--plan-mode-required", "--permission-mode", "plan", "--settings", planSettings}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			c.PermissionMode, c.SkipPermissions = tc.configMode, tc.skip
			m := baseTeammate()
			m.PermissionMode, m.PlanModeRequired = tc.mateMode, tc.plan
			l, err := c.Launch(Claude, m)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(l.Argv, func(w string) bool {
				return w == "--permission-mode" || w == "--dangerously-skip-permissions" || w == "--plan-mode-required"
			})
			if i < 0 || len(l.Argv) < i+len(tc.want) || !slices.Equal(l.Argv[i:i+len(tc.want)], tc.want) {
				t.Errorf("argv = %q, want the permission flags %q", l.Argv, tc.want)
			}
			if strings.Count(strings.Join(l.Argv, " "), "--permission-mode") > 1 {
				t.Errorf("--permission-mode twice: %q", l.Argv)
			}
			if !slices.Contains(l.Env, "CLAUDE_CODE_ENABLE_TODO_TOOLS=1") {
				t.Errorf("env lacks CLAUDE_CODE_ENABLE_TODO_TOOLS=1: %q", l.Env)
			}
		})
	}
}

func TestPermissionModeValidation(t *testing.T) {
	for _, mode := range append([]string{""}, PermissionModes...) {
		if err := ValidatePermissionMode(mode); err != nil {
			t.Errorf("ValidatePermissionMode(%q) = %v", mode, err)
		}
	}
	for _, mode := range []string{"Default", "yolo", "--dangerously-skip-permissions", "plan "} {
		err := ValidatePermissionMode(mode)
		if !errors.Is(err, ErrInvalidTeammate) || !strings.Contains(err.Error(), `"`+mode+`"`) || !strings.Contains(err.Error(), "acceptEdits") {
			t.Errorf("ValidatePermissionMode(%q) = %v, want an error naming it and the accepted modes", mode, err)
		}
		m := baseTeammate()
		m.PermissionMode = mode
		if _, err := baseConfig().Launch(Claude, m); !errors.Is(err, ErrInvalidTeammate) {
			t.Errorf("Launch with mode %q: err = %v", mode, err)
		}
		c := baseConfig()
		c.PermissionMode = mode
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "CLAUDE_TEAMS_PERMISSION_MODE") {
			t.Errorf("Validate with CLAUDE_TEAMS_PERMISSION_MODE=%q: err = %v", mode, err)
		}
	}
}

func TestCodexTrustsItsDirectory(t *testing.T) {
	m := baseTeammate()
	m.Cwd = `/work/a "quoted" dir`
	l, err := baseConfig().Launch(Codex, m)
	if err != nil {
		t.Fatal(err)
	}
	want := `projects={"/work/a \"quoted\" dir"={trust_level="trusted"}}`
	i := slices.Index(l.Argv, want)
	if i < 1 || l.Argv[i-1] != "-c" {
		t.Errorf("argv = %q, want -c %s", l.Argv, want)
	}
}
