package protocol

import (
	"fmt"
	"strings"
)

// LeadName is the reserved member name of every team's lead.
const LeadName = "team-lead"

// MaxNameLength is the longest team or agent name accepted.
const MaxNameLength = 64

// reservedNames may not be used as a teammate's name (compared
// case-insensitively, so "Team-Lead" cannot shadow the lead either).
var reservedNames = []string{LeadName, "user", "system", "main"}

// NameError reports a team name, agent name or task id that cannot be used.
// Its message names the value, says why it is refused and what would be
// accepted; Suggestion, when not empty, is a valid alternative.
type NameError struct {
	Kind       string // "team name", "agent name", "member name", "task id"
	Value      string
	Problem    string
	Accepted   string
	Suggestion string
}

// Error implements error.
func (e *NameError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s %q: %s; %s", e.Kind, e.Value, e.Problem, e.Accepted)
	if e.Suggestion != "" && e.Suggestion != e.Value {
		fmt.Fprintf(&b, " (try %q)", e.Suggestion)
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalidName) match.
func (e *NameError) Unwrap() error { return ErrInvalidName }

const (
	acceptedTeam  = "team names must match ^[a-z0-9][a-z0-9-]{0,63}$ (lower-case letters, digits and hyphens, not starting with a hyphen)"
	acceptedAgent = "names must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ (letters, digits, '_' and '-', not starting with '_' or '-')"
	acceptedTask  = "task ids are positive decimal numbers without leading zeros, such as \"1\" or \"42\""
)

// ValidateTeamName reports whether name can be used as a team name: it
// must match ^[a-z0-9][a-z0-9-]{0,63}$, the only names for which Claude
// Code's two directory-naming rules (config and inboxes) agree and that no
// argv parser reads as a flag ("-x", "--help"). This is the one team-name
// grammar; backends' argv check spells the same pattern (it may import
// nothing of ours; cmd/claude-teams's TestOneNameGrammar holds them equal).
func ValidateTeamName(name string) error {
	if p := pathProblem(name); p != "" {
		return &NameError{Kind: "team name", Value: name, Problem: p, Accepted: acceptedTeam, Suggestion: SuggestTeamName(name)}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			var p string
			if r >= 'A' && r <= 'Z' {
				p = "contains upper-case letters"
			} else {
				p = fmt.Sprintf("contains %q", r)
			}
			return &NameError{Kind: "team name", Value: name, Problem: p, Accepted: acceptedTeam, Suggestion: SuggestTeamName(name)}
		}
	}
	return nil
}

// SuggestTeamName turns any string into the closest valid team name:
// lower-cased, every run of other characters replaced by one hyphen,
// trimmed of hyphens and cut to 64 bytes. It returns "" when nothing of name
// survives.
func SuggestTeamName(name string) string {
	return suggestName(strings.ToLower(name), func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
	})
}

// suggestName keeps the runes of name that keep accepts, replaces every
// run of others by one hyphen, trims hyphens and cuts to MaxNameLength.
func suggestName(name string, keep func(rune) bool) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if keep(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > MaxNameLength {
		s = strings.TrimRight(s[:MaxNameLength], "-")
	}
	return s
}

// ValidateMemberName reports whether name can name a member's inbox: any
// name matching ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$, including "team-lead".
func ValidateMemberName(name string) error {
	return validateAgentPattern("member name", name)
}

// ValidateAgentName reports whether name can be given to a new teammate:
// ValidateMemberName's pattern, and not one of the reserved names
// team-lead, user, system and main.
func ValidateAgentName(name string) error {
	if err := validateAgentPattern("agent name", name); err != nil {
		return err
	}
	for _, r := range reservedNames {
		if strings.EqualFold(name, r) {
			return &NameError{Kind: "agent name", Value: name, Problem: "is reserved",
				Accepted: "team-lead, user, system and main are reserved; choose another name", Suggestion: name + "-1"}
		}
	}
	return nil
}

func validateAgentPattern(kind, name string) error {
	if p := pathProblem(name); p != "" {
		return &NameError{Kind: kind, Value: name, Problem: p, Accepted: acceptedAgent, Suggestion: suggestAgentName(name)}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return &NameError{Kind: kind, Value: name, Problem: fmt.Sprintf("contains %q", r), Accepted: acceptedAgent, Suggestion: suggestAgentName(name)}
		}
	}
	return nil
}

func suggestAgentName(name string) string {
	return suggestName(name, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
	})
}

// pathProblem returns why name cannot be a path element or an argv word
// of its own, or "".
func pathProblem(name string) string {
	switch {
	case name == "":
		return "is empty"
	case name[0] == '-' || name[0] == '_':
		return fmt.Sprintf("starts with %q (it would read as a flag)", name[0])
	case len(name) > MaxNameLength:
		return fmt.Sprintf("is %d bytes long, more than %d", len(name), MaxNameLength)
	case strings.ContainsRune(name, 0):
		return "contains a NUL byte"
	case strings.ContainsAny(name, `/\`):
		return "contains a path separator"
	case strings.Contains(name, ".."):
		return `contains ".."`
	case strings.HasPrefix(name, "."):
		return "starts with a dot"
	}
	return ""
}

// ValidateTaskID reports whether id can be a task id: ^[1-9][0-9]*$ with at
// most 18 digits.
func ValidateTaskID(id string) error {
	if p := pathProblem(id); p != "" {
		return &NameError{Kind: "task id", Value: id, Problem: p, Accepted: acceptedTask}
	}
	if len(id) > 18 {
		return &NameError{Kind: "task id", Value: id, Problem: "is too long", Accepted: acceptedTask}
	}
	if id[0] == '0' {
		return &NameError{Kind: "task id", Value: id, Problem: "starts with 0", Accepted: acceptedTask, Suggestion: strings.TrimLeft(id, "0")}
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return &NameError{Kind: "task id", Value: id, Problem: fmt.Sprintf("contains %q", r), Accepted: acceptedTask}
		}
	}
	return nil
}

// AgentID returns the agent id of member name in team: "<name>@<team>".
func AgentID(name, team string) string { return name + "@" + team }

// ParseAgentID splits an agent id "<name>@<team>" at its last '@'.
func ParseAgentID(id string) (name, team string, ok bool) {
	i := strings.LastIndexByte(id, '@')
	if i <= 0 || i == len(id)-1 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}
