package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// restartWords are the words every entry point must accept or refuse alike
// (cmd/claude-teams's TestRestartPolicyEntryPoints runs them through each).
var restartWords = []struct {
	in   string
	want RestartPolicy
	ok   bool
}{
	{"", RestartDefault, true},
	{"never", RestartNever, true},
	{"on-failure", RestartOnFailure, true},
	{"always", RestartAlways, true},
	{"Always", "", false},
	{" never", "", false},
	{"on_failure", "", false},
	{"sometimes", "", false},
}

func TestParseRestartPolicy(t *testing.T) {
	for _, tc := range restartWords {
		got, err := ParseRestartPolicy(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseRestartPolicy(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) {
				t.Errorf("%q: error %v does not wrap ErrInvalidValue", tc.in, err)
			}
			want := `protocol: invalid value: restart policy "` + tc.in + `": want never, on-failure or always`
			if err.Error() != want {
				t.Errorf("error text %q, want %q", err, want)
			}
		}
		var p RestartPolicy
		b, _ := json.Marshal(tc.in)
		if err := json.Unmarshal(b, &p); tc.ok != (err == nil) || p != tc.want {
			t.Errorf("json %s = %q, %v", b, p, err)
		}
	}
	if RestartDefault.Or(RestartAlways) != RestartAlways || RestartNever.Or(RestartAlways) != RestartNever {
		t.Error("Or")
	}
}

func TestDecodeLifecycleWords(t *testing.T) {
	tests := []struct {
		name string
		json string
		into any
		ok   bool
	}{
		{"state", `"needs_input"`, new(State), true},
		{"empty state", `""`, new(State), true},
		{"bad state", `"Running"`, new(State), false},
		{"stop reason", `"teardown"`, new(StopReason), true},
		{"bad stop reason", `"bored"`, new(StopReason), false},
		{"status", `{"state":"zombie"}`, new(TeammateStatus), false},
	}
	for _, tc := range tests {
		err := json.Unmarshal([]byte(tc.json), tc.into)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %s: err = %v", tc.name, tc.json, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: %v does not wrap ErrInvalidValue", tc.name, err)
		}
	}
	for _, s := range States {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
	}
}

func TestParseStopReason(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want StopReason
		ok   bool
	}{
		{"", StopKilled, true}, {"killed", StopKilled, true}, {"shutdown", StopShutdown, true},
		{"restart", "", false}, {"teardown", "", false}, {"Killed", "", false},
	} {
		got, err := ParseStopReason(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseStopReason(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestExit(t *testing.T) {
	zero, three := 0, 3
	tests := []struct {
		x          Exit
		deliberate bool
		state      State
		text       string
	}{
		{Exit{Status: &zero}, false, StateExited, "exit status 0"},
		{Exit{Status: &three}, false, StateCrashed, "exit status 3"},
		{Exit{Signal: "SIGKILL"}, false, StateCrashed, "killed by SIGKILL"},
		{Exit{Signal: "SIGTERM"}, true, StateStopped, "killed by SIGTERM"},
		{Exit{Why: "its pane was closed"}, false, StateCrashed, "exit status unknown (its pane was closed)"},
		{Exit{}, false, StateCrashed, "exit status unknown"},
	}
	for _, tc := range tests {
		if got := tc.x.Classify(tc.deliberate); got != tc.state {
			t.Errorf("%v.Classify(%v) = %s, want %s", tc.x, tc.deliberate, got, tc.state)
		}
		if got := tc.x.String(); got != tc.text {
			t.Errorf("String = %q, want %q", got, tc.text)
		}
	}
	for n, want := range map[int]string{0: "", 9: "SIGKILL", 15: "SIGTERM", 200: "signal 200"} {
		if got := SignalName(n); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOwns(t *testing.T) {
	m := Member{Name: "w1", AgentID: "w1@alpha"}
	for owner, want := range map[string]bool{"w1": true, "w1@alpha": true, "": false, "w2": false, "w1@beta": false} {
		if got := m.Owns(owner); got != want {
			t.Errorf("Owns(%q) = %v", owner, got)
		}
	}
	if m.OwnsTask(Task{Owner: "w1", Status: StatusCompleted}) {
		t.Error("a finished task is not owned work")
	}
}

// OwnedTaskIDs is what live and offline status both report: tasks owned
// under the teammate's name or agent id, in id order, never null.
func TestOwnedTaskIDs(t *testing.T) {
	tasks := []Task{{ID: "10", Owner: "w1"}, {ID: "2", Owner: "w1"}, {ID: "7", Owner: "w1@t"}, {ID: "3", Owner: "w2"},
		{ID: "4", Owner: "w1", Status: StatusCompleted}}
	m := Member{Name: "w1", AgentID: "w1@t"}
	if got := m.OwnedTaskIDs(tasks); strings.Join(got, " ") != "2 7 10" {
		t.Errorf("OwnedTaskIDs(w1) = %v, want [2 7 10]", got)
	}
	if got := (Member{Name: "w3", AgentID: "w3@t"}).OwnedTaskIDs(tasks); got == nil || len(got) != 0 {
		t.Errorf("OwnedTaskIDs(w3) = %#v, want empty, not nil", got)
	}
}
