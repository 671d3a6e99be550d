package supervisor

import (
	"context"
	"fmt"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// snapshotReq asks the owner loop for a copy of its teammates' facts
// (name "" = all).
type snapshotReq struct {
	name  string
	reply chan snapshot
}

type snapshot struct {
	mates []mateView
	conn  *tmuxcc.Conn // for captures outside the loop; nil when disconnected
}

func (*snapshotReq) isRequest() {}

func (t *team) snapshot(name string) snapshot {
	s := snapshot{conn: t.conn}
	if name != "" {
		if m := t.mates[name]; m != nil {
			s.mates = append(s.mates, t.view(m))
		}
		return s
	}
	for _, m := range t.mates {
		s.mates = append(s.mates, t.view(m))
	}
	return s
}

func (t *team) ownSnapshot(ctx context.Context, name string) (snapshot, error) {
	ch := make(chan snapshot, 1)
	return ask(ctx, t, &snapshotReq{name: name, reply: ch}, ch)
}

// Status reports every teammate of the config: the owner loop's view plus
// unread messages and owned tasks read from the files.
func (t *team) Status(ctx context.Context, team string) (protocol.TeamStatus, error) {
	if err := t.checkTeam(team); err != nil {
		return protocol.TeamStatus{}, err
	}
	cfg, err := t.store.ReadConfig(team)
	if err != nil {
		return protocol.TeamStatus{}, fmt.Errorf("status %s: %w", team, err)
	}
	snap, err := t.ownSnapshot(ctx, "")
	if err != nil {
		return protocol.TeamStatus{}, fmt.Errorf("status %s: %w", team, err)
	}
	views := map[string]mateView{}
	for _, v := range snap.mates {
		views[v.name] = v
	}
	owned, _ := t.store.ReadTasks(team) // a report: no tasks when unreadable
	st := protocol.TeamStatus{Name: team, Supervised: true, SupervisorPID: t.pid, Teammates: []protocol.TeammateStatus{}}
	for _, mem := range cfg.Members {
		if mem.Name == protocol.LeadName {
			continue
		}
		v, ok := views[mem.Name]
		st.Teammates = append(st.Teammates, t.teammateStatus(team, mem, v, ok, mem.OwnedTaskIDs(owned)))
	}
	return st, nil
}

func (t *team) teammateStatus(team string, mem protocol.Member, v mateView, known bool, tasks []string) protocol.TeammateStatus {
	ts := protocol.TeammateStatus{
		Name: mem.Name, AgentID: mem.AgentID, Backend: mem.BackendType,
		PaneID: mem.TmuxPaneID, State: protocol.StateUnknown, Tasks: tasks,
		SessionID: mem.SessionID,
	}
	if known {
		if v.session.id != "" || v.session.resumed {
			ts.SessionID = v.session.id
		}
		ts.Resumed = v.session.resumed
		ts.PaneID, ts.PID, ts.State = v.paneID, v.pid, v.state
		ts.Alive = v.state.Alive()
		ts.ExitStatus, ts.Signal = v.exitStatus, v.signal
		ts.Restarts, ts.Failures, ts.Health = v.restarts, v.failures, v.health
		ts.HealthReason = v.healthReason
		ts.StartedAt, ts.LastOutputAt = statefile.FormatTime(v.startedAt), statefile.FormatTime(v.lastOutput)
		ts.NextRestartAt = statefile.FormatTime(v.nextRestart)
		ts.Window, ts.RestartError = windowLabel(v.windowName, v.windowID), v.restartErr
		ts.LeadSigned = v.leadSigned
		if ts.Backend == "" {
			ts.Backend = v.backend
		}
	}
	if n, _, err := t.store.Unread(team, mem.Name); err == nil {
		ts.Unread = n
	}
	return ts
}

// Capture returns the teammate's rendered screen, readable, at most lines
// lines; after the pane died, the screen saved at its death.
func (t *team) Capture(ctx context.Context, team, agent string, lines int) (string, error) {
	if err := t.checkTeam(team); err != nil {
		return "", err
	}
	if err := protocol.ValidateAgentName(agent); err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	if lines <= 0 {
		lines = 20
	}
	snap, err := t.ownSnapshot(ctx, agent)
	if err != nil {
		return "", fmt.Errorf("capture %s: %w", agent, err)
	}
	if len(snap.mates) == 0 {
		return "", fmt.Errorf("capture %s: %w", agent, ErrNoTeammate)
	}
	v := snap.mates[0]
	if v.state.Alive() && snap.conn != nil {
		if s, err := capturePane(ctx, snap.conn, v.paneID, lines); err == nil {
			return s, nil
		}
		// It may have died meanwhile: ask again for the saved screen.
		if s2, err := t.ownSnapshot(ctx, agent); err == nil && len(s2.mates) > 0 {
			v = s2.mates[0]
		}
	}
	if v.screen != "" || !v.state.Alive() {
		return lastLines(v.screen, lines), nil
	}
	if v.out != nil {
		return readable(string(v.out.Snapshot()), lines), nil
	}
	return "", fmt.Errorf("capture %s: no connection to tmux", agent)
}

// ownedTaskIDs returns the ids of mem's unfinished tasks (none when the
// task list cannot be read: status is a report, not a check).
func (t *team) ownedTaskIDs(mem protocol.Member) []string {
	tasks, _ := t.store.ReadTasks(t.name)
	return mem.OwnedTaskIDs(tasks)
}
