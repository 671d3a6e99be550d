package supervisor

import (
	"context"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// Re-adoption: a new owner takes over the panes recorded in config.json;
// after a lost connection the owner takes its own panes back. Panes that
// died while nobody watched are reported once (deduplicated through the
// state file's reported keys).

// listPanes lists every pane of the server (or of scope, such as
// "-s", "-t", session) by id.
func (t *team) listPanes(ctx context.Context, scope ...string) (map[string]tmuxconv.Pane, error) {
	if len(scope) == 0 {
		scope = []string{"-a"}
	}
	out, err := t.conn.Command(ctx, append(append([]string{"list-panes"}, scope...), "-F", tmuxconv.PaneListFormat)...)
	if err != nil {
		return nil, err
	}
	rows := make(map[string]tmuxconv.Pane, len(out))
	for _, l := range out {
		if p, ok := tmuxconv.ParsePane(l); ok {
			rows[p.ID] = p
		}
	}
	return rows, nil
}

// adoptAtStart loads the state file and adopts the config's teammates.
func (t *team) adoptAtStart(ctx context.Context) {
	st, err := statefile.LoadTeamState(t.store, t.name)
	if err != nil {
		t.log.Warn("state file unreadable", zap.Error(err))
	}
	t.server = st.Server
	unfinished := t.finishJoins(st)
	cfg, err := t.store.ReadConfig(t.name)
	if err != nil {
		t.log.Warn("config unreadable", zap.Error(err))
		return
	}
	var cands []*mate
	for _, mem := range cfg.Members {
		if mem.Name == protocol.LeadName || !strings.HasPrefix(mem.TmuxPaneID, "%") {
			continue
		}
		ts := st.Teammates[mem.Name]
		m := &mate{
			name: mem.Name, agentID: mem.AgentID, backend: mem.BackendType, color: mem.Color,
			paneID: mem.TmuxPaneID, state: protocol.StateUnknown,
		}
		if ts.PaneID == mem.TmuxPaneID {
			m.known = true
			m.pid, m.windowID, m.state = ts.PID, ts.WindowID, ts.State
			m.exitStatus, m.signal, m.reported = ts.ExitStatus, ts.Signal, ts.Reported
			m.startedAt, m.exitedAt = statefile.ParseTime(ts.StartedAt), statefile.ParseTime(ts.ExitedAt)
			m.stopReason = ts.StopReason
			m.pidStart = ts.PIDStart
			m.hs.told = ts.HealthTold
		}
		m.restart = ts.Restart
		m.lastExit = ts.LastExit
		m.guard = guardOf(ts, m.known)
		m.session = sessionFromState(ts, mem)
		t.restarts.Restore(m.name, protocol.RestartPolicy(ts.Restart), restartState(ts))
		cands = append(cands, m)
	}
	if len(cands) == 0 && unfinished == 0 {
		return
	}
	t.sweepOrphans = true
	tp, ok := t.recorded()
	if !ok {
		tp = ownTopology(t.cfg, t.name)
	}
	if err := t.connect(ctx, tp, false); err != nil {
		t.log.Warn("no tmux to adopt from", zap.Error(err))
		if t.tmuxMayRun(ctx, tp) {
			// Unreachable is not dead: adopt once tmux answers.
			t.deferAdopt(tp, cands)
			return
		}
	}
	t.adopt(ctx, cands)
}

// adopt takes over cands: live panes are watched again, dead ones and
// missing ones are handled as exits (reported unless already reported).
func (t *team) adopt(ctx context.Context, cands []*mate) {
	var rows map[string]tmuxconv.Pane
	if t.conn != nil {
		var err error
		if rows, err = t.listPanes(ctx); err != nil {
			t.log.Warn("list panes", zap.Error(err))
		}
	}
	if t.serverChanged && len(cands) > 0 {
		t.log.Warn("tmux server is not the recorded one: no pane adopted by id",
			zap.String("recorded", serverText(t.recordedServer)), zap.String("connected", serverText(t.server)))
	}
	// A new owner also looks for panes its predecessor made but did not
	// record (orphans.go).
	var orphans map[string][]tmuxconv.Pane
	if t.sweepOrphans && rows != nil && !t.serverChanged {
		orphans = t.orphanPanes(rows, cands)
	}
	t.sweepOrphans = false
	members := make(map[string]bool, len(cands))
	for _, m := range cands {
		t.mates[m.name] = m
		members[m.name] = true
		row, ok := rows[m.paneID]
		if ok {
			// The id may name the person's pane or another teammate's now.
			why := "on another tmux server than the recorded one"
			if !t.serverChanged {
				ok, why = t.identity(m).Proves(row)
			} else {
				ok = false
			}
			if !ok {
				t.log.Warn("pane refused", zap.String("agent", m.name), zap.String("pane", m.paneID),
					zap.Int("pane_pid", row.PID), zap.String("why", why))
			}
		}
		if (!ok || row.Dead) && len(orphans[m.name]) > 0 {
			if o, took := t.takeOrphan(ctx, orphans, m, row, ok); took {
				row, ok = o, true
			}
		}
		stop := m.stopReason
		switch {
		case ok && !row.Dead:
			t.adoptLive(ctx, m, row)
		case ok:
			t.adoptDead(ctx, m, row)
		default:
			t.adoptMissing(ctx, m)
		}
		if stop != "" && ok && !m.stopping {
			// The previous owner went away in the middle of a stop:
			// finish it (the process, or at least the dead pane, goes).
			t.doStop(ctx, &stopReq{name: m.name, reason: stop, reply: make(chan error, 1)})
		}
	}
	if orphans != nil {
		t.killOrphans(ctx, orphans, members)
	}
	t.placeAdopted(ctx)
	t.persist()
}

func (t *team) adoptLive(ctx context.Context, m *mate, row tmuxconv.Pane) {
	if m.pid != row.PID || m.pidStart == 0 {
		if m.pid != row.PID {
			m.startedAt = time.Time{}
		}
		m.pidStart = tmuxconv.ProcStart(row.PID)
	}
	m.pid, m.windowID = row.PID, row.Window
	if t.conn != nil {
		m.windowName = t.windowName(ctx, m.paneID)
	}
	if m.startedAt.IsZero() {
		m.startedAt = t.now()
	}
	m.exitStatus, m.signal = nil, ""
	m.known = true
	if m.processDone() {
		m.exited = make(chan struct{})
	}
	t.panes[m.paneID] = m
	if t.topo.mode != statefile.ModePrivate {
		if err := t.linkWindow(ctx, row.Window); err != nil {
			t.log.Warn("link adopted window", zap.String("agent", m.name), zap.Error(err))
		}
	}
	if err := t.watch(m); err != nil {
		t.log.Warn("watch adopted pane", zap.String("agent", m.name), zap.Error(err))
	}
	// Its output before now was not seen: health starts from here, and a
	// teammate that was past starting counts as ready (evalHealth finds
	// out soon whether it is idle, stalled or waiting for input).
	now := t.now()
	wasStarting := m.state == protocol.StateStarting
	t.startHealth(m, now, !wasStarting)
	if m.state.Alive() {
		t.log.Info("teammate adopted", append(t.mateFields(m), zap.String("state", string(m.state)))...)
	}
	if !wasStarting {
		m.health.Update(policy.HealthInput{Now: now, StartedAt: now, Ready: true})
		t.setState(m, protocol.StateRunning, zap.Bool("adopted", true))
	}
	t.adoptHealth(ctx, m)
}

func (t *team) adoptDead(ctx context.Context, m *mate, row tmuxconv.Pane) {
	if m.pid != row.PID {
		m.pidStart = 0 // reaped: nothing left to identify
	}
	m.pid, m.windowID = row.PID, row.Window
	t.panes[m.paneID] = m
	if m.reported == m.exitKey() && !m.state.Alive() {
		// Handled by the previous owner: keep its verdict, refresh the screen.
		if s, err := capturePane(ctx, t.conn, m.paneID, finalScreenLines); err == nil {
			m.screen = s
		}
		return
	}
	if m.processDone() {
		m.exited = make(chan struct{})
	}
	if m.state.Alive() || m.state == protocol.StateUnknown {
		m.state = protocol.StateRunning
	}
	if row.ExitStatus == nil && row.Signal == "" {
		// Dead but not reaped yet (tmux 3.3a's lost SIGCHLD): tmuxcc makes
		// tmux reap it and reports the exit with its status.
		if err := t.conn.WatchPane(m.paneID, 0); err == nil {
			return
		}
	}
	x := exitInfo{Exit: protocol.Exit{Status: row.ExitStatus, Signal: row.Signal}, source: "adopt"}
	if x.Status == nil && x.Signal == "" {
		x.Why = "it died while nobody supervised it"
	}
	t.exitMate(ctx, m, x)
}

func (t *team) adoptMissing(ctx context.Context, m *mate) {
	if !m.known {
		// Never supervised by us (a pane Claude Code recorded itself, say):
		// nothing to report, nothing to watch.
		t.log.Info("teammate pane not found", zap.String("agent", m.name), zap.String("pane", m.paneID))
		m.exited = nil
		return
	}
	if !m.state.Alive() && m.reported == m.exitKey() {
		return // its end was handled before the pane went away
	}
	if m.processDone() {
		m.exited = make(chan struct{})
	}
	if !m.state.Alive() {
		m.state = protocol.StateRunning
	}
	t.exitMate(ctx, m, exitInfo{Exit: protocol.Exit{Why: "its pane vanished while nobody supervised it"}, gone: true, source: "adopt"})
}

// persist writes the state file. A failure is logged: supervision goes on.
// Once the team is torn down nothing is written (its directory may be gone,
// and writing would make it again).
func (t *team) persist() {
	if t.tornDown {
		return
	}
	st := statefile.TeamState{
		SupervisorPID: t.pid,
		UpdatedAt:     statefile.FormatTime(t.now()),
		Server:        t.server,
		Teammates:     make(map[string]statefile.TeammateState, len(t.mates)),
	}
	for name, m := range t.mates {
		st.Teammates[name] = t.toState(m)
	}
	t.persistJoining(&st)
	if err := statefile.SaveTeamState(t.store, t.name, st); err != nil {
		t.log.Error("state file not written", zap.Error(err))
	}
}
