package supervisor

import (
	"context"
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// socketNoteFrom is the sender of the lead messages about the status
// socket (not a teammate: the supervisor itself).
const socketNoteFrom = "claude-teams"

// serveSocket listens on the team's status socket until ctx ends. When the
// usual directory is not ours (another user made it first under /tmp, say)
// it listens at the fallback under the data root, where our clients look
// next, and tells the lead so: the log alone is not seen by the person. A
// team with no socket at all is told to the lead as well, since every other
// process of ours then finds no supervisor.
func (t *team) serveSocket(ctx context.Context) {
	root := t.store.Root()
	s, err := statussock.ListenTeam(root, t.name, os.Getuid(), t.m.cfg.RuntimeDir)
	if err != nil {
		t.log.Error("status socket failed", zap.Error(err))
		t.notes.push(leadNote{from: socketNoteFrom, summary: "status socket unavailable",
			text: fmt.Sprintf("claude-teams could not open the status socket of team %s: %v. "+
				"Other claude-teams processes (teammates' servers, `claude-teams supervisor status`) "+
				"cannot reach this supervisor.", t.name, err)})
		return
	}
	if r := s.Refused(); r != nil {
		t.log.Warn("status socket at fallback", zap.String("socket", s.Path()), zap.NamedError("refused", r))
		t.notes.push(leadNote{from: socketNoteFrom, summary: "status socket moved to a private directory",
			text: fmt.Sprintf("claude-teams refused the usual status socket place of team %s (%v) "+
				"and listens at %s instead; our own processes find it there. "+
				"Someone else may have made that directory on purpose.", t.name, r, s.Path())})
	}
	if err := s.Serve(ctx, t, t.log); err != nil {
		t.log.Error("status socket failed", zap.String("socket", s.Path()), zap.Error(err))
	}
}
