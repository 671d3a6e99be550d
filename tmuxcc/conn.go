package tmuxcc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// ErrClosed is wrapped by every error that reports the end of a connection:
// Err, and the errors of commands that were waiting or sent afterwards.
var ErrClosed = errors.New("tmuxcc: connection closed")

// ExitError is the cause of a connection that tmux ended with %exit.
// Reason is tmux's text, e.g. "server exited unexpectedly"; empty for a
// plain detach or a killed session/server.
type ExitError struct{ Reason string }

func (e *ExitError) Error() string {
	if e.Reason == "" {
		return "tmux client exited"
	}
	return "tmux client exited: " + e.Reason
}

// Conn is one tmux control-mode client. It is safe for concurrent use.
type Conn struct {
	cfg Config
	log *zap.Logger

	proc     *exec.Cmd
	rd       io.ReadCloser // tmux's output: pty master or pipe; read only by readLoop
	wr       io.Writer     // tmux's input: pty master or pipe; written under wmu
	closers  []io.Closer   // closed after the process is gone
	procDone chan struct{} // closed when the client process has been waited for

	wmu sync.Mutex // serialises writes; held while enqueueing and writing one line

	qmu     sync.Mutex // guards pending, ended
	pending []*pending // commands written and not yet answered, in write order
	ended   bool       // no more commands accepted

	events *eventQueue

	outMu sync.RWMutex
	outs  map[string]*PaneOutput // pane id -> buffer; written by Watch/Unwatch

	panes *paneWatcher
	// serverSocket is the server's #{socket_path}, set by setup before
	// Dial returns; read-only afterwards.
	serverSocket string

	ready     chan struct{} // closed by markReady once attached (or attach failed)
	readyOnce sync.Once
	attachErr error // set by markReady before closing ready, if attach failed

	infoMu      sync.Mutex
	sessionID   string
	sessionName string
	exitReason  *string // %exit seen; owned by readLoop until done

	done      chan struct{} // closed by shutdown
	endOnce   sync.Once
	err       error // set before done is closed
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // every goroutine this Conn starts
}

// Dial starts a control client and returns once it is attached (tmux's
// first reply block and %session-changed seen), flags are set and stale
// clients of ours (Config.Tag) are gone. ctx bounds the whole dial.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Conn{
		cfg:      cfg,
		log:      cfg.Logger.With(zap.String("session", cfg.Session)),
		procDone: make(chan struct{}),
		ready:    make(chan struct{}),
		done:     make(chan struct{}),
		outs:     make(map[string]*PaneOutput),
	}
	c.events = newEventQueue()
	c.panes = newPaneWatcher(c)
	if err := c.startLocked(); err != nil {
		return nil, fmt.Errorf("start tmux %s: %w", cfg.Mode, err)
	}
	c.wg.Add(2)
	go c.readLoop()
	go c.events.pump(&c.wg, c.done)

	select {
	case <-c.ready:
		if c.attachErr != nil {
			c.Close()
			return nil, c.attachErr
		}
	case <-c.done:
		c.Close()
		return nil, fmt.Errorf("attach %s: %w", cfg.Session, c.Err())
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("attach %s: %w", cfg.Session, ctx.Err())
	}
	if err := c.setup(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// startLocked starts the client from a goroutine locked to its OS thread
// until the client is gone: Pdeathsig fires when the thread that started
// the child exits (golang/go#27505), and a thread only exits when a locked
// goroutine ends; this one unlocks before it ends.
func (c *Conn) startLocked() error {
	errc := make(chan error, 1)
	c.wg.Add(1)
	go func() { // owned by Conn: keeps the parent thread of the client alive
		defer c.wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := c.start()
		errc <- err
		if err == nil {
			<-c.procDone
		}
	}()
	return <-errc
}

// start runs the client process with its input and output wired up.
func (c *Conn) start() error {
	cmd := exec.Command(c.cfg.Tmux, c.cfg.clientArgs()...)
	cmd.Env = c.cfg.Env
	if c.cfg.Tag != "" {
		env := cmd.Env
		if env == nil {
			env = os.Environ()
		}
		cmd.Env = append(env[:len(env):len(env)], tagEnv+"="+c.cfg.Tag)
	}
	// Pdeathsig: if we die, the client dies with us instead of freezing
	// panes whose output it can no longer deliver.
	attrs := clientProcAttr()
	if c.cfg.Mode == ModeC {
		inR, inW, err := os.Pipe()
		if err != nil {
			return err
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			inR.Close()
			inW.Close()
			return err
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
		attrs.Setpgid = true
		cmd.SysProcAttr = attrs
		err = cmd.Start()
		inR.Close()
		outW.Close()
		if err != nil {
			inW.Close()
			outR.Close()
			return err
		}
		c.rd, c.wr = outR, inW
		c.closers = []io.Closer{inW, outR}
	} else {
		attrs.Setsid, attrs.Setctty = true, true
		f, err := pty.StartWithAttrs(cmd, &pty.Winsize{Rows: 24, Cols: 80}, attrs)
		if err != nil {
			return err
		}
		if f, err = pollable(f); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return err
		}
		c.rd, c.wr = f, f
		c.closers = []io.Closer{f}
	}
	c.proc = cmd
	c.wg.Add(1)
	go func() { // owned by Conn: waits for the client process
		defer c.wg.Done()
		err := cmd.Wait()
		c.log.Debug("tmux client exited", zap.Error(err))
		close(c.procDone)
	}()
	return nil
}

// pollable returns f (the pty master) as a file served by the runtime
// poller, and closes f. creack/pty leaves the master in blocking mode, where
// a write that tmux does not drain (a stopped or wedged server) can be
// neither timed out nor interrupted by Close; a non-blocking descriptor
// honours deadlines and Close.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	if cerr := rc.Control(func(fd uintptr) {
		if nfd, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0); err == nil {
			if err = unix.SetNonblock(nfd, true); err != nil {
				unix.Close(nfd)
			}
		}
	}); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("pty master: %w", err)
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}

// readLoop is the only reader of the client's output. It never blocks on a
// consumer: replies go to buffered channels, events to an unbounded queue,
// output to bounded rings.
func (c *Conn) readLoop() {
	defer c.wg.Done()
	p := newParser(c.cfg.Mode == ModeCC)
	d := &dispatcher{c: c}
	buf := make([]byte, 64*1024)
	var cause error
	for {
		n, err := c.rd.Read(buf)
		if n > 0 {
			d.now = time.Now() // one clock read per read, not per %output line
			p.feed(buf[:n], d.handle)
		}
		if err != nil {
			p.flush(d.handle)
			cause = err
			break
		}
	}
	if c.exitReason != nil {
		cause = &ExitError{Reason: *c.exitReason}
	} else if errors.Is(cause, syscall.EIO) || errors.Is(cause, os.ErrClosed) || cause == io.EOF {
		// A pty master reads EIO once the client is gone.
		cause = fmt.Errorf("tmux client output ended: %w", io.EOF)
	}
	c.markReady(fmt.Errorf("attach %s: %w: %w", c.cfg.Session, ErrClosed, cause))
	c.shutdown(cause)
}

// markReady ends the attach phase, successfully when err is nil. Only the
// first call counts.
func (c *Conn) markReady(err error) {
	c.readyOnce.Do(func() {
		c.attachErr = err
		close(c.ready)
	})
}

// shutdown ends the connection once: records the cause, fails every waiting
// command and stops the pane watchers. It does not wait for goroutines.
func (c *Conn) shutdown(cause error) {
	c.endOnce.Do(func() {
		if errors.Is(cause, ErrClosed) {
			c.err = cause
		} else {
			c.err = fmt.Errorf("%w: %w", ErrClosed, cause)
		}
		c.qmu.Lock()
		c.ended = true
		waiting := c.pending
		c.pending = nil
		c.qmu.Unlock()
		for _, pe := range waiting {
			pe.fail(c.err)
		}
		close(c.done)
		c.log.Debug("tmux connection ended", zap.Error(c.err))
	})
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (wrapping ErrClosed and, for %exit,
// an *ExitError), or nil while it is alive.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Events returns the channel of notifications. Lifecycle events are never
// dropped: an unbounded queue sits between the reader and this channel. It
// is closed after the connection ends and every queued event was received,
// or when Close is called.
func (c *Conn) Events() <-chan Event { return c.events.out }

// SessionID returns the "$N" id of the attached session.
func (c *Conn) SessionID() string {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	return c.sessionID
}

// SessionName returns the name of the attached session.
func (c *Conn) SessionName() string {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	return c.sessionName
}

// ServerPID returns the tmux server's pid as the server reported it when
// the connection was set up (0 if it did not say).
func (c *Conn) ServerPID() int { return c.panes.serverPID }

// ServerSocket returns the server's socket path (#{socket_path}) as the
// server reported it when the connection was set up ("" if it did not say).
func (c *Conn) ServerSocket() string { return c.serverSocket }

// ClientPID returns the process id of the tmux control client.
func (c *Conn) ClientPID() int { return c.proc.Process.Pid }

// Close detaches (an empty line), kills the client process if it does not
// leave within a second, and waits for every goroutine of the connection.
// It is idempotent and safe from any goroutine; it returns nil.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.shutdown(ErrClosed)
		if f, ok := c.wr.(*os.File); ok {
			// A writer stuck on a full buffer must not hold Close forever.
			_ = f.SetWriteDeadline(time.Now().Add(time.Second))
		}
		c.wmu.Lock()
		_, _ = io.WriteString(c.wr, "\n") // an empty line detaches
		c.wmu.Unlock()
		select {
		case <-c.procDone:
		case <-time.After(time.Second):
			_ = c.proc.Process.Kill()
		}
		<-c.procDone
		c.panes.stopAll()
		c.events.stop()
		for _, cl := range c.closers {
			_ = cl.Close()
		}
		c.wg.Wait()
	})
	return c.closeErr
}
