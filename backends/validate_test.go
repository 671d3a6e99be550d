package backends

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// hostile values that must be refused wherever they appear.
var hostileWords = []string{
	"sonnet; rm -rf /",
	"$(touch /tmp/pwned)",
	"#(touch /tmp/pwned)", // tmux runs it where it expands formats (new-window -n)
	"#{session_name}",
	"~root",
	"`id`",
	"a\nb",
	"a b",
	"-rf",
	"--dangerously-skip-permissions",
	"x|y",
	"x&y",
	"x>y",
	"'quoted'",
	"\"dq\"",
	"tab\there",
	"nul\x00byte",
	"ünïcode",
	"",
}

func TestLaunchRejectsHostileFields(t *testing.T) {
	c := baseConfig()
	c.Commands = map[string]CommandSpec{"mycli": {Argv: []string{"mycli", "{model}", "{name}"}}}
	fields := []struct {
		field string
		set   func(*Teammate, string)
		// allowEmpty: an empty value means "not given" for this field.
		allowEmpty bool
	}{
		{"team name", func(m *Teammate, v string) { m.Team = v }, false},
		{"name", func(m *Teammate, v string) { m.Name = v }, false},
		{"model", func(m *Teammate, v string) { m.Model = v }, true},
		{"agent type", func(m *Teammate, v string) { m.AgentType = v }, true},
		{"color", func(m *Teammate, v string) { m.Color = v }, true},
		{"lead session id", func(m *Teammate, v string) { m.LeadSessionID = v }, true},
	}
	for _, backend := range []string{Claude, Codex, OpenCode, Gemini, "mycli"} {
		for _, f := range fields {
			for _, v := range hostileWords {
				if v == "" && f.allowEmpty {
					continue
				}
				m := baseTeammate()
				f.set(&m, v)
				_, err := c.Launch(backend, m)
				if !errors.Is(err, ErrInvalidTeammate) {
					t.Errorf("%s: %s %q accepted (err %v)", backend, f.field, v, err)
					continue
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%q", v)) {
					t.Errorf("%s: error %q does not name the value %q", backend, err, v)
				}
			}
		}
	}
}

func TestLaunchRejectsBadNamesAndPaths(t *testing.T) {
	c := baseConfig()
	cases := []struct {
		name string
		mate func(*Teammate)
	}{
		{"lead name", func(m *Teammate) { m.Name = "team-lead" }},
		{"name too long", func(m *Teammate) { m.Name = strings.Repeat("a", 65) }},
		{"dotdot name", func(m *Teammate) { m.Name = "../x" }},
		{"slash team", func(m *Teammate) { m.Team = "a/b" }},
		{"leading underscore", func(m *Teammate) { m.Name = "_x" }},
		{"agent id mismatch", func(m *Teammate) { m.AgentID = "other@alpha" }},
		{"relative cwd", func(m *Teammate) { m.Cwd = "work/proj" }},
		{"empty cwd", func(m *Teammate) { m.Cwd = "" }},
		{"cwd with newline", func(m *Teammate) { m.Cwd = "/work/a\nb" }},
		{"cwd with NUL", func(m *Teammate) { m.Cwd = "/work/a\x00b" }},
		{"relative data root", func(m *Teammate) { m.DataRoot = ".claude" }},
	}
	for _, tc := range cases {
		m := baseTeammate()
		tc.mate(&m)
		for _, backend := range []string{Claude, Codex, OpenCode, Gemini} {
			if _, err := c.Launch(backend, m); !errors.Is(err, ErrInvalidTeammate) {
				t.Errorf("%s: %s accepted (err %v)", tc.name, backend, err)
			}
		}
	}
}

// TestAcceptedValuesStayOneWord: values that pass validation, including a
// cwd full of shell syntax, each appear as exactly one argv word (or inside
// one word of a command backend) and never in the instruction text.
func TestAcceptedValuesStayOneWord(t *testing.T) {
	c := baseConfig()
	c.OpenCodeServerURL = "http://127.0.0.1:4096"
	c.Commands = map[string]CommandSpec{"mycli": {Argv: []string{"mycli", "--cwd={cwd}", "{model}"}, Instructions: true}}
	m := baseTeammate()
	m.Cwd = "/work/it's a \"dir\"; rm -rf / $(x) `y` | z"
	m.Model = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
	m.AgentType = "plugin:reviewer"
	for _, backend := range []string{Claude, Codex, OpenCode, Gemini, "mycli"} {
		l, err := c.Launch(backend, m)
		if err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		if l.Dir != m.Cwd {
			t.Errorf("%s: Dir = %q", backend, l.Dir)
		}
		for _, w := range l.Argv {
			// codex gets the cwd TOML-quoted inside its trust override.
			q, _ := tomlString(m.Cwd)
			trust := "projects={" + q + `={trust_level="trusted"}}`
			if strings.Contains(w, "rm -rf") && w != m.Cwd && w != "--cwd="+m.Cwd && w != trust {
				t.Errorf("%s: cwd leaked into word %q", backend, w)
			}
		}
		switch backend {
		case Claude:
			wantPair(t, l.Argv, "--model", m.Model)
			wantPair(t, l.Argv, "--agent-type", m.AgentType)
		case OpenCode:
			wantPair(t, l.Argv, "--dir", m.Cwd)
		case "mycli":
			if !slices.Contains(l.Argv, "--cwd="+m.Cwd) || !slices.Contains(l.Argv, m.Model) {
				t.Errorf("mycli argv %q", l.Argv)
			}
		}
	}
	text := instructions(m)
	for _, v := range []string{m.Cwd, m.Model, m.AgentType, "rm -rf"} {
		if strings.Contains(text, v) {
			t.Errorf("instruction text contains %q", v)
		}
	}
}

func wantPair(t *testing.T, argv []string, flag, value string) {
	t.Helper()
	i := slices.Index(argv, flag)
	if i < 0 || i+1 >= len(argv) || argv[i+1] != value {
		t.Errorf("argv %q: want %s %q as two words", argv, flag, value)
	}
}

func TestValidNamesAccepted(t *testing.T) {
	c := baseConfig()
	for _, name := range []string{"a", "A-1", "worker_2", strings.Repeat("x", 64), "9lives"} {
		m := baseTeammate()
		m.Name, m.Team = name, strings.ToLower(strings.ReplaceAll(name, "_", "-"))+"t"
		if len(m.Team) > 64 {
			m.Team = "team"
		}
		l, err := c.Launch(Claude, m)
		if err != nil {
			t.Errorf("name %q: %v", name, err)
			continue
		}
		wantPair(t, l.Argv, "--agent-name", name)
	}
	for _, model := range []string{"sonnet", "sonnet[1m]", "claude-opus-4-1-20250805", "openrouter/anthropic/claude-3.5-sonnet", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-x", "gpt-5.3-codex"} {
		m := baseTeammate()
		m.Model = model
		if _, err := c.Launch(Claude, m); err != nil {
			t.Errorf("model %q: %v", model, err)
		}
	}
}
