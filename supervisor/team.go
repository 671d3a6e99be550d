package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/clock"
	"github.com/f9449b24/claude-teams/supervisor/layout"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// team is the owner loop of one supervised team (the "team actor"). One
// goroutine, run, owns every field below the line: it selects on its
// context, the control connection's events, typed requests with reply
// channels and timers, in the manner of suture's supervisor loop. Slow work
// (waiting for a process to die, writing the lead's inbox, reading inboxes,
// tasks and config.json) runs in helper goroutines that report back through
// reqs; file reads for status run in the caller's goroutine.
//
// What run itself waits for, by design: tmux round trips over the control
// connection (0.1-2 ms each; a handful per event: the final screen of a
// dead pane, a health screen read, creating a pane), all the tmux work of
// one event or request bounded by Config.CommandTimeout, so a hung tmux
// server cannot stall it for ever; connecting (DialTimeout, only while
// disconnected); the state file write on each state change (temp file,
// fsync, rename: about a millisecond on a local disk); and a list-panes
// subprocess only when reconnecting keeps failing. An exit storm of N
// teammates thus costs about N x (capture + fsync), tens of milliseconds for
// 32; meanwhile events wait in tmuxcc's unbounded queue (never dropped) and
// callers in their own contexts.
type team struct {
	name string
	// cfg is the Manager's configuration (defaults filled in), a value:
	// the team never reaches into its Manager.
	cfg  Config
	pid  int             // this process, reported as the supervisor
	life context.Context // ends with Manager.Close; stops use it
	// loop is the owner loop's context (set by start): it ends when the
	// loop does, and so do the helper processes of the helpers it starts
	// (an opencode session lookup), so that Close never waits on them.
	loop  context.Context
	store *protocol.Store
	log   *zap.Logger
	// rootTag tells our panes from those of a team of the same name in
	// another data root on the same tmux server (PaneRootOption).
	rootTag string
	// busy is the process-wide budget of busy-pane screen reads, shared
	// with every other team of the Manager (safe for concurrent use).
	busy *busyReads

	reqs chan request // requests and helper-goroutine reports; read by run
	// quit is closed when run stops reading reqs; done once it has cleaned
	// up and every goroutine the team started (helpers) has ended.
	quit    chan struct{}
	done    chan struct{}
	helpers sync.WaitGroup
	cancel  context.CancelFunc
	notes   *notifier

	// Owned by run.
	conn        *tmuxcc.Conn
	events      <-chan tmuxcc.Event // conn.Events(), nil when disconnected
	topo        topology
	layout      *layout.Layout              // split mode: where teammate panes go (placement.go); nil otherwise
	mates       map[string]*mate            // by teammate name
	panes       map[string]*mate            // by pane id (current pane only)
	joining     map[string]*protocol.Member // spawns under way, by name (join.go)
	tearingDown bool
	tornDown    bool // the final teardown step ran: write none of the team's files any more
	redial      redialState
	leftover    [][2]string          // panes (id, agent id) a stop could not remove while disconnected
	server      statefile.ServerInfo // where the panes live, for the state file (recorded or connected)
	// serverChanged: the last connect reached another tmux server than the
	// recorded one, whose pane ids mean nothing here (identity.go).
	serverChanged  bool
	recordedServer statefile.ServerInfo // the server recorded before the last connect
	// sweepOrphans: the next adopt is a new owner's first, which also
	// looks for panes its predecessor made but never recorded (orphans.go).
	sweepOrphans bool

	// Policy (owned by run): restart trackers, the lead notification
	// policy, what the work watcher last read, and one timer each.
	restarts     *policy.TeamRestarts
	lead         *policy.LeadNotifier
	work         workFacts
	restartTimer loopTimer // next automatic restart due
	flushTimer   loopTimer // held-back lead notifications
	healthTimer  loopTimer // next health evaluation of any teammate
	stopWork     context.CancelFunc

	// verifiers are the lead guard's, per keyed teammate; owned by the
	// work watcher's goroutine (readForged).
	verifiers map[string]*protocol.LeadVerifier
}

// request is anything sent to the owner loop.
type request interface{ isRequest() }

// redialState tracks reconnection after the control connection ended.
type redialState struct {
	attempts int
	timer    clock.Timer // nil when no redial is pending
	since    time.Time
}

// ErrTeamClosed is returned for calls to a team whose owner loop has ended
// (the process shut down or the team was torn down).
var ErrTeamClosed = errors.New("supervisor: team no longer supervised here")

// ErrNoTeammate is returned (wrapped) for a teammate the supervisor does not
// know.
var ErrNoTeammate = errors.New("supervisor: no such teammate")

// ErrTearingDown is returned (wrapped) for a spawn or restart while the team
// is being torn down.
var ErrTearingDown = errors.New("supervisor: team is being torn down")

// newTeam makes the owner loop of team name; life ends with the Manager,
// pid is this process, log the Manager's logger.
func newTeam(life context.Context, cfg Config, pid int, log *zap.Logger, name string) *team {
	t := &team{
		name:    name,
		cfg:     cfg,
		pid:     pid,
		life:    life,
		store:   cfg.Store,
		log:     log.With(zap.String("team", name)),
		rootTag: tmuxconv.RootHash(tmuxconv.CanonicalRoot(cfg.Store.Root())),
		reqs:    make(chan request),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		mates:   map[string]*mate{},
		joining: map[string]*protocol.Member{},
		panes:   map[string]*mate{},
		busy:    &busyReads{}, // the Manager shares its own
	}
	t.notes = newNotifier(t.store, name, t.log)
	t.restarts = policy.NewTeamRestarts(cfg.Restarts)
	t.lead = policy.NewLeadNotifier(cfg.Notify)
	t.work = newWorkFacts()
	clk := cfg.Clock
	t.restartTimer.clock, t.flushTimer.clock, t.healthTimer.clock = clk, clk, clk
	return t
}

// now is the team's clock reading.
func (t *team) now() time.Time { return t.cfg.Clock.Now() }

// goHelper runs f in a goroutine of the team's: done waits for it, so
// Close returns only after every file f writes is written. f reports back
// with report, never blocking once the loop has quit.
func (t *team) goHelper(f func()) {
	t.helpers.Add(1)
	go func() {
		defer t.helpers.Done()
		f()
	}()
}

// loopCtx is t.loop, or a context that never ends for a team whose loop
// was never started (tests that drive its parts directly).
func (t *team) loopCtx() context.Context {
	if t.loop == nil {
		return context.Background()
	}
	return t.loop
}

// start runs the owner loop in its own goroutine.
func (t *team) start(ctx context.Context) {
	ctx, t.cancel = context.WithCancel(ctx)
	t.loop = ctx
	go t.run(ctx)
}

// send hands r to the owner loop (it does not wait for the reply). It fails
// when ctx ends or the loop has gone.
func (t *team) send(ctx context.Context, r request) error {
	select {
	case t.reqs <- r:
		return nil
	case <-t.quit:
		return ErrTeamClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// report is send for helper goroutines: it gives up only when the loop has
// gone.
func (t *team) report(r request) {
	select {
	case t.reqs <- r:
	case <-t.quit:
	}
}

// await waits for a reply on ch (1-buffered, so the loop never blocks on a
// caller that gave up).
func await[T any](ctx context.Context, t *team, ch <-chan T) (T, error) {
	select {
	case v := <-ch:
		return v, nil
	case <-t.done:
		// The loop may have replied just before ending.
		select {
		case v := <-ch:
			return v, nil
		default:
		}
		var zero T
		return zero, ErrTeamClosed
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// ask sends r and waits for its reply on ch.
func ask[T any](ctx context.Context, t *team, r request, ch <-chan T) (T, error) {
	if err := t.send(ctx, r); err != nil {
		var zero T
		return zero, err
	}
	return await(ctx, t, ch)
}

// run is the owner loop.
func (t *team) run(ctx context.Context) {
	defer close(t.done)
	defer t.helpers.Wait()
	defer t.cleanup()
	defer close(t.quit)
	t.log.Info("supervision started", zap.Int("supervisor_pid", t.pid))
	op := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, t.cfg.CommandTimeout)
	}
	octx, cancel := op()
	t.adoptAtStart(octx)
	cancel()
	t.startWorkWatch(ctx)
	for {
		t.rearm()
		var redial <-chan time.Time
		if t.redial.timer != nil {
			redial = t.redial.timer.C()
		}
		select {
		case <-ctx.Done():
			return
		case r := <-t.reqs:
			octx, cancel := op()
			end := t.handle(octx, r)
			cancel()
			if end {
				return
			}
		case ev, ok := <-t.events:
			octx, cancel := op()
			if !ok {
				t.events = nil
				t.connLost(octx)
			} else {
				t.handleEvent(octx, ev)
			}
			cancel()
		case <-redial:
			t.redial.timer = nil
			octx, cancel := op()
			t.tryRedial(octx)
			cancel()
		case <-t.restartTimer.C():
			t.restartTimer.fired()
			octx, cancel := op()
			t.onRestartDue(octx)
			cancel()
		case <-t.flushTimer.C():
			t.flushTimer.fired()
			t.flushLead()
		case <-t.healthTimer.C():
			t.healthTimer.fired()
			octx, cancel := op()
			t.onHealthDue(octx)
			cancel()
		}
	}
}

// rearm points the policy timers at what is due next: the earliest
// automatic restart, the release of held-back lead notifications, and the
// earliest health evaluation. It runs before every wait of the loop and
// costs one pass over the teammates.
func (t *team) rearm() {
	if t.tornDown {
		t.restartTimer.stop()
		t.flushTimer.stop()
		t.healthTimer.stop()
		return
	}
	next, _ := t.restarts.NextDue()
	t.restartTimer.arm(next)
	flush, _ := t.lead.NextFlush()
	t.flushTimer.arm(flush)
	var health time.Time
	for _, m := range t.mates {
		if !m.checkAt.IsZero() && (health.IsZero() || m.checkAt.Before(health)) {
			health = m.checkAt
		}
	}
	t.healthTimer.arm(health)
}

// handle serves one request; it returns true when the loop must end.
func (t *team) handle(ctx context.Context, r request) bool {
	switch r := r.(type) {
	case *spawnReq:
		r.reply <- t.doSpawn(ctx, r)
	case *stopReq:
		t.doStop(ctx, r)
	case *stopDone:
		t.onStopDone(ctx, r)
	case *snapshotReq:
		r.reply <- t.snapshot(r.name)
	case *restartPrepared:
		t.onRestartPrepared(ctx, r)
	case *reviveReq:
		r.reply <- t.doRevive(r.name)
	case *outputSeen:
		t.onOutputSeen(r)
	case *workUpdate:
		t.onWorkUpdate(r)
	case *sessionFound:
		t.onSessionFound(r)
	case *teardownReq:
		return t.doTeardown(ctx, r)
	case *joinDone:
		t.onJoinDone(r)
	default:
		t.log.Error("unknown request", zap.String("type", fmt.Sprintf("%T", r)))
	}
	return false
}

// handleEvent reacts to one control-mode notification.
func (t *team) handleEvent(ctx context.Context, ev tmuxcc.Event) {
	switch ev := ev.(type) {
	case tmuxcc.PaneExited:
		t.onPaneExited(ctx, ev)
	case tmuxcc.Exit:
		t.log.Info("control client exiting", zap.String("reason", ev.Reason))
	case tmuxcc.HookOutput:
		t.log.Debug("hook output", zap.String("line", ev.Line))
	}
}

// cleanup runs when the loop ends: finish the stops in flight, persist
// (unless the team was torn down: its files may be gone already), detach
// (teammates keep running) and stop the notifier.
func (t *team) cleanup() {
	t.stopRedial()
	t.restartTimer.stop()
	t.flushTimer.stop()
	t.healthTimer.stop()
	t.finishStops()
	if t.stopWork != nil {
		t.stopWork()
	}
	for _, m := range t.mates {
		m.stopWaiter()
	}
	if !t.tornDown {
		t.flushLeadAll()
	}
	t.persist()
	if t.conn != nil {
		_ = t.conn.Close()
		t.conn, t.events = nil, nil
	}
	t.notes.close()
	t.log.Info("supervision ended")
	// The lock is given up by the Manager once the status socket is gone
	// (see ownOrNil): the next owner must find the path free.
}
