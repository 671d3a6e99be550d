package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDialogAdviceFromRecordedScreens: every dialog recorded from the real
// CLIs that a message cannot answer is needs_input, and the lead is told a
// fix that fits it, never "send it a message".
func TestDialogAdviceFromRecordedScreens(t *testing.T) {
	dir := filepath.Join("..", "..", "backends", "testdata", "screens")
	tests := []struct {
		backend, file string
		advice        string // a word of the specific fix; "" = the general dialog advice
	}{
		{"claude", "claude/teammate-332-auto-refused.txt", "permission_mode"},
		{"gemini", "gemini/auth-chooser.txt", "security.auth.selectedType"},
		{"gemini", "gemini/api-key.txt", "GEMINI_API_KEY"},
		{"codex", "codex/missing-env-var.txt", "env_vars"},
		{"codex", "codex/mcp-tool-approval.txt", "default_tools_approval_mode"},
		{"codex", "codex/login.txt", "env_vars"},
		{"opencode", "opencode/permission-external-dir.txt", "Allow once"},
		{"opencode", "opencode/provider-retry-refused.txt", "baseURL"},
		{"opencode", "opencode/provider-retry-500.txt", "OPENCODE_CONFIG_CONTENT"},
		{"claude", "claude/provider-retry-refused.txt", "ANTHROPIC_BASE_URL"},
		{"claude", "claude/provider-retry-503.txt", "ANTHROPIC_API_KEY"},
		{"codex", "codex/provider-reconnecting.txt", "[model_providers.<name>]"},
		{"claude", "claude/permission-bash.txt", ""},
		{"codex", "codex/trust-folder.txt", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, prompt, needs := ScreenHealth(tc.backend, string(raw))
			if !needs {
				t.Fatalf("not needs_input")
			}
			n := NewLeadNotifier(NotifyConfig{})
			msgs := n.Notify(LeadEvent{Kind: LeadNeedsInput, Agent: "w1", Backend: tc.backend, At: clockEpoch, Prompt: prompt,
				PaneID: "%3", Attach: "claude-teams supervisor attach --team alpha", Target: "%3 in session alpha"})
			if len(msgs) != 1 {
				t.Fatalf("messages %+v", msgs)
			}
			body := msgs[0].Text
			want := tc.advice
			if want == "" {
				want = "which a message cannot give"
			}
			for _, w := range []string{want, "attach: claude-teams supervisor attach --team alpha", "tmux target: %3 in session alpha"} {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q (prompt %q):\n%s", w, prompt, body)
				}
			}
			if strings.Contains(body, "send it a message") {
				t.Errorf("dialog advice suggests a message:\n%s", body)
			}
		})
	}
}

func TestAutoModeRefusal(t *testing.T) {
	tests := []struct {
		text, line string
		ok         bool
	}{
		{"Auto mode is unavailable: its safety check does not run for this session, so SendMessage was not run.",
			"Auto mode is unavailable: its safety check does not run for this session, so SendMessage was not run.", true},
		{"I did the work.\n  Not run · auto mode's check had no usable answer \nbye", "Not run · auto mode's check had no usable answer", true},
		{"Auto mode can't check actions in this session. Its safety check runs on the server", "Auto mode can't check actions in this session. Its safety check runs on the server", true},
		{"Switched to auto mode; all done.", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		line, ok := AutoModeRefusal(tc.text)
		if ok != tc.ok || line != tc.line {
			t.Errorf("AutoModeRefusal(%q) = %q, %v; want %q, %v", tc.text, line, ok, tc.line, tc.ok)
		}
	}
	long := "Auto mode is unavailable: " + strings.Repeat("x", 500)
	if line, _ := AutoModeRefusal(long); len([]rune(line)) != leadMaxSummary {
		t.Errorf("long refusal cut to %d runes", len([]rune(line)))
	}
}

func TestReadBudget(t *testing.T) {
	b := NewReadBudget(4) // one read per 250 ms, 4 at once
	at := func(ms int) time.Time { return clockEpoch.Add(time.Duration(ms) * time.Millisecond) }
	steps := []struct {
		ms   int
		want bool
	}{
		{0, true}, {0, true}, {0, true}, {0, true}, {0, false},
		{100, false}, {250, true}, {250, false},
		{10_000, true}, {10_000, true}, {10_000, true}, {10_000, true}, {10_000, false}, // refilled to 4, not more
		{9_000, false}, // time going back earns nothing
	}
	for i, s := range steps {
		if got := b.Take(at(s.ms)); got != s.want {
			t.Fatalf("step %d at %d ms: Take = %v, want %v", i, s.ms, got, s.want)
		}
	}
}

func TestHealthReasons(t *testing.T) {
	start := clockEpoch
	at := func(d time.Duration) time.Time { return start.Add(d) }
	tests := []struct {
		name string
		in   HealthInput
		want Health
		has  string
	}{
		{"screen prompt", HealthInput{Now: at(time.Minute), Ready: true, NeedsInput: true, Prompt: "Do you want to proceed?"},
			HealthNeedsInput, "its screen shows: Do you want to proceed?"},
		{"refusal beats screen", HealthInput{Now: at(time.Minute), Ready: true, NeedsInput: true, Prompt: "x", Refusal: "Auto mode is unavailable"},
			HealthNeedsInput, "its idle_notification says: Auto mode is unavailable"},
		{"starting", HealthInput{Now: at(time.Second)}, HealthStarting, "ready screen has not shown"},
		{"stalled with a task", HealthInput{Now: at(11 * time.Minute), Ready: true, LastOutput: at(time.Minute), InProgressTasks: 2},
			HealthStalled, "no output since 2026-11-21T12:01:00.000Z with 2 tasks in progress"},
		{"stalled on a message", HealthInput{Now: at(21 * time.Minute), Ready: true, OldestUnread: at(time.Minute)},
			HealthStalled, "an unread message since 2026-11-21T12:01:00.000Z"},
		{"idle notification", HealthInput{Now: at(time.Minute), Ready: true, IdleNotification: at(30 * time.Second)},
			HealthIdle, "idle_notification at 2026-11-21T12:00:30.000Z"},
		{"quiet", HealthInput{Now: at(time.Minute), Ready: true}, HealthIdle, "and no work"},
		{"running", HealthInput{Now: at(time.Second), Ready: true, LastOutput: at(time.Second)}, HealthRunning, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.StartedAt = start
			tr := NewHealthTracker(HealthConfig{}, start)
			tr.Update(tc.in)
			h, _ := tr.Current()
			if h != tc.want || !strings.Contains(tr.Reason(), tc.has) || (tc.has == "") != (tr.Reason() == "") {
				t.Errorf("health %s reason %q, want %s with %q", h, tr.Reason(), tc.want, tc.has)
			}
		})
	}
}

// TestHealthTrackerRestore: a tracker restored to a dialog the lead knows
// about reports nothing while it stays, a change of prompt, and recovery.
func TestHealthTrackerRestore(t *testing.T) {
	tr := NewHealthTracker(HealthConfig{}, clockEpoch)
	tr.Restore(HealthNeedsInput, "Overwrite? [y/N]", clockEpoch)
	in := HealthInput{Now: clockEpoch.Add(time.Second), StartedAt: clockEpoch, NeedsInput: true, Prompt: "Overwrite? [y/N]"}
	if tr2, changed := tr.Update(in); changed {
		t.Fatalf("same dialog after restore: %+v", tr2)
	}
	in.Prompt = "Delete? [y/N]"
	if tr2, changed := tr.Update(in); !changed || tr2.To != HealthNeedsInput || tr2.Prompt != "Delete? [y/N]" {
		t.Fatalf("other dialog: %+v, %v", tr2, changed)
	}
	in.NeedsInput, in.Prompt, in.LastOutput = false, "", in.Now
	if tr2, changed := tr.Update(in); !changed || !tr2.Recovered || tr2.To != HealthRunning {
		t.Fatalf("answered: %+v, %v", tr2, changed)
	}
}

// TestHealthReasonProviderUnreachable: the reason of a teammate whose
// provider does not answer is what its screen says, without the "its
// screen shows" of a dialog; a restored tracker says the same.
func TestHealthReasonProviderUnreachable(t *testing.T) {
	const p = "provider unreachable: upstream unavailable"
	in := HealthInput{Now: clockEpoch, StartedAt: clockEpoch, NeedsInput: true, Prompt: p}
	if got := HealthReason(HealthConfig{}, in, HealthNeedsInput); got != p {
		t.Errorf("HealthReason = %q, want %q", got, p)
	}
	tr := NewHealthTracker(HealthConfig{}, clockEpoch)
	tr.Restore(HealthNeedsInput, p, clockEpoch)
	if got := tr.Reason(); got != p {
		t.Errorf("restored Reason = %q, want %q", got, p)
	}
}
