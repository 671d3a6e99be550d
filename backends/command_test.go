package backends

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseCommandBackends(t *testing.T) {
	got, err := ParseCommandBackends(`{"aider":{"argv":["aider","--yes","--model","{model}"],"env":{"K":"V-{name}"},"instructions":true},
		"my-cli":{"argv":["/opt/my cli/bin","{{x}}"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	if a := got["aider"]; !slices.Equal(a.Argv, []string{"aider", "--yes", "--model", "{model}"}) || a.Env["K"] != "V-{name}" || !a.Instructions {
		t.Errorf("aider = %+v", a)
	}
	if m := got["my-cli"]; !slices.Equal(m.Argv, []string{"/opt/my cli/bin", "{{x}}"}) {
		t.Errorf("my-cli = %+v", m)
	}
	for _, blank := range []string{"", "  \n", "{}", "null"} {
		if got, err := ParseCommandBackends(blank); got != nil || err != nil {
			t.Errorf("ParseCommandBackends(%q) = %v, %v", blank, got, err)
		}
	}
}

func TestParseCommandBackendsErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`[1,2]`, "cannot unmarshal"},
		{`{"a":{"argv":["x"]}} trailing`, "trailing data"},
		{`{"a":{"args":["x"]}}`, `unknown field "args"`},
		{`{"a":{"argv":"x"}}`, "cannot unmarshal"},
		{`{"a":{"argv":[]}}`, `command backend "a": argv is empty`},
		{`{"a":{"argv":[""]}}`, "argv is empty"},
		{`{"claude":{"argv":["x"]}}`, "taken by a built-in"},
		{`{"Bad Name":{"argv":["x"]}}`, `command backend "Bad Name": bad name`},
		{`{"a":{"argv":["{self}"]}}`, "without placeholders"},
		{`{"a":{"argv":["x","{prompt}"]}}`, "unknown placeholder {prompt}"},
		{`{"a":{"argv":["x","{name"]}}`, "unterminated placeholder"},
		{`{"a":{"argv":["x","a}b"]}}`, "stray '}'"},
		{`{"a":{"argv":["x","a\u0000b"]}}`, "NUL"},
		{`{"a":{"argv":["x"],"env":{"1BAD":"v"}}}`, `env key "1BAD"`},
		{`{"a":{"argv":["x"],"env":{"K":"{oops}"}}}`, "unknown placeholder {oops}"},
		{`{"a":{"argv":["x"],"env":{"CLAUDE_TEAMS_AGENT_NAME":"v"}}}`, "set by claude-teams"},
	}
	for _, tc := range cases {
		_, err := ParseCommandBackends(tc.in)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCommandBackends(%s) err = %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	vals := map[string]string{"name": "w1", "team": "t", "cwd": "/a b/$(c)", "model": ""}
	cases := []struct{ in, want string }{
		{"{name}", "w1"},
		{"--agent={name}@{team}", "--agent=w1@t"},
		{"{cwd}", "/a b/$(c)"},
		{"{{name}}", "{name}"},
		{"{{{name}}}", "{w1}"},
		{"--model={model}", "--model="},
		{"plain", "plain"},
		{"", ""},
	}
	for _, tc := range cases {
		got, err := substitute(tc.in, vals)
		if err != nil || got != tc.want {
			t.Errorf("substitute(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestCommandLaunchDoesNotResplit: a substituted value with spaces and
// shell syntax stays inside its word, and the argv length never changes.
func TestCommandLaunchDoesNotResplit(t *testing.T) {
	c := baseConfig()
	c.Commands = map[string]CommandSpec{"mycli": {Argv: []string{"mycli", "{cwd}", "x{cwd}y"}}}
	m := baseTeammate()
	m.Cwd = "/tmp/a b;c $(d)"
	l, err := c.Launch("mycli", m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/opt/bin/mycli", "/tmp/a b;c $(d)", "x/tmp/a b;c $(d)y"}
	if !slices.Equal(l.Argv, want) {
		t.Errorf("argv = %q, want %q", l.Argv, want)
	}
}

func TestCommandLaunchRevalidatesSpec(t *testing.T) {
	c := baseConfig()
	c.Commands = map[string]CommandSpec{"mycli": {Argv: []string{"mycli", "{bogus}"}}}
	if _, err := c.Launch("mycli", baseTeammate()); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("err = %v", err)
	}
}

// TestCommandRelativeProgram: a command backend's program given as a
// relative path is found from this process's directory; the pane starts
// in the teammate's cwd, so argv[0] must be that file's absolute path.
func TestCommandRelativeProgram(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "bin", "agent")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	c := Config{Commands: map[string]CommandSpec{"rel": {Argv: []string{"./bin/agent", "x"}}}}
	l, err := c.Launch("rel", baseTeammate())
	if err != nil {
		t.Fatal(err)
	}
	if l.Argv[0] != prog {
		t.Errorf("argv[0] = %q, want %q", l.Argv[0], prog)
	}
}

// TestCodexOddServerVariable: a CLAUDE_TEAMS_* variable whose name is no
// TOML bare key is left out of the codex MCP server entry; it must not make
// the backend unusable.
func TestCodexOddServerVariable(t *testing.T) {
	c := baseConfig()
	c.Environ = append(c.Environ[:len(c.Environ):len(c.Environ)], "CLAUDE_TEAMS_X.Y=1", "CLAUDE_TEAMS_OK=2")
	l, err := c.Launch(Codex, baseTeammate())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(l.Argv, " "); strings.Contains(got, "X.Y") || !strings.Contains(got, `CLAUDE_TEAMS_OK="2"`) {
		t.Errorf("argv = %q", l.Argv)
	}
}
