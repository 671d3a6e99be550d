package policy

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/supervisor/internal/fakeclock"
)

func TestHealthConfigDefaults(t *testing.T) {
	c := HealthConfig{}.WithDefaults()
	if c.StallAfter != 10*time.Minute || c.IdleAfter != 30*time.Second || c.StartTimeout != time.Minute ||
		c.IdleGrace != 5*time.Second || c.ScreenSettle != time.Second ||
		c.BusyScreenEvery != 3*time.Second || c.BusyScreenRate != 20 {
		t.Fatalf("defaults %+v", c)
	}
	c = HealthConfig{StallAfter: time.Minute}.WithDefaults()
	if c.StallAfter != time.Minute {
		t.Fatalf("StallAfter overridden: %v", c.StallAfter)
	}
}

func TestDeriveHealth(t *testing.T) {
	start := clockEpoch
	at := func(d time.Duration) time.Time { return start.Add(d) }
	minute := time.Minute
	tests := []struct {
		name string
		cfg  HealthConfig
		in   HealthInput
		want Health
	}{
		{"just started", HealthConfig{}, HealthInput{Now: at(time.Second)}, HealthStarting},
		{"output but no ready screen", HealthConfig{}, HealthInput{Now: at(10 * time.Second), LastOutput: at(9 * time.Second)}, HealthStarting},
		{"start timeout", HealthConfig{}, HealthInput{Now: at(minute), LastOutput: at(59 * time.Second)}, HealthRunning},
		{"prompt while starting", HealthConfig{}, HealthInput{Now: at(time.Second), NeedsInput: true}, HealthNeedsInput},
		{"ready and busy", HealthConfig{}, HealthInput{Now: at(5 * minute), Ready: true, LastOutput: at(5*minute - time.Second), InProgressTasks: 1}, HealthRunning},
		{"prompt beats stall", HealthConfig{}, HealthInput{Now: at(30 * minute), Ready: true, InProgressTasks: 1, NeedsInput: true}, HealthNeedsInput},
		{"quiet with task below threshold", HealthConfig{}, HealthInput{Now: at(10*minute - time.Second), Ready: true, InProgressTasks: 1}, HealthRunning},
		{"quiet with task at threshold", HealthConfig{}, HealthInput{Now: at(10 * minute), Ready: true, InProgressTasks: 1}, HealthStalled},
		{"stall measured from last output", HealthConfig{}, HealthInput{Now: at(15 * minute), Ready: true, LastOutput: at(6 * minute), InProgressTasks: 2}, HealthRunning},
		{"custom stall", HealthConfig{StallAfter: 2 * minute}, HealthInput{Now: at(15 * minute), Ready: true, LastOutput: at(13 * minute), InProgressTasks: 1}, HealthStalled},
		{"old unread", HealthConfig{}, HealthInput{Now: at(20 * minute), Ready: true, OldestUnread: at(5 * minute)}, HealthStalled},
		{"young unread", HealthConfig{}, HealthInput{Now: at(20 * minute), Ready: true, OldestUnread: at(15 * minute)}, HealthRunning},
		{"old unread but talking", HealthConfig{}, HealthInput{Now: at(20 * minute), Ready: true, OldestUnread: at(1 * minute), LastOutput: at(19 * minute)}, HealthRunning},
		{"quiet no work", HealthConfig{}, HealthInput{Now: at(2 * minute), Ready: true, LastOutput: at(90 * time.Second)}, HealthIdle},
		{"quiet no work below idle", HealthConfig{}, HealthInput{Now: at(2 * minute), Ready: true, LastOutput: at(100 * time.Second)}, HealthRunning},
		{"idle notification", HealthConfig{}, HealthInput{Now: at(2 * minute), Ready: true, LastOutput: at(2*minute - time.Second), IdleNotification: at(2*minute - 3*time.Second)}, HealthIdle},
		{"idle notification then output", HealthConfig{}, HealthInput{Now: at(3 * minute), Ready: true, LastOutput: at(2*minute + 10*time.Second), IdleNotification: at(2 * minute), InProgressTasks: 1}, HealthRunning},
		{"idle notification then message", HealthConfig{}, HealthInput{Now: at(3 * minute), Ready: true, IdleNotification: at(2 * minute), OldestUnread: at(2*minute + time.Second)}, HealthRunning},
		{"idle notification with older unread", HealthConfig{}, HealthInput{Now: at(3 * minute), Ready: true, IdleNotification: at(2 * minute), OldestUnread: at(time.Minute)}, HealthIdle},
		{"idle notification from last run", HealthConfig{}, HealthInput{Now: at(3 * minute), StartedAt: at(2 * minute), Ready: true, LastOutput: at(3 * minute), IdleNotification: at(time.Minute)}, HealthRunning},
		{"idle but owns a stale task", HealthConfig{}, HealthInput{Now: at(30 * minute), Ready: true, IdleNotification: at(time.Minute), InProgressTasks: 1}, HealthStalled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.StartedAt.IsZero() {
				tc.in.StartedAt = start
			}
			if got := DeriveHealth(tc.cfg, tc.in); got != tc.want {
				t.Fatalf("DeriveHealth = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNextHealthCheck(t *testing.T) {
	start := clockEpoch
	at := func(d time.Duration) time.Time { return start.Add(d) }
	tests := []struct {
		name string
		in   HealthInput
		want time.Duration // from start; -1 = none
	}{
		{"starting: idle check before the start timeout", HealthInput{Now: at(time.Second)}, 30 * time.Second},
		{"starting: start timeout", HealthInput{Now: at(45 * time.Second), LastOutput: at(40 * time.Second)}, time.Minute},
		{"ready, output: idle check", HealthInput{Now: at(time.Minute), Ready: true, LastOutput: at(50 * time.Second)}, 80 * time.Second},
		{"past idle: stall check", HealthInput{Now: at(2 * time.Minute), Ready: true, LastOutput: at(time.Minute)}, 11 * time.Minute},
		{"unread ages first", HealthInput{Now: at(2 * time.Minute), Ready: true, LastOutput: at(time.Minute), OldestUnread: at(-7 * time.Minute)}, 3 * time.Minute},
		{"all behind", HealthInput{Now: at(time.Hour), Ready: true}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.StartedAt = start
			got := NextHealthCheck(HealthConfig{}, tc.in)
			if tc.want < 0 {
				if !got.IsZero() {
					t.Fatalf("NextHealthCheck = %v, want none", got.Sub(start))
				}
				return
			}
			if !got.Equal(at(tc.want)) {
				t.Fatalf("NextHealthCheck = %v, want %v", got.Sub(start), tc.want)
			}
		})
	}
}

// A teammate's life: starting, a trust prompt, ready, busy, goes quiet with
// a task (stalled), output resumes (recovered), says it is idle, gets a
// permission prompt and an answer. The owner loop is played by Update calls
// at the times NextHealthCheck names, on a fake clock.
func TestHealthTrackerTransitions(t *testing.T) {
	clock := fakeclock.New(clockEpoch)
	start := clock.Now()
	tr := NewHealthTracker(HealthConfig{}, start)
	in := HealthInput{StartedAt: start}
	var got []HealthTransition
	update := func() {
		in.Now = clock.Now()
		if x, ok := tr.Update(in); ok {
			got = append(got, x)
		}
	}
	step := func(d time.Duration, f func()) {
		clock.Advance(d)
		if f != nil {
			f()
		}
		update()
	}
	update() // starting: no transition
	step(time.Second, func() { in.LastOutput, in.NeedsInput, in.Prompt = clock.Now(), true, "Yes, I trust this folder" })
	step(2*time.Second, func() { in.LastOutput, in.NeedsInput, in.Prompt, in.Ready = clock.Now(), false, "", true })
	step(time.Second, func() { in.InProgressTasks = 1; in.LastOutput = clock.Now() })
	update() // unchanged: running
	// Quiet from here; the loop re-evaluates at the next threshold.
	for i := 0; i < 3; i++ {
		next := NextHealthCheck(HealthConfig{}, HealthInput{Now: clock.Now(), StartedAt: start, LastOutput: in.LastOutput, Ready: true, InProgressTasks: 1})
		clock.Set(next)
		update()
	}
	step(time.Second, func() { in.LastOutput = clock.Now() }) // output resumes
	step(time.Second, func() { in.InProgressTasks = 0; in.IdleNotification = clock.Now() })
	step(time.Minute, func() { in.NeedsInput, in.Prompt = true, "Do you want to proceed?"; in.LastOutput = clock.Now() })
	step(time.Second, func() { in.Prompt = "Do you want to create notes.md?" })
	step(time.Second, func() { in.NeedsInput, in.Prompt = false, ""; in.LastOutput = clock.Now() })

	type tr2 struct {
		from, to  Health
		recovered bool
	}
	var seq []tr2
	for _, x := range got {
		seq = append(seq, tr2{x.From, x.To, x.Recovered})
	}
	expect := []tr2{
		{HealthStarting, HealthNeedsInput, false},
		{HealthNeedsInput, HealthRunning, true},
		{HealthRunning, HealthStalled, false},
		{HealthStalled, HealthRunning, true},
		{HealthRunning, HealthIdle, false},
		{HealthIdle, HealthNeedsInput, false},
		{HealthNeedsInput, HealthNeedsInput, false},
		{HealthNeedsInput, HealthRunning, true},
	}
	if len(seq) != len(expect) {
		t.Fatalf("transitions %v, want %v", seq, expect)
	}
	for i := range expect {
		if seq[i] != expect[i] {
			t.Fatalf("transition %d: %v, want %v (all: %v)", i, seq[i], expect[i], seq)
		}
	}
	if got[0].Prompt != "Yes, I trust this folder" || got[6].Prompt != "Do you want to create notes.md?" {
		t.Errorf("prompts %q, %q", got[0].Prompt, got[6].Prompt)
	}
	stalled := got[2]
	if stalled.Quiet != 10*time.Minute || !stalled.At.Equal(start.Add(4*time.Second+10*time.Minute)) {
		t.Errorf("stalled at %v after %v quiet", stalled.At.Sub(start), stalled.Quiet)
	}
	if h, since := tr.Current(); h != HealthRunning || !since.Equal(clock.Now()) {
		t.Errorf("Current = %s since %v", h, since)
	}
}

// The ready screen is remembered: a later screen without the pattern (the
// CLI busy in a dialog of its own) does not send it back to starting. (A
// new run gets a new tracker: startHealth.)
func TestHealthTrackerReadySticks(t *testing.T) {
	tr := NewHealthTracker(HealthConfig{}, clockEpoch)
	in := HealthInput{Now: clockEpoch.Add(time.Second), StartedAt: clockEpoch, Ready: true, LastOutput: clockEpoch.Add(time.Second)}
	if x, ok := tr.Update(in); !ok || x.To != HealthRunning {
		t.Fatalf("ready: %+v %v", x, ok)
	}
	in.Ready = false
	in.Now = in.Now.Add(time.Second)
	if x, ok := tr.Update(in); ok {
		t.Fatalf("transition without the ready pattern: %+v", x)
	}
}

// Needs-input detection from recorded screens, through ScreenHealth and the
// tracker.
func TestHealthFromRecordedScreens(t *testing.T) {
	dir := filepath.Join("..", "..", "backends", "testdata", "screens")
	tests := []struct {
		backend, file string
		want          Health
		prompt        string
	}{
		{"claude", "claude/ready.txt", HealthRunning, ""},
		{"claude", "claude/permission-bash.txt", HealthNeedsInput, "Do you want to proceed?"},
		{"claude", "claude/trust-folder.txt", HealthNeedsInput, "1. Yes, I trust this folder"},
		{"claude", "claude/teammate-waiting-lead-approval.txt", HealthNeedsInput, "Waiting for team lead approval"},
		{"codex", "codex/permission-exec.txt", HealthNeedsInput, "Would you like to run the following command?"},
		{"codex", "codex/busy.txt", HealthRunning, ""},
		{"opencode", "opencode/starting.txt", HealthStarting, ""},
		{"opencode", "opencode/permission-bash.txt", HealthNeedsInput, "Permission required"},
		{"my-cli", "generic/press-enter.txt", HealthNeedsInput, "Press Enter to continue..."},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			ready, prompt, needs := ScreenHealth(tc.backend, string(raw))
			tr := NewHealthTracker(HealthConfig{}, clockEpoch)
			now := clockEpoch.Add(5 * time.Second)
			tr.Update(HealthInput{Now: now, StartedAt: clockEpoch, LastOutput: now, InProgressTasks: 1,
				Ready: ready, NeedsInput: needs, Prompt: prompt})
			if h, _ := tr.Current(); h != tc.want {
				t.Fatalf("health %s, want %s (ready=%v prompt=%q)", h, tc.want, ready, prompt)
			}
			if prompt != tc.prompt {
				t.Fatalf("prompt %q, want %q", prompt, tc.prompt)
			}
		})
	}
}

// clockEpoch is the fake clocks' start.
var clockEpoch = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
