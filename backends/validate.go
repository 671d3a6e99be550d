package backends

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Patterns for the teammate fields that end up in argv words. Nothing is
// ever passed through a shell, so these are defence in depth: a value that
// passes is one inert argv word that cannot be read as a flag.
var (
	// nameRE is the Python server's name rule (letters, digits, '-', '_',
	// at most 64) minus a leading '-' or '_', so no name reads as a flag.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	// teamRE is protocol.ValidateTeamName's grammar, the one team-name
	// rule (lower case, digits, '-', not starting with '-').
	teamRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	// modelRE admits aliases (sonnet, sonnet[1m]), provider/model ids,
	// Bedrock ids and ARNs (dots, colons, slashes) and nothing a shell or
	// a flag parser would read specially.
	modelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+\[\]-]{0,199}$`)
	// agentTypeRE admits Claude agent types (general-purpose, Explore,
	// plugin:agent) and opencode agent names.
	agentTypeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	// colorRE admits Claude Code's colour words.
	colorRE = regexp.MustCompile(`^[a-z][a-z_-]{0,31}$`)
	// sessionIDRE admits UUIDs and similar ids.
	sessionIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	// backendNameRE is the rule for backend names, built in or defined.
	backendNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	// envKeyRE is the rule for environment variable names we set.
	envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// leadName is the reserved name of the team lead.
const leadName = "team-lead"

// validateTeammate checks every field of t and returns it normalised
// (AgentID filled in as name@team, Cwd cleaned).
func validateTeammate(t Teammate) (Teammate, error) {
	bad := func(field, value, why string) (Teammate, error) {
		return Teammate{}, fmt.Errorf("%w: %s %q %s", ErrInvalidTeammate, field, value, why)
	}
	if !teamRE.MatchString(t.Team) {
		return bad("team name", t.Team, "must be 1-64 lower-case letters, digits or '-', not starting with '-'")
	}
	if !nameRE.MatchString(t.Name) {
		return bad("name", t.Name, "must be 1-64 letters, digits, '-' or '_', not starting with '-' or '_'")
	}
	if t.Name == leadName {
		return bad("name", t.Name, "is reserved for the lead")
	}
	want := t.Name + "@" + t.Team
	if t.AgentID == "" {
		t.AgentID = want
	} else if t.AgentID != want {
		return bad("agent id", t.AgentID, "must be "+want)
	}
	if t.Color != "" && !colorRE.MatchString(t.Color) {
		return bad("color", t.Color, "must be a lower-case colour word")
	}
	if t.Model != "" && !modelRE.MatchString(t.Model) {
		return bad("model", t.Model, "must be a model name or id (letters, digits and . _ : / @ + [ ] -, not starting with a symbol)")
	}
	if t.AgentType != "" && !agentTypeRE.MatchString(t.AgentType) {
		return bad("agent type", t.AgentType, "must be letters, digits and . _ : - (not starting with a symbol)")
	}
	if t.LeadSessionID != "" && !sessionIDRE.MatchString(t.LeadSessionID) {
		return bad("lead session id", t.LeadSessionID, "must be an id (letters, digits and . _ : -)")
	}
	if err := ValidatePermissionMode(t.PermissionMode); err != nil {
		return Teammate{}, err
	}
	if err := checkAbsPath(t.Cwd); err != nil {
		return bad("cwd", t.Cwd, err.Error())
	}
	t.Cwd = filepath.Clean(t.Cwd)
	if t.DataRoot != "" {
		if err := checkAbsPath(t.DataRoot); err != nil {
			return bad("data root", t.DataRoot, err.Error())
		}
		t.DataRoot = filepath.Clean(t.DataRoot)
	}
	return t, nil
}

// checkAbsPath accepts an absolute path without control characters.
func checkAbsPath(p string) error {
	if !isAbs(p) {
		return fmt.Errorf("must be an absolute path")
	}
	if hasControl(p) {
		return fmt.Errorf("must not contain control characters")
	}
	return nil
}

// isAbs is filepath.IsAbs for the Unix-like systems tmux runs on.
func isAbs(p string) bool {
	return strings.HasPrefix(p, "/") && filepath.IsAbs(p)
}

// hasControl reports whether s holds a NUL, newline or other control byte.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}
