package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/clock"
	"github.com/f9449b24/claude-teams/supervisor/layout"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// Launcher says how to start a teammate; backends.Config is one.
type Launcher interface {
	Launch(backend string, t backends.Teammate) (backends.Launch, error)
}

// contextLauncher is a Launcher whose launches may run helper processes
// (backends.Config.LaunchContext: an opencode resume checks its session);
// they end with ctx.
type contextLauncher interface {
	LaunchContext(ctx context.Context, backend string, t backends.Teammate) (backends.Launch, error)
}

// launch is cfg.Backends' Launch, under ctx when the launcher takes one.
func (c Config) launch(ctx context.Context, backend string, t backends.Teammate) (backends.Launch, error) {
	if l, ok := c.Backends.(contextLauncher); ok {
		return l.LaunchContext(ctx, backend, t)
	}
	return c.Backends.Launch(backend, t)
}

// Config configures a Manager. Zero values work except Store and Backends.
type Config struct {
	// Store is the data root (required).
	Store *protocol.Store
	// Backends turns a spawn into argv, environment and working directory
	// (required; cmd passes its backends.Config).
	Backends Launcher
	// DefaultBackend is used for a spawn without a backend. Default "claude".
	DefaultBackend string

	// Tmux is the tmux binary. Default "tmux".
	Tmux string
	// TmuxSocket is the -L name of the private server used when TMUX is
	// empty. Default "claude-teams".
	TmuxSocket string
	// TmuxConfigFile is the -f file of a private server we start. Default
	// "/dev/null" (the user's tmux.conf could hide exits or print on our
	// connection).
	TmuxConfigFile string
	// TmuxMode is the control-client mode (tmux -CC under a pty by default).
	TmuxMode tmuxcc.Mode
	// TmuxEnv is the environment of the tmux client, which a private server
	// it starts passes on to panes; nil inherits this process's.
	TmuxEnv []string
	// TMUX and TMUXPane are the lead's $TMUX and $TMUX_PANE. With TMUX set,
	// teammates go into that server: split the lead's window, or a window
	// each with UseWindows.
	TMUX, TMUXPane string
	UseWindows     bool
	// LeadShare is the lead's percent of its window's width when
	// teammates split it (split mode). Default layout.DefaultLeadShare.
	LeadShare int
	// PaneWidth and PaneHeight size a session we create. Default 200x50.
	PaneWidth, PaneHeight int

	// OutputLimit is the ring buffer of %output bytes kept per pane.
	// Default 256 KiB.
	OutputLimit int
	// HistoryLimit is the history-limit of our sessions. Default 10000.
	HistoryLimit int
	// Restarts tunes backoff, failed starts, giving up and staggering
	// (RestartConfig; zero values are the documented defaults).
	Restarts policy.RestartConfig
	// Health holds the health thresholds (stall, idle, start timeout,
	// screen settle time; HealthConfig).
	Health policy.HealthConfig
	// Notify tunes the lead notification rate limit (NotifyConfig).
	Notify policy.NotifyConfig
	// WorkDebounce is how long the work watcher waits after a change to
	// the team's inboxes or tasks before reading them. Default 100 ms.
	WorkDebounce time.Duration
	// WorkPoll is how often the work watcher reads the inboxes and tasks
	// where file change notification (inotify) is unavailable. Default 5 s.
	WorkPoll time.Duration
	// StopGrace is how long a stop waits after SIGTERM before removing
	// the pane. Default 3 s.
	StopGrace time.Duration
	// DialTimeout bounds connecting to tmux. Default 10 s.
	DialTimeout time.Duration
	// CommandTimeout bounds the tmux work the owner loop does for one
	// event or request (a hung tmux server must not stall supervision for
	// ever). Default 15 s.
	CommandTimeout time.Duration

	// RuntimeDir is $XDG_RUNTIME_DIR, for the status socket path.
	RuntimeDir string
	// Logger receives the supervisor's events. Default zap.NewNop().
	Logger *zap.Logger
	// Clock is the owner loops' time source. Default clock.Real().
	Clock clock.Clock
}

func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, errors.New("supervisor: Config.Store is required")
	}
	if c.Backends == nil {
		return c, errors.New("supervisor: Config.Backends is required")
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.DefaultBackend, protocol.DefaultBackendType)
	def(&c.Tmux, "tmux")
	def(&c.TmuxSocket, "claude-teams")
	def(&c.TmuxConfigFile, "/dev/null")
	if c.LeadShare != 0 && (c.LeadShare < layout.MinLeadShare || c.LeadShare > layout.MaxLeadShare) {
		return c, fmt.Errorf("supervisor: Config.LeadShare %d: must be from %d to %d", c.LeadShare, layout.MinLeadShare, layout.MaxLeadShare)
	}
	if c.PaneWidth <= 0 {
		c.PaneWidth = 200
	}
	if c.PaneHeight <= 0 {
		c.PaneHeight = 50
	}
	if c.OutputLimit <= 0 {
		c.OutputLimit = 256 << 10
	}
	if c.HistoryLimit <= 0 {
		c.HistoryLimit = 10000
	}
	if c.StopGrace <= 0 {
		c.StopGrace = 3 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 15 * time.Second
	}
	if c.WorkDebounce <= 0 {
		c.WorkDebounce = 100 * time.Millisecond
	}
	if c.WorkPoll <= 0 {
		c.WorkPoll = 5 * time.Second
	}
	if _, err := protocol.ParseRestartPolicy(string(c.Restarts.Policy)); err != nil {
		return c, fmt.Errorf("supervisor: Config.Restarts.Policy: %w", err)
	}
	c.Restarts.Policy = c.Restarts.Policy.Or(protocol.RestartNever)
	c.Restarts = c.Restarts.WithDefaults()
	c.Health = c.Health.WithDefaults()
	c.Notify = c.Notify.WithDefaults()
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	return c, nil
}

// Manager supervises teams for one claude-teams process. For each team it
// either owns it (holds the team's supervisor flock, runs its owner loop and
// status socket) or forwards calls to the process that does, taking over
// when that process is gone. Its methods are mcp.Supervisor's. It is safe
// for concurrent use.
type Manager struct {
	cfg Config
	log *zap.Logger
	pid int

	ctx    context.Context // ends with Close; parent of every owner loop
	cancel context.CancelFunc

	mu     sync.Mutex
	owned  map[string]*owned
	remote map[string]*statussock.SocketClient
	closed bool
	wg     sync.WaitGroup

	busyReads busyReads // screen reads of busy panes, for every team
}

// owned is a team this process supervises.
type owned struct {
	t          *team
	stopSocket context.CancelFunc
	socketDone chan struct{}
	socketPath string // where the status socket listens (set once, before o is shared)
	// released is closed once the loop has ended, the status socket is
	// closed (its file removed) and the team's lock given up, in that
	// order: whoever takes the lock next finds the socket path free.
	released chan struct{}
}

// ErrClosed is returned by a Manager's methods after Close.
var ErrClosed = errors.New("supervisor: manager closed")

var _ statussock.Service = (*Manager)(nil)

// NewManager returns a Manager. It starts nothing: teams are supervised
// from their first call on.
func NewManager(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg: cfg, log: cfg.Logger.Named("supervisor"), pid: os.Getpid(),
		ctx: ctx, cancel: cancel,
		owned: map[string]*owned{}, remote: map[string]*statussock.SocketClient{},
	}, nil
}

// Close ends supervision by this process: owner loops detach from tmux
// (teammates keep running, the next process re-adopts them), sockets close,
// locks are released. It waits for all of that.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	clients := m.remote
	m.remote = nil
	m.mu.Unlock()
	m.cancel()
	for _, c := range clients {
		_ = c.Close()
	}
	m.wg.Wait()
	return nil
}

// Supervise makes sure team is supervised by some process: by this one if
// nobody else holds its lock (re-adopting its panes). It reports whether
// this process is the owner; when it is, the team's status socket already
// listens (an error listening is returned, and the lock let go).
func (m *Manager) Supervise(ctx context.Context, teamName string) (bool, error) {
	svc, err := m.route(ctx, teamName)
	if err != nil {
		return false, err
	}
	_, mine := svc.(*team)
	return mine, nil
}

// SocketPath returns where the status socket of a team this Manager
// supervises listens (the fallback under the data root when the usual
// place was refused), or "" when it does not supervise team.
func (m *Manager) SocketPath(team string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.owned[team]; o != nil {
		return o.socketPath
	}
	return ""
}

// Done returns a channel closed when this process stops supervising team
// (nil if it does not supervise it).
func (m *Manager) Done(team string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.owned[team]; o != nil {
		return o.t.done
	}
	return nil
}

// route returns who answers for team: our owner loop, a new owner loop if
// the lock is free, or a socket client to the owner.
func (m *Manager) route(ctx context.Context, team string) (statussock.Service, error) {
	if err := protocol.ValidateTeamName(team); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(m.cfg.DialTimeout)
	for {
		t, err := m.ownOrNil(team)
		if err != nil || t != nil {
			return t, err
		}
		c, err := m.client(ctx, team)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, statussock.ErrNoSupervisor) || time.Now().After(deadline) {
			return nil, err
		}
		// The owner holds the lock but is not listening yet, or has just
		// died: try again (the lock first).
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ownOrNil returns our owner loop for team, starting one if the team's lock
// is free; nil, nil when another process holds the lock.
func (m *Manager) ownOrNil(team string) (*team, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if o := m.owned[team]; o != nil {
		select {
		case <-o.t.done:
			// Ending (a teardown): wait until it has let go of the
			// socket and the lock (released never waits for m.mu).
			<-o.released
			delete(m.owned, team)
		default:
			return o.t, nil
		}
	}
	store := m.cfg.Store
	if _, err := os.Stat(store.ConfigPath(team)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("team %s: %w", team, protocol.ErrTeamNotFound)
	}
	if err := os.MkdirAll(store.OwnDir(team), 0o700); err != nil {
		return nil, fmt.Errorf("supervise %s: %w", team, err)
	}
	lk := flock.New(statefile.LockPath(store, team))
	ok, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("supervise %s: lock: %w", team, err)
	}
	if !ok {
		return nil, nil
	}
	// The socket listens before anyone learns we own the team: its errors
	// reach the caller, and a client that finds the lock held can dial at
	// once.
	// ListenTeam falls back to a private place under the data root when
	// the usual directory is not ours; serveSocket tells the lead so.
	srv, err := statussock.ListenTeam(store.Root(), team, os.Getuid(), m.cfg.RuntimeDir)
	if err != nil {
		_ = lk.Unlock()
		return nil, fmt.Errorf("supervise %s: %w", team, err)
	}
	t := newTeam(m.ctx, m.cfg, m.pid, m.log, team)
	t.busy = &m.busyReads
	o := &owned{t: t, socketDone: make(chan struct{}), released: make(chan struct{}), socketPath: srv.Path()}
	sctx, stop := context.WithCancel(m.ctx)
	o.stopSocket = stop
	m.owned[team] = o
	if c := m.remote[team]; c != nil {
		_ = c.Close()
		delete(m.remote, team)
	}
	t.start(m.ctx)
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		defer close(o.socketDone)
		t.serveSocket(sctx, srv)
	}()
	go func() {
		defer m.wg.Done()
		<-t.done
		stop()
		<-o.socketDone
		_ = lk.Unlock()
		close(o.released)
		m.mu.Lock()
		if m.owned[team] == o {
			delete(m.owned, team)
		}
		m.mu.Unlock()
	}()
	return t, nil
}

// client returns a socket client to team's owner, dialing if needed.
func (m *Manager) client(ctx context.Context, team string) (*statussock.SocketClient, error) {
	m.mu.Lock()
	c := m.remote[team]
	m.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, _, err := statussock.DialTeam(ctx, m.cfg.Store.Root(), team, os.Getuid(), m.cfg.RuntimeDir)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		_ = c.Close()
		return nil, ErrClosed
	}
	if old := m.remote[team]; old != nil {
		_ = c.Close()
		return old, nil
	}
	m.remote[team] = c
	return c, nil
}

// dropClient forgets a broken socket client.
func (m *Manager) dropClient(team string, svc statussock.Service) {
	c, ok := svc.(*statussock.SocketClient)
	if !ok {
		return
	}
	m.mu.Lock()
	if m.remote != nil && m.remote[team] == c {
		delete(m.remote, team)
	}
	m.mu.Unlock()
	_ = c.Close()
}
