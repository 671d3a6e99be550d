package supervisor

import (
	"context"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// Orphans. An owner that dies between making a teammate's pane and
// recording it leaves a pane that no record names: a spawn whose joining
// record does not name its pane yet, or a restart whose new pane the member
// record does not name yet (the old, dead pane is still the recorded one).
// Such a pane carries our tags (the agent id and the data root, set on the
// creating command line or right after it), so the next owner finds it on
// the recorded tmux server:
//   - a member whose recorded pane is gone or dead takes over its live
//     orphan: the restart the previous owner was making is finished (the new
//     pane goes into the dead one's cell, the dead one goes, the member
//     record names the new pane), and the teammate is adopted, not restarted
//     a second time; beside the lead, a new pane still out of sight in our
//     own session whose dead cell is gone is killed instead, and the
//     teammate restarted into a place the person sees;
//   - every other orphan (its spawn was never recorded, or its member runs
//     in its recorded pane) is killed, so that no teammate runs twice or
//     unsupervised.
// Only a new owner looks (adoptAtStart): within one owner every pane it made
// is recorded in the same loop step.

// orphanPanes returns, by agent name, the panes of rows tagged with one of
// this team's agent ids and our data root that none of cands (nor any mate
// already known) names. Newest first (tmux pane ids only grow).
func (t *team) orphanPanes(rows map[string]tmuxconv.Pane, cands []*mate) map[string][]tmuxconv.Pane {
	named := make(map[string]bool, len(cands)+len(t.mates))
	for _, m := range cands {
		named[m.paneID] = true
	}
	for _, m := range t.mates {
		named[m.paneID] = true
	}
	out := map[string][]tmuxconv.Pane{}
	for id, row := range rows {
		if named[id] || row.Root != t.rootTag || t.rootTag == "" {
			continue
		}
		name, ok := strings.CutSuffix(row.Agent, "@"+t.name)
		if !ok || protocol.ValidateMemberName(name) != nil {
			continue
		}
		out[name] = append(out[name], row)
	}
	paneNumber := func(id string) int {
		n, ok := tmuxcc.PaneNumber(id)
		if !ok {
			return -1
		}
		return n
	}
	for _, ps := range out {
		sort.Slice(ps, func(i, j int) bool { return paneNumber(ps[i].ID) > paneNumber(ps[j].ID) })
	}
	return out
}

// takeOrphan gives m (whose recorded pane, row if ok, is gone or dead) the
// newest live orphan of its name, finishing the restart that made it; it
// returns the orphan's row, or false when m has none. The orphans left
// under m's name are killed by killOrphans.
func (t *team) takeOrphan(ctx context.Context, orphans map[string][]tmuxconv.Pane, m *mate, row tmuxconv.Pane, ok bool) (tmuxconv.Pane, bool) {
	ps := orphans[m.name]
	i := -1
	for k, p := range ps {
		if !p.Dead {
			i = k
			break
		}
	}
	if i < 0 {
		return tmuxconv.Pane{}, false
	}
	o := ps[i]
	orphans[m.name] = append(ps[:i:i], ps[i+1:]...)
	old := m.paneID
	if t.topo.mode == statefile.ModeSplit && !(ok && row.Dead) && t.outOfSight(ctx, o.Window) {
		// A restart's pane still in a window of our own session, and no
		// dead cell beside the lead to put it in: it goes, and the
		// teammate, whose pane is gone, is restarted and placed anew.
		t.killOrphan(ctx, m.name, o, "out of sight in our own session, and the teammate's cell is gone")
		return tmuxconv.Pane{}, false
	}
	t.log.Info("teammate's new pane found unrecorded: the restart an earlier owner was making is finished",
		zap.String("agent", m.name), zap.String("pane", o.ID), zap.String("recorded_pane", old), zap.Int("pid", o.PID))
	if ok && row.Dead {
		// The dead pane ours; in split mode the new one takes its cell.
		if t.topo.mode == statefile.ModeSplit && row.Window != o.Window {
			if _, err := t.conn.Command(ctx, "swap-pane", "-d", "-s", o.ID, "-t", old); err != nil {
				t.log.Warn("new pane not moved into the dead pane's cell", zap.String("agent", m.name), zap.Error(err))
			} else {
				o.Window = row.Window
			}
		}
		t.killPane(ctx, old)
	}
	m.paneID, m.pid, m.pidStart, m.startedAt = o.ID, 0, 0, t.now()
	name, sid := m.name, m.session.id
	t.goHelper(func() { t.recordPane(name, old, o.ID, sid) })
	return o, true
}

// outOfSight reports whether window w is in our own session only (no
// session of the person's shows it), as a restart's new pane is before it
// is swapped into its cell.
func (t *team) outOfSight(ctx context.Context, w string) bool {
	out, err := t.conn.Command(ctx, "display-message", "-p", "-t", w, "#{window_linked}")
	return err == nil && len(out) > 0 && strings.TrimSpace(out[0]) == "0"
}

// killOrphans kills the orphans nobody took.
func (t *team) killOrphans(ctx context.Context, orphans map[string][]tmuxconv.Pane, members map[string]bool) {
	for name, ps := range orphans {
		why := "its spawn was never recorded"
		if members[name] {
			why = "the teammate runs in its recorded pane"
		}
		for _, o := range ps {
			t.killOrphan(ctx, name, o, why)
		}
	}
}

// killOrphan kills orphan o of agent name, saying why.
func (t *team) killOrphan(ctx context.Context, name string, o tmuxconv.Pane, why string) {
	t.log.Warn("pane an earlier owner made but never recorded: killed", zap.String("agent", name),
		zap.String("pane", o.ID), zap.Int("pane_pid", o.PID), zap.Bool("dead", o.Dead), zap.String("why", why))
	t.killPane(ctx, o.ID)
}
