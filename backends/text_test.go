package backends

import (
	"strings"
	"testing"
)

func TestForeignModel(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "sonnet": "", "Opus": "", "haiku": "", "sonnet[1m]": "", "opusplan": "",
		"gpt-5.3-codex": "gpt-5.3-codex", "anthropic/claude-sonnet-4-5": "anthropic/claude-sonnet-4-5",
		"claude-sonnet-4-5": "claude-sonnet-4-5",
	} {
		if got := foreignModel(in); got != want {
			t.Errorf("foreignModel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInstructions(t *testing.T) {
	m := baseTeammate()
	m.AgentID = "worker-1@alpha"
	text := instructions(m)
	for _, want := range []string{`"worker-1"`, `"alpha"`, "worker-1@alpha", "read_inbox", "send_message", "task_list", "task_update", `recipient="team-lead"`, "shutdown_response"} {
		if !strings.Contains(text, want) {
			t.Errorf("instructions lack %s:\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "\n\r") || strings.Contains(text, "{") {
		t.Errorf("instructions are not one filled-in line:\n%s", text)
	}
	if strings.Contains(text, "Plan mode") {
		t.Errorf("plan text without plan mode")
	}
	m.PlanModeRequired = true
	if !strings.Contains(instructions(m), "Plan mode is required") {
		t.Errorf("no plan text with plan mode")
	}
}

func TestTomlString(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/x":      `"/usr/bin/x"`,
		`a"b\c`:           `"a\"b\\c"`,
		"tab\tnl\ncr\r":   `"tab\tnl\ncr\r"`,
		"bell\x07del\x7f": `"bell\u0007del\u007F"`,
		"ünï":             `"ünï"`,
	} {
		got, err := tomlString(in)
		if err != nil || got != want {
			t.Errorf("tomlString(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := tomlString("bad\xff"); err == nil {
		t.Error("tomlString accepts invalid UTF-8")
	}
	got, err := tomlInlineTable(map[string]string{"B": "2", "A": `x"y`})
	if err != nil || got != `{A="x\"y", B="2"}` {
		t.Errorf("tomlInlineTable = %s, %v", got, err)
	}
	if _, err := tomlInlineTable(map[string]string{"a b": "1"}); err == nil {
		t.Error("tomlInlineTable accepts a bad key")
	}
}
