package policy

import (
	"testing"
	"time"
)

// TestHealthProviderRetryHold: a provider that does not answer stays
// needs_input through screens between two attempts (no retry line) for
// ProviderRetryHold after the line was last seen, with one transition; a
// screen without it for longer is a recovery, and another dialog replaces
// it at once.
func TestHealthProviderRetryHold(t *testing.T) {
	const p = "provider unreachable: upstream unavailable"
	at := func(d time.Duration) time.Time { return clockEpoch.Add(d) }
	type step struct {
		at     time.Duration
		prompt string // "" = no prompt on screen
		want   Health
		change bool
		was    string // the transition's WasPrompt
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"held between attempts", []step{
			{2 * time.Second, p, HealthNeedsInput, true, ""},
			{5 * time.Second, "", HealthNeedsInput, false, ""},
			{8 * time.Second, p, HealthNeedsInput, false, ""},
			{8*time.Second + ProviderRetryHold - time.Millisecond, "", HealthNeedsInput, false, ""},
		}},
		{"recovers after the hold", []step{
			{2 * time.Second, p, HealthNeedsInput, true, ""},
			{3 * time.Second, "", HealthNeedsInput, false, ""},
			{2*time.Second + ProviderRetryHold, "", HealthRunning, true, p},
		}},
		{"another dialog at once", []step{
			{2 * time.Second, p, HealthNeedsInput, true, ""},
			{3 * time.Second, "Permission required", HealthNeedsInput, true, ""},
			{4 * time.Second, "", HealthRunning, true, "Permission required"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewHealthTracker(HealthConfig{}, clockEpoch)
			for i, s := range tc.steps {
				in := HealthInput{Now: at(s.at), StartedAt: clockEpoch, LastOutput: at(s.at), Ready: true,
					NeedsInput: s.prompt != "", Prompt: s.prompt}
				x, changed := tr.Update(in)
				if h, _ := tr.Current(); h != s.want || changed != s.change {
					t.Fatalf("step %d: health %s changed %v, want %s %v", i, h, changed, s.want, s.change)
				}
				if x.WasPrompt != s.was {
					t.Errorf("step %d: WasPrompt %q, want %q", i, x.WasPrompt, s.was)
				}
			}
		})
	}
	tr := NewHealthTracker(HealthConfig{}, clockEpoch)
	tr.Restore(HealthNeedsInput, p, at(time.Second))
	if got := tr.HoldUntil(); !got.Equal(at(time.Second + ProviderRetryHold)) {
		t.Errorf("restored HoldUntil = %v", got)
	}
	if _, changed := tr.Update(HealthInput{Now: at(2 * time.Second), StartedAt: clockEpoch, LastOutput: at(2 * time.Second)}); changed {
		t.Errorf("restored: recovered within the hold")
	}
}
