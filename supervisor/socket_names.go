package supervisor

import (
	"fmt"
	"regexp"
)

// TODO(socket): use the protocol package's validators once they land.

var (
	teamNameRE  = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	agentNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

func checkTeamName(team string) error {
	if !teamNameRE.MatchString(team) {
		return fmt.Errorf("invalid team name %q", team)
	}
	return nil
}

func checkAgentName(agent string) error {
	if !agentNameRE.MatchString(agent) {
		return fmt.Errorf("invalid agent name %q", agent)
	}
	return nil
}
