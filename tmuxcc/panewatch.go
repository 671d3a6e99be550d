package tmuxcc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// deadSubscription is the name of our %* subscription to pane death. Its
// %subscription-changed events are consumed internally.
const deadSubscription = "tmuxcc-pane-dead"

// ErrBadPane is returned by WatchPane for a pane id that is not "%N".
var ErrBadPane = errors.New("tmuxcc: bad pane id")

// paneWatcher learns of pane deaths. Sources, fastest first: a pidfd on the
// pane's process (local servers), the %* subscription (1 s timer), and
// window-close/layout-change events (panes removed by tmux).
type paneWatcher struct {
	c         *Conn
	serverPID int // set by setup before Dial returns; read-only afterwards

	subOnce sync.Once
	subErr  error

	reapKicks atomic.Int64 // run-shell -b true sent to make tmux reap (statistics)

	// cmd replaces Conn.Command for pane queries (tests); nil in use.
	cmd func(ctx context.Context, args ...string) ([]string, error)

	mu      sync.Mutex
	watches map[string]*paneWatch // pane id -> watch; entries stay after the exit
	stopped bool                  // set by stopAll: no new watches
}

// paneWatch is one watched pane. The resolver goroutine owns the resolution
// and emits the single PaneExited.
type paneWatch struct {
	pane  string
	pid   int
	trig  chan trigger  // buffered; sends never block
	stop  chan struct{} // closed by unwatch / stopAll
	once  sync.Once
	pidfd *os.File // nil without a usable pidfd; closed with stop
}

type trigger struct {
	source string
	at     time.Time
}

func newPaneWatcher(c *Conn) *paneWatcher {
	return &paneWatcher{c: c, watches: make(map[string]*paneWatch)}
}

// WatchPane starts watching pane ("%N"), whose process is pid (0 if
// unknown), and emits exactly one PaneExited on Events when that process
// exits, with its exit status or signal resolved from tmux (including tmux
// 3.3a's lost-SIGCHLD case, which it repairs with an invisible
// `run-shell -b true`). Locally a pidfd reports the exit within
// milliseconds; otherwise the %* subscription (about 1 s) and window/layout
// events do. Watching an already watched (or already reported) pane is a
// no-op. Nothing of this shows on the screen of a person attached to the
// server.
func (c *Conn) WatchPane(pane string, pid int) error {
	if !validPaneID(pane) {
		return fmt.Errorf("watch pane %q: %w", pane, ErrBadPane)
	}
	pw := c.panes
	pw.subOnce.Do(func() {
		_, pw.subErr = c.Command(context.Background(), "refresh-client", "-B",
			deadSubscription+":%*:#{pane_dead} #{pane_dead_status} #{pane_dead_signal}")
	})
	if pw.subErr != nil {
		if errors.Is(pw.subErr, ErrClosed) {
			return fmt.Errorf("watch pane %s: %w", pane, pw.subErr)
		}
		c.log.Warn("tmux pane subscription unavailable", zap.Error(pw.subErr))
	}
	w := &paneWatch{pane: pane, pid: pid, trig: make(chan trigger, 8), stop: make(chan struct{})}
	pw.mu.Lock()
	if pw.watches[pane] != nil {
		pw.mu.Unlock()
		return nil
	}
	if pw.stopped {
		pw.mu.Unlock()
		return fmt.Errorf("watch pane %s: %w", pane, c.errOrClosed())
	}
	if pid > 0 {
		w.pidfd = pw.openPidfd(pid)
	}
	pw.watches[pane] = w
	// Added under mu: stopAll (before Close waits) sees every goroutine.
	c.wg.Add(1)
	go pw.run(w)
	if w.pidfd != nil {
		c.wg.Add(1)
		go pw.waitPidfd(w)
	}
	// The pane may be dead already, even with a live pidfd: its pid may
	// have been reused by another child of the server since it died.
	w.poke("query")
	pw.mu.Unlock()
	return nil
}

// UnwatchPane stops watching pane; no PaneExited will be emitted for it.
func (c *Conn) UnwatchPane(pane string) {
	c.panes.mu.Lock()
	w := c.panes.watches[pane]
	delete(c.panes.watches, pane)
	c.panes.mu.Unlock()
	if w != nil {
		w.close()
	}
}

// PaneNumber returns N of tmux pane id %N, and whether id is one (tmux
// numbers panes from 0 upwards, never reusing a number while the server
// lives).
func PaneNumber(id string) (int, bool) {
	if len(id) < 2 || id[0] != '%' {
		return 0, false
	}
	n, err := strconv.ParseUint(id[1:], 10, 32)
	return int(n), err == nil
}

func validPaneID(p string) bool {
	_, ok := PaneNumber(p)
	return ok
}

// openPidfd returns a pidfd for pid when pid is a child of the tmux server
// as seen from here (the server is local and in our pid namespace), else
// nil.
func (pw *paneWatcher) openPidfd(pid int) *os.File {
	fd, err := pidfdOpen(pid)
	if err != nil {
		pw.c.log.Debug("pidfd unavailable", zap.Int("pid", pid), zap.Error(err))
		return nil
	}
	if pw.serverPID <= 0 || parentPID(pid) != pw.serverPID {
		// Not the server's child here: a remote server, another pid
		// namespace, or a pid already reused. Do not trust it.
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), "pidfd:"+strconv.Itoa(pid))
}

// waitPidfd waits, through the runtime poller, until the pidfd is readable
// (the process exited, reaped or not) or closed.
func (pw *paneWatcher) waitPidfd(w *paneWatch) {
	defer pw.c.wg.Done()
	rc, err := w.pidfd.SyscallConn()
	if err == nil {
		err = rc.Read(func(fd uintptr) bool { return pidfdReadable(int(fd), 0) })
	}
	if err == nil {
		w.poke("pidfd")
		return
	}
	if errors.Is(err, os.ErrClosed) {
		return
	}
	// Not pollable by the runtime: fall back to a blocking poll loop.
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		if pidfdReadable(int(w.pidfd.Fd()), 200) {
			w.poke("pidfd")
			return
		}
	}
}

func (w *paneWatch) poke(source string) {
	select {
	case w.trig <- trigger{source: source, at: time.Now()}:
	default:
	}
}

func (w *paneWatch) close() {
	w.once.Do(func() {
		close(w.stop)
		if w.pidfd != nil {
			_ = w.pidfd.Close()
		}
	})
}

// poke asks every watched pane to check itself (a window or pane vanished).
func (pw *paneWatcher) poke(source string) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	for _, w := range pw.watches {
		w.poke(source)
	}
}

// subscription handles our %* subscription: "1 …" means the pane is dead.
func (pw *paneWatcher) subscription(e SubscriptionChanged) {
	if !strings.HasPrefix(e.Value, "1") {
		return
	}
	pw.mu.Lock()
	w := pw.watches[e.Pane]
	pw.mu.Unlock()
	if w != nil {
		w.poke("subscription")
	}
}

// stopAll stops every watch (Close).
func (pw *paneWatcher) stopAll() {
	pw.mu.Lock()
	pw.stopped = true
	ws := make([]*paneWatch, 0, len(pw.watches))
	for _, w := range pw.watches {
		ws = append(ws, w)
	}
	pw.mu.Unlock()
	for _, w := range ws {
		w.close()
	}
}

// run is the resolver goroutine of one watch: it waits for triggers, asks
// tmux, and emits PaneExited once the pane is known dead or gone.
func (pw *paneWatcher) run(w *paneWatch) {
	defer pw.c.wg.Done()
	defer w.close() // the pidfd goes with the resolver, whichever way it ends
	for {
		var t trigger
		select {
		case t = <-w.trig:
		case <-w.stop:
			return
		case <-pw.c.done:
			return
		}
		ev, ok := pw.resolve(w, t)
		if !ok {
			continue
		}
		select {
		case <-w.stop: // unwatched meanwhile: no event
			return
		default:
		}
		pw.c.events.push(ev)
		pw.c.log.Debug("tmux pane exited", zap.String("pane", w.pane), zap.Int("pid", w.pid),
			zap.String("source", ev.Source))
		return
	}
}

// exitSignalName names a signal number ("SIGKILL"), "" for 0, an unknown
// one "signal N": protocol.SignalName's spelling (tmuxcc imports nothing
// of ours; the supervisor names exits with protocol.SignalName itself).
func exitSignalName(sig int) string {
	if sig <= 0 {
		return ""
	}
	if n := unix.SignalName(syscall.Signal(sig)); n != "" {
		return n
	}
	return "signal " + strconv.Itoa(sig)
}
