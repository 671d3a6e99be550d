package mcp

import (
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// splitTeammates returns the teammates of cfg whose names pass
// protocol.ValidateMemberName, and a note naming those that do not (""
// if none). A bad name in config.json (written by hand or by another
// tool) is skipped and reported: it is never a reason to fail a call for
// everyone else, and no path is built from it.
func (s *Server) splitTeammates(team string, cfg protocol.TeamConfig) (good []string, note string) {
	var bad []string
	for _, name := range teammateNames(cfg) {
		if err := protocol.ValidateMemberName(name); err != nil {
			s.log.Warn("member with an invalid name skipped", zap.String("team", team), zap.String("member", name), zap.Error(err))
			bad = append(bad, fmt.Sprintf("%q (%v)", name, err))
			continue
		}
		good = append(good, name)
	}
	if len(bad) > 0 {
		note = fmt.Sprintf("warning: skipped %d member(s) of team %q whose names are invalid in config.json: %s",
			len(bad), team, strings.Join(bad, "; "))
	}
	return good, note
}
