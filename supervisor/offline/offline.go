package offline

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// Config tells an Reader where to look.
type Config struct {
	// Store reads config.json, the inboxes, the tasks and our state file.
	Store *protocol.Store
	// Servers are the tmux servers to look for panes in, in order of
	// preference, after the server the team's state file records (always
	// tried first). Typically the private server (Name "claude-teams") and,
	// inside tmux, the enclosing one (Socket from $TMUX).
	Servers []tmuxconv.TmuxServer
	// Tmux is the tmux binary; "" means "tmux".
	Tmux string
	// Run runs tmux; nil means ExecRunner.
	Run tmuxconv.Runner
}

// Reader reports teams' status without their supervisor, from the
// files (config.json, the state file, inboxes, tasks) and from tmux
// directly: one list-panes subprocess per tmux server, whose answer it
// keeps for its whole life — make a new reader for a fresh look. It is safe
// for concurrent use.
type Reader struct {
	cfg Config

	mu      sync.Mutex
	listing map[tmuxconv.TmuxServer]paneListing // guarded by mu
}

// paneListing is one server's list-panes answer.
type paneListing struct {
	panes   []tmuxconv.Pane
	running bool  // a server answered
	err     error // tmux failed for another reason than "no server"
}

// NewReader returns a reader for cfg.
func NewReader(cfg Config) *Reader {
	return &Reader{cfg: cfg, listing: map[tmuxconv.TmuxServer]paneListing{}}
}

// Status is NewReader(cfg).Status(ctx, team).
func Status(ctx context.Context, cfg Config, team string) (protocol.TeamStatus, error) {
	return NewReader(cfg).Status(ctx, team)
}

// TmuxErr returns the first error tmux gave (other than "no server
// running"), so a caller can say why states are unknown. Nil when tmux
// answered or simply had no server.
func (r *Reader) TmuxErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.listing {
		if l.err != nil {
			return l.err
		}
	}
	return nil
}

// panes lists srv's panes once per reader.
func (r *Reader) panes(ctx context.Context, srv tmuxconv.TmuxServer) paneListing {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.listing[srv]; ok {
		return l
	}
	panes, running, err := tmuxconv.ListPanes(ctx, r.cfg.Run, r.cfg.Tmux, srv)
	l := paneListing{panes: panes, running: running, err: err}
	r.listing[srv] = l
	return l
}

// Status reports team as well as can be told without its supervisor:
// Supervised false, SupervisorPID 0. A teammate is running when its pane
// lives, exited or crashed when the pane is dead (from tmux's exit status
// and signal), stopped or failed when the state file says so and the pane
// is gone, and unknown otherwise. Restarts, failures and start time come
// from the state file; unread counts and owned unfinished tasks from the
// team's files. Health, last output and next restart need a supervisor
// and stay empty.
func (r *Reader) Status(ctx context.Context, team string) (protocol.TeamStatus, error) {
	if err := protocol.ValidateTeamName(team); err != nil {
		return protocol.TeamStatus{}, err
	}
	store := r.cfg.Store
	cfg, err := store.ReadConfig(team)
	if err != nil {
		return protocol.TeamStatus{}, fmt.Errorf("status of %s: %w", team, err)
	}
	// A corrupt state file only costs us restart counts: carry on.
	state, _ := statefile.LoadTeamState(store, team)

	servers := r.cfg.Servers
	if state.Server.SocketPath != "" {
		servers = append([]tmuxconv.TmuxServer{{Socket: state.Server.SocketPath}}, servers...)
	}
	var listings []paneListing
	seen := map[tmuxconv.TmuxServer]bool{}
	for _, srv := range servers {
		if !seen[srv] {
			seen[srv] = true
			listings = append(listings, r.panes(ctx, srv))
		}
	}

	tasks, _ := store.ReadTasks(team) // status is a report, not a check: no tasks when unreadable
	root := tmuxconv.RootHash(tmuxconv.CanonicalRoot(store.Root()))
	out := protocol.TeamStatus{Name: team, Teammates: []protocol.TeammateStatus{}}
	for _, m := range cfg.Members {
		if m.Name == protocol.LeadName || m.AgentType == protocol.LeadName {
			continue
		}
		ts := offlineTeammate(team, root, m, state.Teammates[m.Name], listings)
		if n, _, err := store.Unread(team, m.Name); err == nil {
			ts.Unread = n
		}
		ts.Tasks = m.OwnedTaskIDs(tasks)
		out.Teammates = append(out.Teammates, ts)
	}
	return out, nil
}

// offlineTeammate builds one teammate's status from its member entry, its
// state-file entry and the tmux listings (in order of preference); root is
// our data root's PaneRootOption value.
func offlineTeammate(team, root string, m protocol.Member, saved statefile.TeammateState, listings []paneListing) protocol.TeammateStatus {
	agentID := cmp.Or(m.AgentID, protocol.AgentID(m.Name, team))
	ts := protocol.TeammateStatus{
		Name:     m.Name,
		AgentID:  agentID,
		Backend:  cmp.Or(m.BackendType, saved.Backend),
		PaneID:   cmp.Or(saved.PaneID, m.TmuxPaneID),
		State:    protocol.StateUnknown,
		Restarts: saved.Restarts,
		Failures: saved.Failures,
		Tasks:    []string{},
		// What the last launch the state file records got.
		LeadSigned: saved.LeadVerifyKey != "",
		// The state file first (it knows whether the last start resumed),
		// else the member record.
		SessionID: cmp.Or(saved.SessionID, m.SessionID),
		Resumed:   saved.Resumed && saved.SessionID != "",
	}
	pane, found, why := findPane(listings, agentID, root, saved, m.TmuxPaneID)
	ts.HealthReason = why
	if !found {
		// Pane gone (or no server): the last word of the state file
		// stands for the states that need no live pane.
		switch saved.State {
		case protocol.StateStopped, protocol.StateFailed, protocol.StateExited, protocol.StateCrashed:
			ts.State = saved.State
			ts.ExitStatus = saved.ExitStatus
			ts.Signal = saved.Signal
		}
		return ts
	}
	ts.PaneID = pane.ID
	ts.Window = pane.Window
	ts.PID = pane.PID
	if saved.PaneID == pane.ID {
		ts.StartedAt = saved.StartedAt
	}
	if !pane.Dead {
		ts.State = protocol.StateRunning
		ts.Alive = true
		return ts
	}
	ts.ExitStatus = pane.ExitStatus
	ts.Signal = pane.Signal
	switch {
	case saved.PaneID == pane.ID && (saved.State == protocol.StateStopped || saved.State == protocol.StateFailed):
		ts.State = saved.State
	case pane.Signal != "" || pane.ExitStatus != nil && *pane.ExitStatus != 0:
		ts.State = protocol.StateCrashed
	case pane.ExitStatus != nil:
		ts.State = protocol.StateExited
	default:
		// Dead but not yet reaped by tmux (TMUX.md: lost SIGCHLD): the
		// status is not known yet.
		ts.State = protocol.StateUnknown
	}
	return ts
}

// findPane finds the agent's pane: first a pane tagged with its agent id
// (the one with a recorded id, else a live one, else any), then an
// untagged pane with one of the recorded ids (the state file's, then
// config.json's). Panes tagged with another data root (PaneRootOption;
// root is ours) or as another agent's are never it. An untagged pane on
// the id the state file recorded with a process must pass the owner's rule
// (tmuxconv.Identity: same pid, same start time): after a tmux restart
// that id may be the person's editor. When a pane is refused, or taken by
// its id alone (nothing recorded its process: a native teammate's pane),
// why says so. Servers are searched in order.
func findPane(listings []paneListing, agentID, root string, saved statefile.TeammateState, configPane string) (p tmuxconv.Pane, found bool, why string) {
	paneIDs := []string{saved.PaneID, configPane}
	var tagged []tmuxconv.Pane
	for _, l := range listings {
		for _, p := range l.panes {
			if p.Agent == agentID && p.Ours(agentID, root) {
				tagged = append(tagged, p)
			}
		}
	}
	if i := slices.IndexFunc(tagged, func(p tmuxconv.Pane) bool { return slices.Contains(paneIDs, p.ID) }); i >= 0 {
		return tagged[i], true, ""
	}
	if i := slices.IndexFunc(tagged, func(p tmuxconv.Pane) bool { return !p.Dead }); i >= 0 {
		return tagged[i], true, ""
	}
	if len(tagged) > 0 {
		return tagged[0], true, ""
	}
	id := tmuxconv.Identity{AgentID: agentID, Root: root, PID: saved.PID, PIDStart: saved.PIDStart}
	for _, l := range listings {
		for _, p := range l.panes {
			if p.Agent != "" || p.Root != "" || p.ID == "" || !slices.Contains(paneIDs, p.ID) {
				continue
			}
			if p.ID == saved.PaneID && saved.PID > 0 {
				if ok, reason := id.Proves(p); !ok {
					why = fmt.Sprintf("pane %s is not this teammate's (%s): left out", p.ID, reason)
					continue
				}
				return p, true, ""
			}
			return p, true, fmt.Sprintf("pane %s is untagged and no process was recorded for it: taken as the teammate's by its id alone", p.ID)
		}
	}
	return tmuxconv.Pane{}, false, why
}
