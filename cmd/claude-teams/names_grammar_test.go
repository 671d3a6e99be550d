package main

import (
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// TestOneNameGrammar holds the one grammar for team and agent names:
// protocol (used by mcp, supervisor and the status socket) and backends'
// argv check (which may import nothing of ours) accept exactly the same
// names, so a team team_create accepts never fails every spawn.
func TestOneNameGrammar(t *testing.T) {
	cfg := backends.Config{Self: "/bin/claude-teams", LookPath: func(string) (string, error) { return "/bin/claude", nil }}
	names := []string{"a", "alpha", "team-2", "9lives", strings.Repeat("a", 64), strings.Repeat("a", 65),
		"-x", "--help", "_x", "A", "Alpha", "my_team", "w_1", "W-1", "a b", "a.b", "", "é"}
	for _, n := range names {
		team := protocol.ValidateTeamName(n) == nil
		_, err := cfg.Launch("claude", backends.Teammate{Team: n, Name: "w1", Cwd: "/"})
		if team != (err == nil) {
			t.Errorf("team %q: protocol ok=%v, backends err=%v", n, team, err)
		}
		agent := protocol.ValidateAgentName(n) == nil
		_, err = cfg.Launch("claude", backends.Teammate{Team: "alpha", Name: n, Cwd: "/"})
		if agent != (err == nil) {
			t.Errorf("agent %q: protocol ok=%v, backends err=%v", n, agent, err)
		}
	}
}
