package supervisor

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// ErrStillRunning is returned (wrapped) when a teammate is started under a
// name whose previous process is still running or being stopped.
var ErrStillRunning = errors.New("supervisor: teammate still running")

// spawnReq asks the owner loop to start a teammate's pane.
type spawnReq struct {
	name, agentID, backend, color string
	restart                       protocol.RestartPolicy
	launch                        backends.Launch
	// respawn keeps the counters of the teammate's earlier runs (a restart).
	respawn bool
	// auto marks an automatic restart: the dead pane is replaced, the
	// lead is told.
	auto bool
	// join is the member a new spawn writes to config.json once the pane
	// exists: recorded as joining in the state file before (join.go).
	join  *protocol.Member
	reply chan spawnResult
}

type spawnResult struct {
	pane paneInfo
	err  error
}

func (*spawnReq) isRequest() {}

// askSpawn asks the owner loop to start mem's pane (doSpawn); respawn
// keeps the counts of its earlier runs (a restart). It runs in the
// caller's goroutine.
func (t *team) askSpawn(ctx context.Context, mem protocol.Member, restart protocol.RestartPolicy, l backends.Launch, respawn bool) (paneInfo, error) {
	ch := make(chan spawnResult, 1)
	res, err := ask(ctx, t, &spawnReq{
		name: mem.Name, agentID: mem.AgentID, backend: mem.BackendType, color: mem.Color,
		restart: restart, launch: l, respawn: respawn, reply: ch,
	}, ch)
	if err == nil {
		err = res.err
	}
	return res.pane, err
}

// setPaneID records the teammate's pane in config.json (tmuxPaneId), and
// in the same write its conversation (sessionId).
func (t *team) setPaneID(name, pane, session string) (protocol.Member, error) {
	return t.store.UpdateMember(t.name, name, func(x *protocol.Member) error {
		x.TmuxPaneID, x.SessionID = pane, session
		return nil
	})
}

// doSpawn creates the pane, registers the teammate and starts watching it.
func (t *team) doSpawn(ctx context.Context, r *spawnReq) spawnResult {
	if t.tearingDown {
		return spawnResult{err: fmt.Errorf("spawn %s: %w", r.name, ErrTearingDown)}
	}
	old := t.mates[r.name]
	if old != nil && (!old.processDone() || old.stopping) {
		return spawnResult{err: fmt.Errorf("spawn %s: %w", r.name, ErrStillRunning)}
	}
	if err := t.ensureConn(ctx); err != nil {
		return spawnResult{err: fmt.Errorf("spawn %s: %w", r.name, err)}
	}
	if r.join != nil {
		t.beginJoin(*r.join)
	}
	var p paneInfo
	var err error
	// Only a dead pane still ours is replaced: a stale id may name
	// someone else's pane now (identity.go); a kept dead pane (a manual
	// restart beside the lead) was ours when it was kept.
	if old != nil && ((r.auto && t.panes[old.paneID] == old) || (r.respawn && old.keptDead)) {
		p, err = t.replacePane(ctx, old.paneID, old.windowID, r.name, r.color, r.agentID, r.launch)
	} else {
		if old != nil && old.keptDead {
			// Not a restart after all: the kept dead pane goes.
			t.killPane(ctx, old.paneID)
			t.unplace(ctx, old.name)
			old.keptDead = false
		}
		p, err = t.newPane(ctx, r.name, r.color, r.agentID, r.launch)
	}
	if err == nil {
		if err = checkStartPath(p, r.launch.Dir); err != nil {
			t.conn.UnwatchOutput(p.pane)
			t.killPane(ctx, p.pane)
			t.unplace(ctx, r.name)
		}
	}
	if err != nil {
		t.dropJoin(r.name, true)
		return spawnResult{err: fmt.Errorf("spawn %s: %w", r.name, err)}
	}
	if paneMadeHook != nil {
		stage := "spawn"
		if r.respawn || r.auto {
			stage = "restart"
		}
		paneMadeHook(r.name, stage)
	}
	t.joinPane(r.name, p.pane)
	p.windowName = t.windowName(ctx, p.pane)
	now := t.now()
	m := &mate{
		name: r.name, agentID: r.agentID, backend: r.backend, color: r.color, restart: r.restart,
		paneID: p.pane, windowID: p.window, windowName: p.windowName, pid: p.pid, pidStart: tmuxconv.ProcStart(p.pid),
		startedAt: now, exited: make(chan struct{}),
		guard: newGuard(r.launch, old),
	}
	t.startSession(m, old, r.launch, r.respawn)
	if old != nil {
		delete(t.panes, old.paneID)
		if r.respawn {
			m.reported = old.reported
			if m.restart == "" {
				m.restart = old.restart
			}
		}
	}
	t.mates[m.name] = m
	t.panes[m.paneID] = m
	if err := t.watch(m); err != nil {
		t.killPane(ctx, p.pane)
		t.unplace(ctx, m.name)
		delete(t.panes, m.paneID)
		if old != nil {
			t.mates[m.name] = old
			t.panes[old.paneID] = old
		} else {
			delete(t.mates, m.name)
		}
		t.dropJoin(r.name, true)
		return spawnResult{err: fmt.Errorf("spawn %s: %w", r.name, err)}
	}
	if !r.respawn || t.restarts.Tracker(m.name) == nil {
		// A new teammate under this name: its counts start at zero.
		t.restarts.Forget(m.name)
		t.restarts.Track(m.name, protocol.RestartPolicy(m.restart))
	}
	if r.respawn {
		t.restarts.Restarted(m.name, now)
	}
	t.setState(m, protocol.StateStarting)
	t.startHealth(m, now, false)
	if r.auto {
		ev := t.leadEvent(m, now)
		ev.Kind, ev.Restarts = policy.LeadRestarted, t.restartCount(m)
		ev.Resumed = r.launch.Resumed
		if old != nil && !r.launch.Resumed {
			ev.FreshStart = freshFallback(old.session)
		}
		t.tellLead(ev)
	}
	t.persist()
	return spawnResult{pane: p}
}

// watch starts collecting m's output and watching for its exit.
func (t *team) watch(m *mate) error {
	m.out = t.conn.WatchOutput(m.paneID, t.cfg.OutputLimit)
	if err := t.conn.WatchPane(m.paneID, m.pid); err != nil {
		t.conn.UnwatchOutput(m.paneID)
		m.out = nil
		return fmt.Errorf("watch pane %s: %w", m.paneID, err)
	}
	return nil
}

// ensureConn connects to tmux if we are not connected: to the server a
// previous owner recorded, else to the one this process's configuration
// names (creating our session there). Teammates believed alive are
// re-adopted on the new connection (see reconnect).
func (t *team) ensureConn(ctx context.Context) error {
	if t.conn != nil {
		return nil
	}
	if tp, ok := t.recorded(); ok {
		err := t.reconnect(ctx, tp, true)
		if err == nil {
			return nil
		}
		t.log.Info("recorded tmux server unusable", zap.String("socket", tp.socketPath), zap.Error(err))
	}
	return t.reconnect(ctx, ownTopology(t.cfg, t.name), true)
}

// recorded is the topology of the state file, if any. When this process
// runs in the same tmux server, its own lead pane and mode win (the lead may
// have restarted in another pane, or switched to windows).
func (t *team) recorded() (topology, bool) {
	tp, ok := recordedTopology(t.name, t.server)
	if !ok {
		return tp, false
	}
	own := ownTopology(t.cfg, t.name)
	switch {
	case tp.mode == statefile.ModePrivate:
		tp.configFile = t.cfg.TmuxConfigFile
	case own.mode != statefile.ModePrivate && own.socketPath == tp.socketPath && own.leadPane != "":
		tp.mode, tp.leadPane = own.mode, own.leadPane
	}
	return tp, true
}

// connect dials tmux for topology tp and makes it the team's connection.
func (t *team) connect(ctx context.Context, tp topology, create bool) error {
	if tp.mode != statefile.ModePrivate && serverGone(tp.socketPath) {
		// Never start a server of our own on the person's socket path.
		return fmt.Errorf("connect to tmux: no server at %s", tp.socketPath)
	}
	dctx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	defer cancel()
	conn, err := tmuxcc.Dial(dctx, tp.dialConfig(t.cfg, t.name, create))
	if err != nil {
		return fmt.Errorf("connect to tmux: %w", err)
	}
	old := t.topo
	t.topo = tp
	if err := t.resolve(dctx, conn); err != nil {
		_ = conn.Close()
		t.topo = old
		return fmt.Errorf("connect to tmux: %w", err)
	}
	t.conn, t.events = conn, conn.Events()
	t.server = t.noteServer(t.topo.info())
	t.stopRedial()
	t.log.Info("control connection up", zap.String("mode", tp.mode),
		zap.String("socket", t.topo.socketPath), zap.String("session", tp.session), zap.Int("client_pid", conn.ClientPID()))
	return nil
}
