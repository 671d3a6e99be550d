package supervisor

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// Joining: a spawned member reaches config.json in one step, with its pane
// id. The owner loop records the member it is about to start in the state
// file (TeammateState.Joining) before the pane exists and adds the pane id
// to that record once it does; the spawn then writes the member to
// config.json with its pane id and asks the loop to drop the record. An
// owner that dies between the two steps leaves the record, and the next
// owner finishes the spawn from it (finishJoins) before it adopts panes.

// joinDone tells the owner loop that a joining member is in config.json (or
// that its spawn was given up): the record goes.
type joinDone struct {
	name  string
	reply chan struct{}
}

func (*joinDone) isRequest() {}

// afterPaneHook, when set (by tests only), runs in Spawn once the pane
// exists and before the member is written to config.json.
var afterPaneHook func(agent string)

// paneMadeHook, when set (by tests only), runs in the owner loop once a
// pane exists, before anything records it: stage "spawn" (a new teammate's
// pane, placed), "restart" (a restart's pane, placed, the dead one gone),
// or, beside the lead, "spawn-hidden" and "restart-hidden" (a new pane
// still out of sight in our own session, placement.go).
var paneMadeHook func(agent, stage string)

// beginJoin records m as joining (before its pane exists) in the state file.
func (t *team) beginJoin(m protocol.Member) {
	m.TmuxPaneID = ""
	t.joining[m.Name] = &m
	t.persist()
}

// joinPane adds the pane of a joining member to its record (written by the
// persist that follows).
func (t *team) joinPane(name, pane string) {
	if j := t.joining[name]; j != nil {
		j.TmuxPaneID = pane
	}
}

// dropJoin forgets a joining record; persist reports whether to write the
// state file now.
func (t *team) dropJoin(name string, persist bool) {
	if _, ok := t.joining[name]; !ok {
		return
	}
	delete(t.joining, name)
	if persist {
		t.persist()
	}
}

func (t *team) onJoinDone(r *joinDone) {
	t.dropJoin(r.name, true)
	r.reply <- struct{}{}
}

// persistJoining adds the joining records to st (see persist).
func (t *team) persistJoining(st *statefile.TeamState) {
	for name, j := range t.joining {
		ts, ok := st.Teammates[name]
		if !ok || ts.PaneID != j.TmuxPaneID {
			// No pane yet, or the mate under this name is an earlier one.
			ts = statefile.TeammateState{AgentID: j.AgentID, Backend: j.BackendType, State: protocol.StateStarting}
		}
		m := *j
		ts.Joining = &m
		st.Teammates[name] = ts
	}
}

// endJoin asks the owner loop to drop name's joining record; a loop that
// has ended leaves it for the next owner, which finds the member written.
func (t *team) endJoin(ctx context.Context, name string) {
	ch := make(chan struct{}, 1)
	if _, err := ask(ctx, t, &joinDone{name: name, reply: ch}, ch); err != nil {
		t.log.Info("joining record left for the next owner", zap.String("agent", name), zap.Error(err))
	}
}

// finishJoins finishes the spawns a previous owner left half-way (st is
// its state file): a member whose pane was made is written to config.json
// with its pane id, so adoption takes the pane over; one without a pane is
// dropped (its record goes with the next persist; a pane it made that the
// record does not name is killed as an orphan, see orphans.go).
// unfinished counts those.
func (t *team) finishJoins(st statefile.TeamState) (unfinished int) {
	for name, ts := range st.Teammates {
		j := ts.Joining
		if j == nil {
			continue
		}
		log := t.log.With(zap.String("agent", name))
		if j.Name != name || j.TmuxPaneID == "" {
			log.Info("unfinished spawn dropped: no pane of it was recorded")
			unfinished++
			continue
		}
		if ts.PaneID != j.TmuxPaneID {
			// The pane was made, the record of it not written: adoption
			// needs the state's pane to match.
			ts.PaneID, ts.State = j.TmuxPaneID, protocol.StateStarting
			st.Teammates[name] = ts
		}
		_, err := t.store.AddMember(t.name, *j)
		switch {
		case err == nil:
			log.Info("unfinished spawn completed: member recorded with its pane", zap.String("pane", j.TmuxPaneID))
		case errors.Is(err, protocol.ErrMemberExists):
			// Written before the previous owner ended (or by someone else).
		default:
			log.Error("unfinished spawn: member not recorded", zap.Error(fmt.Errorf("finish spawn %s: %w", name, err)))
		}
	}
	return unfinished
}
