package backends

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// screenCases lists every recorded screen (testdata/screens/<backend>/) with
// what the patterns must say about it. prompt is a substring of the line
// MatchNeedsInput must return; "" means the screen must not need input.
var screenCases = []struct {
	file   string
	ready  bool
	prompt string
}{
	{"claude/trust-folder.txt", false, "Yes, I trust this folder"},
	{"claude/api-key.txt", false, "Do you want to use this API key?"},
	{"claude/ready.txt", true, ""},
	{"claude/typing.txt", true, ""},
	{"claude/busy.txt", true, ""},
	{"claude/busy-80x24.txt", true, ""},
	{"claude/permission-bash.txt", false, "Do you want to proceed?"},
	{"claude/permission-write.txt", false, "Do you want to create notes.md?"},
	{"claude/permission-write-80x24.txt", false, "Do you want to create notes.md?"},
	{"claude/ready-after-turn.txt", true, ""},
	{"claude/offline-exit.txt", false, ""},
	{"claude/teammate-ready.txt", true, ""},
	{"claude/teammate-waiting-lead-approval.txt", true, "Waiting for team lead approval"},

	{"claude/teammate-332-auto-refused.txt", true, "Auto mode can't check actions in this session"},
	{"claude/teammate-332-default-after-reply.txt", true, ""},

	{"claude/provider-retry-refused.txt", true, "provider unreachable: Unable to connect to API (ConnectionRefused)"},
	{"claude/provider-retry-503.txt", true, "provider unreachable: API error"},
	{"codex/provider-reconnecting.txt", true, "provider unreachable: Connection failed: error sending request"},
	// After "Reconnecting... 5/5" Codex gives up: "■ <error>" above its
	// input box, like any failed turn.
	{"codex/provider-gave-up-500.txt", true, ""},
	// Gemini CLI retries behind "Thinking..." and nothing else: recognised
	// once that has lasted GeminiWaitLimit (2 min), not before.
	{"gemini/provider-unreachable-thinking.txt", true, ""},
	{"gemini/provider-unreachable-thinking-2m.txt", true, `provider unreachable: no answer after 2m of "Thinking..."`},
	// Each CLI gives up in the end and is back at its input box with the
	// error in its transcript, where it stays after a later good turn:
	// not matched.
	{"claude/provider-gave-up-refused.txt", true, ""},
	{"gemini/provider-gave-up-refused.txt", true, ""},

	{"codex/missing-env-var.txt", true, "Missing environment variable: `MOCK_PROVIDER_KEY`"},
	{"codex/mcp-tool-approval.txt", false, `Allow the claude-teams MCP server to run tool "team_delete"?`},
	{"gemini/auth-chooser.txt", false, "How would you like to authenticate for this project?"},
	{"gemini/api-key.txt", false, "Paste your API key here"},
	{"codex/login.txt", false, "Sign in with ChatGPT"},
	{"codex/trust-folder.txt", false, "Trust this folder?"},
	{"codex/ready-first-run.txt", true, ""},
	{"codex/ready.txt", true, ""},
	{"codex/permission-exec.txt", false, "Would you like to run the following command?"},
	{"codex/busy.txt", true, ""},
	{"codex/ready-after-turn.txt", true, ""},
	{"codex/ready-after-approval.txt", true, ""},

	// The same screens from Codex 0.171.0 (its status line now ends in the
	// thread's title, "· create the proof file").
	{"codex/0.171/login.txt", false, "Sign in with ChatGPT"},
	{"codex/0.171/trust-folder.txt", false, "Trust this folder?"},
	{"codex/0.171/ready-first-run.txt", true, ""},
	{"codex/0.171/ready.txt", true, ""},
	{"codex/0.171/permission-exec.txt", false, "Would you like to run the following command?"},
	{"codex/0.171/busy.txt", true, ""},
	{"codex/0.171/ready-after-turn.txt", true, ""},
	{"codex/0.171/ready-after-approval.txt", true, ""},
	{"codex/0.171/missing-env-var.txt", true, "Missing environment variable: `MOCK_PROVIDER_KEY`"},
	{"codex/0.171/mcp-tool-approval.txt", false, `Allow the claude-teams MCP server to run tool "team_delete"?`},
	{"codex/0.171/provider-reconnecting.txt", true, "provider unreachable: Connection failed: error sending request"},
	{"codex/0.171/provider-gave-up-500.txt", true, ""},

	{"opencode/starting.txt", false, ""},
	{"opencode/ready.txt", true, ""},
	{"opencode/permission-external-dir.txt", false, "Permission required"},
	{"opencode/permission-bash.txt", false, "Permission required"},
	{"opencode/busy.txt", true, ""},
	{"opencode/ready-after-turn.txt", true, ""},
	// The retry status line replaces "ctrl+p commands".
	{"opencode/provider-retry-refused.txt", false, "provider unreachable: Cannot connect to API: Unable to connect."},
	{"opencode/provider-retry-500.txt", false, "provider unreachable: upstream unavailable"},
	{"opencode/provider-retry-503.txt", false, "provider unreachable: upstream unavailable"},
	// After the fifth attempt OpenCode gives up: the error stays in the
	// transcript, the status line is back to normal. Not a dialog (a later
	// message makes it try again; the old error would stay on screen).
	{"opencode/provider-gave-up-refused.txt", true, ""},
	{"opencode/provider-gave-up-503.txt", true, ""},

	{"generic/blank.txt", false, ""},
	{"generic/apt-continue-yn.txt", true, "Do you want to continue? [Y/n]"},
	{"generic/overwrite-yn.txt", true, "Overwrite existing file? (y/n)"},
	{"generic/press-enter.txt", true, "Press Enter to continue..."},
	{"generic/npx-ok-to-proceed.txt", true, "Ok to proceed? (y)"},
	{"generic/password.txt", true, "Password:"},
	{"generic/rm-interactive.txt", true, "rm: remove regular empty file"},
	{"generic/are-you-sure.txt", true, "Are you sure you want to deploy to production?"},
	{"generic/output-with-old-question.txt", true, ""},
	{"generic/output-allowing.txt", true, ""},
}

func TestScreensRecorded(t *testing.T) {
	for _, tc := range screenCases {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "screens", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			screen := string(raw)
			backend := strings.Split(tc.file, "/")[0]
			if got := MatchReady(backend, screen); got != tc.ready {
				t.Errorf("MatchReady = %v, want %v", got, tc.ready)
			}
			got, ok := MatchNeedsInput(backend, screen)
			switch {
			case tc.prompt == "" && ok:
				t.Errorf("MatchNeedsInput = %q, want no match", got)
			case tc.prompt != "" && !ok:
				t.Errorf("MatchNeedsInput: no match, want %q", tc.prompt)
			case !strings.Contains(got, tc.prompt):
				t.Errorf("MatchNeedsInput = %q, want it to contain %q", got, tc.prompt)
			}
		})
	}
}

// TestScreensAllRecordedListed keeps the table and the directory in step: a
// new fixture without expectations would test nothing.
func TestScreensAllRecordedListed(t *testing.T) {
	// One level deeper too: codex/0.171/ holds a newer version's screens.
	var files []string
	for _, pat := range []string{"*/*.txt", "*/*/*.txt"} {
		m, err := filepath.Glob(filepath.Join("testdata", "screens", filepath.FromSlash(pat)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	listed := map[string]bool{}
	for _, tc := range screenCases {
		listed[tc.file] = true
	}
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, filepath.Join("testdata", "screens")+string(filepath.Separator)))
		if !listed[rel] {
			t.Errorf("%s has no entry in screenCases", rel)
		}
	}
	if len(files) != len(screenCases) {
		t.Errorf("%d fixtures, %d cases", len(files), len(screenCases))
	}
}

// TestScreensAgentScreensQuietForGeneric: the idle and busy screens of the
// agent CLIs must not look like prompts to the generic patterns either, in
// case a user wraps one of them in a command backend.
func TestScreensAgentScreensQuietForGeneric(t *testing.T) {
	for _, tc := range screenCases {
		if tc.prompt != "" || strings.HasPrefix(tc.file, "generic/") || !tc.ready {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("testdata", "screens", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := GenericScreens().MatchNeedsInput(string(raw)); ok {
			t.Errorf("%s: generic MatchNeedsInput = %q, want no match", tc.file, got)
		}
	}
}

func TestScreensUnknownBackendIsGeneric(t *testing.T) {
	for _, name := range []string{"", "aider", "my-cli"} {
		if _, ok := MatchNeedsInput(name, "Proceed? [y/N] "); !ok {
			t.Errorf("MatchNeedsInput(%q): want the generic [y/N] match", name)
		}
		if !MatchReady(name, "hello\n") {
			t.Errorf("MatchReady(%q, output): want true", name)
		}
		if MatchReady(name, "  \n\n") {
			t.Errorf("MatchReady(%q, blank): want false", name)
		}
	}
}

func TestScreensGeneric(t *testing.T) {
	tests := []struct {
		name, screen, want string
	}{
		{"yes/no with fingerprint", "The authenticity of host 'h' can't be established.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ", "Are you sure"},
		{"press any key", "Done.\nPress any key to exit", "Press any key to exit"},
		{"allow question", "Tool wants to read ~/.ssh\nAllow? ", "Allow?"},
		{"allow once", "  Allow once   Allow always   Deny", "Allow once"},
		{"sudo password", "[sudo] password for ana: ", "[sudo] password for ana:"},
		{"passphrase", "Enter passphrase for key '/k': ", "Enter passphrase for key '/k':"},
		{"question older than tail", "Continue? [y/N]\n1\n2\n3\n4\n", ""},
		{"question mid-output", "why?\nbuilding\n", ""},
		{"allowed in output", "3 hosts allowed\n", ""},
		{"crlf and padding", "Proceed? [y/N]   \r\n   \r\n", "Proceed? [y/N]"},
		{"blank", "\n\n   \n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := GenericScreens().MatchNeedsInput(tc.screen)
			if tc.want == "" {
				if ok {
					t.Fatalf("match %q, want none", got)
				}
				return
			}
			if !ok || !strings.Contains(got, tc.want) {
				t.Fatalf("got %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
}

func TestScreensTailLines(t *testing.T) {
	screen := "a\n\nb\nc\n\n\n"
	tests := []struct {
		n    int
		want string
	}{
		{0, "a\n\nb\nc"},
		{1, "c"},
		{2, "b\nc"},
		{3, "a\n\nb\nc"},
		{10, "a\n\nb\nc"},
	}
	for _, tc := range tests {
		if got := screenTail(screenNormalize(screen), tc.n); got != tc.want {
			t.Errorf("screenTail(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestScreensPromptShortened(t *testing.T) {
	long := "Do you want to " + strings.Repeat("x", 300) + "?"
	got, ok := GenericScreens().MatchNeedsInput(long)
	if !ok {
		t.Fatal("no match")
	}
	if n := len([]rune(got)); n > screenMaxPrompt || !strings.HasSuffix(got, "…") {
		t.Fatalf("got %d runes %q, want at most %d ending in …", n, got, screenMaxPrompt)
	}
}

func TestCompileScreenPatterns(t *testing.T) {
	p, err := CompileScreenPatterns([]string{`^READY\?`}, []string{`\$$`}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := p.MatchNeedsInput("READY? go"); !ok || got != "READY? go" {
		t.Errorf("MatchNeedsInput = %q, %v", got, ok)
	}
	if !p.MatchReady("prompt $ ") {
		t.Error("MatchReady: want true")
	}
	if _, err := CompileScreenPatterns([]string{"("}, nil, 0); err == nil || !strings.Contains(err.Error(), "needs-input pattern") {
		t.Errorf("bad needs-input pattern: err = %v", err)
	}
	if _, err := CompileScreenPatterns(nil, []string{"["}, 0); err == nil || !strings.Contains(err.Error(), "ready pattern") {
		t.Errorf("bad ready pattern: err = %v", err)
	}
}
