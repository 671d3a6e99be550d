package supervisor

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// teardownReq runs a teardown in two steps: the first marks the team as
// going away and lists the teammates to stop (the caller stops them through
// ordinary stop requests); the final one removes what is left in tmux and
// ends the owner loop.
type teardownReq struct {
	final bool
	reply chan teardownResult
}

type teardownResult struct {
	names []string
	err   error
}

func (*teardownReq) isRequest() {}

// doTeardown serves both steps; it returns true when the loop must end.
func (t *team) doTeardown(ctx context.Context, r *teardownReq) bool {
	if !r.final {
		t.tearingDown = true
		if t.conn == nil {
			if tp, ok := t.recorded(); ok {
				if err := t.connect(ctx, tp, false); err != nil {
					t.log.Info("teardown: recorded tmux server unusable", zap.Error(err))
				}
			}
		}
		var names []string
		for name, m := range t.mates {
			if !m.processDone() || m.state != protocol.StateStopped {
				names = append(names, name)
			}
		}
		r.reply <- teardownResult{names: names}
		return false
	}
	if t.conn != nil {
		t.removeLeftovers(ctx)
		if t.sessionShared(ctx) {
			t.log.Info("teardown: our session also holds another data root's team: left in place", zap.String("session", t.topo.session))
		} else {
			_, _ = t.conn.Command(ctx, "kill-session", "-t", "="+t.topo.session)
		}
	}
	t.log.Info("team torn down", zap.String("session", t.topo.session))
	t.persist()
	// The caller removes the team's files once we reply: deliver pending
	// lead notifications now, and let cleanup write nothing after the reply
	// (its state file write used to recreate the deleted team directory).
	t.notes.close()
	t.tornDown = true
	r.reply <- teardownResult{}
	return true
}

// removeLeftovers kills every pane of the server that carries one of this
// team's agent ids, known to us or not, unless it is tagged as another data
// root's.
func (t *team) removeLeftovers(ctx context.Context) {
	rows, err := t.listPanes(ctx)
	if err != nil {
		t.log.Warn("teardown: list panes", zap.Error(err))
		return
	}
	for _, row := range rows {
		if strings.HasSuffix(row.Agent, "@"+t.name) && row.Root == t.rootTag {
			t.killPane(ctx, row.ID)
		}
	}
}

// sessionShared reports whether our session holds panes of another data
// root's team (a private server's session is named after the team alone).
func (t *team) sessionShared(ctx context.Context) bool {
	rows, err := t.listPanes(ctx, "-s", "-t", "="+t.topo.session)
	if err != nil {
		return false
	}
	for _, row := range rows {
		if row.Root != "" && row.Root != t.rootTag {
			return true
		}
	}
	return false
}

// connLost handles the end of the control connection: with teammates to
// watch, reconnect with backoff; otherwise stay disconnected until needed.
func (t *team) connLost(ctx context.Context) {
	err := t.conn.Err()
	_ = t.conn.Close()
	t.conn = nil
	for _, m := range t.mates {
		if m.out != nil {
			m.lastOutput = m.lastOutputAt()
			m.out = nil
		}
	}
	if t.tearingDown || ctx.Err() != nil {
		return
	}
	live := t.liveMates()
	t.log.Warn("control connection lost", zap.Error(err), zap.Int("live", len(live)))
	if len(live) == 0 {
		return
	}
	t.redial = redialState{since: t.now()}
	t.scheduleRedial()
}

// serverGone reports whether nothing listens on a tmux server socket any
// more (no file, or connection refused): the server is gone for good.
func serverGone(path string) bool {
	if path == "" {
		return false
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		_ = c.Close()
		return false
	}
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}

// liveMates are the teammates whose process we believe runs.
func (t *team) liveMates() []*mate {
	var live []*mate
	for _, m := range t.mates {
		if !m.processDone() {
			live = append(live, m)
		}
	}
	return live
}
