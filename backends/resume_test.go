package backends

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLaunchResumeArgv: with a transcript holding a turn, Resume continues
// the recorded session with the same teammate flags; exact argv.
func TestLaunchResumeArgv(t *testing.T) {
	const ocID = "ses_dc40e3c7effexHWZy3vFR11dJW"
	cases := []struct {
		name, backend, id string
		config            func(*Config)
		setup             func(*testing.T, resumeEnv)
		want              func(e resumeEnv) []string
	}{
		{name: "claude", backend: Claude, id: sidA,
			setup: func(t *testing.T, e resumeEnv) { writeFile(t, e.claudeTranscript(sidA), claudeUser) },
			want: func(e resumeEnv) []string {
				return []string{"/opt/bin/claude", "--agent-id", "worker-1@alpha", "--agent-name", "worker-1", "--team-name", "alpha",
					"--model", "sonnet", "--permission-mode", "default", "--resume", sidA}
			}},
		{name: "codex", backend: Codex, id: sidB,
			setup: func(t *testing.T, e resumeEnv) { codexRollout(t, e.home, sidB, e.cwd, "hello") },
			want: func(e resumeEnv) []string {
				l, _ := e.c.Launch(Codex, Teammate{Team: "alpha", Name: "worker-1", Model: "sonnet", Cwd: e.cwd, DataRoot: e.root})
				fresh := l.Argv[1 : len(l.Argv)-1] // the same options
				return slices.Concat([]string{"/opt/bin/codex", "resume"}, fresh, []string{sidB, resumeInstructions(e.m)})
			}},
		{name: "gemini", backend: Gemini, id: sidA,
			setup: func(t *testing.T, e resumeEnv) {
				writeFile(t, e.home+"/.gemini/projects.json", `{"projects":{"`+e.cwd+`":"proj"}}`)
				writeFile(t, e.home+"/.gemini/tmp/proj/chats/session-2026-12-03T12-45-"+sidA[:8]+".jsonl",
					strings.ReplaceAll(geminiHead+geminiTurn, `"S"`, `"`+sidA+`"`))
			},
			want: func(e resumeEnv) []string {
				return []string{"/opt/bin/gemini", "--skip-trust", "--approval-mode", "auto_edit", "--resume", sidA,
					"--prompt-interactive", resumeInstructions(e.m)}
			}},
		{name: "opencode local", backend: OpenCode, id: ocID,
			config: func(c *Config) {
				c.Run = func(_ context.Context, _, _ []string, dir string) ([]byte, []byte, error) {
					return []byte(`[{"id":"` + ocID + `","created":1,"directory":"` + dir + `"}]`), nil, nil
				}
			},
			want: func(e resumeEnv) []string {
				return []string{"/opt/bin/opencode", "run", "--session", ocID, "--interactive", resumeInstructions(e.m)}
			}},
		{name: "opencode attached", backend: OpenCode, id: ocID,
			config: func(c *Config) { c.OpenCodeServerURL = "http://127.0.0.1:4096" },
			want: func(e resumeEnv) []string {
				return []string{"/opt/bin/opencode", "run", "--attach", "http://127.0.0.1:4096", "--dir", e.cwd, "--interactive",
					"--session", ocID, resumeInstructions(e.m)}
			}},
		{name: "command resume_argv", backend: "mycli", id: "chat-7",
			config: func(c *Config) {
				c.Commands = map[string]CommandSpec{"mycli": {
					Argv:       []string{"mycli", "--new", "{session_id}"},
					ResumeArgv: []string{"aider", "--resume={session_id}", "--as", "{name}"}, Instructions: true,
				}}
			},
			want: func(e resumeEnv) []string {
				return []string{"/opt/bin/aider", "--resume=chat-7", "--as", "worker-1", resumeInstructions(e.m)}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newResumeEnv(t)
			if tc.config != nil {
				tc.config(&e.c)
			}
			if tc.setup != nil {
				tc.setup(t, e)
			}
			e.m.Model, e.m.SessionID, e.m.Resume = "sonnet", tc.id, true
			l, err := e.c.Launch(tc.backend, e.m)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.want(e); !slices.Equal(l.Argv, want) {
				t.Errorf("argv =\n%q\nwant\n%q", l.Argv, want)
			}
			if !l.Resumed || l.SessionID != tc.id || l.FreshReason != "" {
				t.Errorf("Resumed, SessionID, FreshReason = %v, %q, %q", l.Resumed, l.SessionID, l.FreshReason)
			}
		})
	}
}

// TestLaunchResumeFallsBackFresh: without a transcript holding a turn a
// launch asked to resume starts fresh with a new id, never the recorded
// one (Claude Code: "Session ID … is already in use"), and says why.
func TestLaunchResumeFallsBackFresh(t *testing.T) {
	cases := []struct {
		name, backend, id, why string
		wantID                 string
		wantTail               []string
	}{
		{"claude, crash before the first turn", Claude, sidA, "no transcript", testSessionID, []string{"--session-id", testSessionID}},
		{"claude, nothing recorded", Claude, "", "no session id is recorded", testSessionID, []string{"--session-id", testSessionID}},
		{"gemini", Gemini, sidA, "no project", testSessionID, []string{"--session-id", testSessionID, "--prompt-interactive"}},
		{"codex", Codex, sidB, "no Codex rollout", "", []string{"--model", "gpt-5"}},
		{"command without resume_argv", "mycli", "x1", "has no resume_argv", testSessionID, []string{"--new", testSessionID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newResumeEnv(t)
			e.c.Commands = map[string]CommandSpec{"mycli": {Argv: []string{"mycli", "--new", "{session_id}"}}}
			e.m.Model, e.m.SessionID, e.m.Resume = "gpt-5", tc.id, true
			l, err := e.c.Launch(tc.backend, e.m)
			if err != nil {
				t.Fatal(err)
			}
			if l.Resumed || l.SessionID != tc.wantID || !strings.Contains(l.FreshReason, tc.why) {
				t.Errorf("Resumed, SessionID, FreshReason = %v, %q, %q", l.Resumed, l.SessionID, l.FreshReason)
			}
			words := l.Argv
			if tc.backend == Gemini || tc.backend == Codex {
				words = words[:len(words)-1] // the instruction
			}
			if !slices.Equal(words[len(words)-len(tc.wantTail):], tc.wantTail) || slices.Contains(l.Argv, "--resume") || slices.Contains(l.Argv, "resume") {
				t.Errorf("argv = %q, want it to end %q", l.Argv, tc.wantTail)
			}
			if tc.id != "" && slices.Contains(l.Argv, tc.id) {
				t.Errorf("argv reuses the recorded id %s: %q", tc.id, l.Argv)
			}
		})
	}
}

// TestLaunchFreshIDs: every fresh launch gets a new random UUID (the
// default NewSessionID), reported in Launch.SessionID.
func TestLaunchFreshIDs(t *testing.T) {
	c := baseConfig()
	c.NewSessionID = nil
	seen := map[string]bool{}
	for range 3 {
		l, err := c.Launch(Claude, baseTeammate())
		if err != nil {
			t.Fatal(err)
		}
		if !uuidRE.MatchString(l.SessionID) || seen[l.SessionID] || l.Argv[len(l.Argv)-1] != l.SessionID || l.Argv[len(l.Argv)-2] != "--session-id" {
			t.Fatalf("argv %q, SessionID %q", l.Argv, l.SessionID)
		}
		seen[l.SessionID] = true
	}
	if id := NewSessionID(); id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
		t.Errorf("NewSessionID() = %s, not a version 4 UUID", id)
	}
}

// TestLaunchBadSessionID: a recorded id that is not of its backend's shape
// never reaches a path or argv.
func TestLaunchBadSessionID(t *testing.T) {
	cases := []struct{ backend, id, want string }{
		{Claude, "../../etc/passwd", "must be a UUID"},
		{Claude, "--dangerously-skip-permissions", "must be a UUID"},
		{Codex, "not-a-uuid", "must be a UUID"},
		{Gemini, sidA + "x", "must be a UUID"},
		{OpenCode, "ses_../x", "ses_"},
		{"mycli", "-rf", "must be an id"},
	}
	for _, tc := range cases {
		e := newResumeEnv(t)
		e.c.Commands = map[string]CommandSpec{"mycli": {Argv: []string{"mycli"}, ResumeArgv: []string{"mycli", "{session_id}"}}}
		e.m.SessionID, e.m.Resume = tc.id, true
		_, err := e.c.Launch(tc.backend, e.m)
		if !errors.Is(err, ErrInvalidTeammate) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.id) {
			t.Errorf("%s %q: err = %v, want ErrInvalidTeammate naming the id and %q", tc.backend, tc.id, err, tc.want)
		}
	}
}

func TestParseCommandBackendsResumeArgv(t *testing.T) {
	got, err := ParseCommandBackends(`{"a":{"argv":["a","{session_id}"],"resume_argv":["a","--resume","{session_id}"]}}`)
	if err != nil || !slices.Equal(got["a"].ResumeArgv, []string{"a", "--resume", "{session_id}"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for in, want := range map[string]string{
		`{"a":{"argv":["a"],"resume_argv":[]}}`:             "resume_argv is empty",
		`{"a":{"argv":["a"],"resume_argv":["{self}"]}}`:     "resume_argv[0]",
		`{"a":{"argv":["a"],"resume_argv":["a","{oops}"]}}`: "resume_argv[1]",
	} {
		if _, err := ParseCommandBackends(in); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
}

// TestFindCodexSession: the newest rollout since the launch whose cwd and
// first turn are the teammate's; another teammate's, an older one and one
// from another directory are not it.
func TestFindCodexSession(t *testing.T) {
	e := newResumeEnv(t)
	since := time.Now().Add(-time.Minute)
	other := e.m
	other.Name, other.AgentID = "worker-2", "worker-2@alpha"
	codexRollout(t, e.home, "11111111-2222-7333-8444-555555555555", e.cwd, instructions(other))
	codexRollout(t, e.home, "22222222-2222-7333-8444-555555555555", "/elsewhere", instructions(e.m))
	if _, err := e.c.FindSession(Codex, e.m, since); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("err = %v, want ErrSessionNotFound", err)
	}
	codexRollout(t, e.home, sidB, e.cwd, instructions(e.m))
	if id, err := e.c.FindSession(Codex, e.m, since); err != nil || id != sidB {
		t.Errorf("FindSession = %q, %v; want %s", id, err, sidB)
	}
	if _, err := e.c.FindSession(Codex, e.m, time.Now().Add(time.Hour)); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("a rollout older than the launch was taken: %v", err)
	}
}
