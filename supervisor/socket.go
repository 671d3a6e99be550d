package supervisor

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// socketNoteFrom is the sender of the lead messages about the status
// socket (not a teammate: the supervisor itself).
const socketNoteFrom = "claude-teams"

// serveSocket serves the team's status socket s (already listening, see
// ownOrNil) until ctx ends. When the usual directory was not ours (another
// user made it first under /tmp, say) s listens at the fallback under the
// data root, where our clients look next, and the lead is told so: the log
// alone is not seen by the person.
func (t *team) serveSocket(ctx context.Context, s *statussock.SocketServer) {
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
