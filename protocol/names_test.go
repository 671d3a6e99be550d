package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateTeamName(t *testing.T) {
	tests := []struct {
		name    string
		ok      bool
		problem string
		suggest string
	}{
		{"my-team", true, "", ""},
		{"a", true, "", ""},
		{"team-2", true, "", ""},
		{strings.Repeat("a", 64), true, "", ""},
		{strings.Repeat("a", 65), false, "is 65 bytes long", strings.Repeat("a", 64)},
		{"", false, "is empty", ""},
		{"My Team", false, "upper-case", "my-team"},
		{"my_team", false, `contains '_'`, "my-team"},
		{"my team", false, `contains ' '`, "my-team"},
		{"a/b", false, "path separator", "a-b"},
		{`a\b`, false, "path separator", "a-b"},
		{"..", false, `".."`, ""},
		{"a..b", false, `".."`, "a-b"},
		{".hidden", false, "starts with a dot", "hidden"},
		{"a\x00b", false, "NUL", "a-b"},
		{"équipe", false, `contains 'é'`, "quipe"},
		{"-x", false, `starts with '-'`, "x"},
		{"--help", false, `starts with '-'`, "help"},
	}
	for _, tt := range tests {
		err := ValidateTeamName(tt.name)
		if tt.ok {
			if err != nil {
				t.Errorf("ValidateTeamName(%q) = %v, want nil", tt.name, err)
			}
			continue
		}
		var ne *NameError
		if !errors.As(err, &ne) || !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateTeamName(%q) = %v, want a *NameError", tt.name, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.problem) || !strings.Contains(msg, "^[a-z0-9][a-z0-9-]{0,63}$") {
			t.Errorf("ValidateTeamName(%q) = %q, want it to say %q and what is accepted", tt.name, msg, tt.problem)
		}
		if ne.Suggestion != tt.suggest {
			t.Errorf("ValidateTeamName(%q) suggests %q, want %q", tt.name, ne.Suggestion, tt.suggest)
		}
		if tt.suggest != "" && !strings.Contains(msg, `try "`+tt.suggest+`"`) {
			t.Errorf("ValidateTeamName(%q) = %q, want the suggestion in the message", tt.name, msg)
		}
	}
}

func TestValidateAgentAndMemberName(t *testing.T) {
	tests := []struct {
		name          string
		agent, member bool
	}{
		{"w1", true, true},
		{"Worker_2", true, true},
		{"a-b_C", true, true},
		{strings.Repeat("x", 64), true, true},
		{strings.Repeat("x", 65), false, false},
		{"team-lead", false, true},
		{"Team-Lead", false, true},
		{"user", false, true},
		{"system", false, true},
		{"main", false, true},
		{"", false, false},
		{"a b", false, false},
		{"a.b", false, false},
		{"../x", false, false},
		{"a/b", false, false},
		{".x", false, false},
		{"a@b", false, false},
		{"a\x00", false, false},
	}
	for _, tt := range tests {
		if err := ValidateAgentName(tt.name); (err == nil) != tt.agent {
			t.Errorf("ValidateAgentName(%q) = %v, want ok=%v", tt.name, err, tt.agent)
		} else if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateAgentName(%q) = %v, not ErrInvalidName", tt.name, err)
		}
		if err := ValidateMemberName(tt.name); (err == nil) != tt.member {
			t.Errorf("ValidateMemberName(%q) = %v, want ok=%v", tt.name, err, tt.member)
		}
	}
	err := ValidateAgentName("team-lead")
	if err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("ValidateAgentName(team-lead) = %v, want it to say reserved", err)
	}
	err = ValidateAgentName("a b")
	if err == nil || !strings.Contains(err.Error(), `contains ' '`) || !strings.Contains(err.Error(), `try "a-b"`) {
		t.Errorf("ValidateAgentName(a b) = %v", err)
	}
}

func TestValidateTaskID(t *testing.T) {
	for _, id := range []string{"1", "9", "10", "123456789012345678"} {
		if err := ValidateTaskID(id); err != nil {
			t.Errorf("ValidateTaskID(%q) = %v", id, err)
		}
	}
	for _, id := range []string{"", "0", "01", "-1", "1.5", "a", "1a", "../1", "1/2", ".1", "1234567890123456789", " 1"} {
		err := ValidateTaskID(id)
		if err == nil || !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), "positive decimal") {
			t.Errorf("ValidateTaskID(%q) = %v, want a refusal saying what is accepted", id, err)
		}
	}
}

func TestAgentID(t *testing.T) {
	if got := AgentID("w1", "t"); got != "w1@t" {
		t.Errorf("AgentID = %q", got)
	}
	name, team, ok := ParseAgentID("team-lead@my-team")
	if !ok || name != "team-lead" || team != "my-team" {
		t.Errorf("ParseAgentID = %q %q %v", name, team, ok)
	}
	for _, bad := range []string{"", "x", "@t", "x@"} {
		if _, _, ok := ParseAgentID(bad); ok {
			t.Errorf("ParseAgentID(%q) ok", bad)
		}
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"my-team", "My Team", "..", "a/b", "team-lead", "w1", "", "\x00", "01", "42", ".x", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPathSafe := func(kind string, err error) {
			if err != nil {
				if !errors.Is(err, ErrInvalidName) || err.Error() == "" {
					t.Fatalf("%s %q: error %v is not a NameError", kind, s, err)
				}
				return
			}
			if s == "" || len(s) > MaxNameLength || strings.ContainsAny(s, "/\\\x00") || strings.Contains(s, "..") || strings.HasPrefix(s, ".") {
				t.Fatalf("%s %q accepted but is not path safe", kind, s)
			}
		}
		checkPathSafe("team", ValidateTeamName(s))
		checkPathSafe("agent", ValidateAgentName(s))
		checkPathSafe("member", ValidateMemberName(s))
		checkPathSafe("task", ValidateTaskID(s))
		if sug := SuggestTeamName(s); sug != "" {
			if err := ValidateTeamName(sug); err != nil {
				t.Fatalf("SuggestTeamName(%q) = %q, which is refused: %v", s, sug, err)
			}
		}
		if ValidateTeamName(s) == nil && ValidateMemberName(s) != nil {
			t.Fatalf("team name %q is not a valid member-name pattern", s)
		}
	})
}
