package statussock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// ErrNoSupervisor matches (errors.Is) every error saying that nobody
// supervises a team: no socket file, or nobody listening on it.
var ErrNoSupervisor = errors.New("supervisor: no supervisor")

// ErrSocketClosed is returned (wrapped) by SocketClient calls once the
// connection is closed or broken.
var ErrSocketClosed = errors.New("supervisor: socket connection closed")

// NoSupervisorError says nobody answers on a team's socket. It matches
// ErrNoSupervisor; Err is the dial error.
type NoSupervisorError struct {
	Team string // may be empty when only the path was known
	Path string
	// Refused lists the places passed over as not ours (DialTeam).
	Refused []error
	Err     error
}

func (e *NoSupervisorError) Error() string {
	msg := "supervisor: no supervisor listening on " + e.Path
	if e.Team != "" {
		msg = "supervisor: no supervisor for team " + e.Team
	}
	if len(e.Refused) > 0 {
		msg += " (refused: " + refusalText(e.Refused) + ")"
	}
	return msg
}

// Unwrap returns the dial error.
func (e *NoSupervisorError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoSupervisor) true.
func (e *NoSupervisorError) Is(target error) bool { return target == ErrNoSupervisor }

// RemoteError is an error the supervising process returned for a call. Its
// text is the remote error's text unchanged, so a forwarded call reads the
// same as a local one.
type RemoteError struct {
	Method  string
	Message string
	Code    string // bad_request, unknown_method, service, internal, line_too_long
}

func (e *RemoteError) Error() string { return e.Message }

// SocketClient is a connection to a supervisor's status socket. Its methods
// mirror Service, so it can stand in for the Manager of a team this process
// does not own. It is safe for concurrent use: calls are multiplexed on one
// connection and matched by id. Each call ends when its context does.
type SocketClient struct {
	path string
	conn net.Conn

	wmu sync.Mutex // serialises request writes

	mu      sync.Mutex // guards the fields below
	nextID  uint64
	pending map[uint64]chan socketResponse
	err     error // why the connection ended; set once by readLoop

	done chan struct{} // closed when readLoop exits

	refused []error // set by DialTeam before the client is returned
}

var _ Service = (*SocketClient)(nil)

// DialSocket connects to the status socket at path. With nothing listening
// there it returns a *NoSupervisorError (errors.Is ErrNoSupervisor).
func DialSocket(ctx context.Context, path string) (*SocketClient, error) {
	addr, release, err := socketAddr(path)
	if err != nil {
		return nil, fmt.Errorf("dial supervisor socket %s: %w", path, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", addr)
	release()
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, &NoSupervisorError{Path: path, Err: err}
		}
		return nil, fmt.Errorf("dial supervisor socket %s: %w", path, err)
	}
	c := &SocketClient{
		path:    path,
		conn:    conn,
		pending: map[uint64]chan socketResponse{},
		done:    make(chan struct{}),
	}
	go c.readLoop()
	return c, nil
}

// DialTeam connects to the supervisor of team in data root root, pings it
// and makes sure it serves that root. It looks where ListenTeam listens
// (SocketPaths: the usual path, then the fallback under the data root) and
// uses a place only if the directory and the socket file are ours and the
// process answering runs as uid (SO_PEERCRED); a ping that does not name
// the data root is refused too. Nobody (of ours) listening, or a connection
// that breaks before the ping is answered (the owner is going away), is a
// *NoSupervisorError naming the team and what was refused; a supervisor of
// another root is an error, never a client. The client's Refused lists the
// places passed over.
func DialTeam(ctx context.Context, root, team string, uid int, runtimeDir string) (*SocketClient, PingResult, error) {
	paths := SocketPaths(root, team, uid, runtimeDir)
	var refused []error
	for _, path := range paths {
		c, p, err := dialChecked(ctx, root, team, path, uid)
		var re *RefusedError
		switch {
		case err == nil:
			c.refused = refused
			return c, p, nil
		case errors.As(err, &re):
			refused = append(refused, err)
		case errors.Is(err, ErrNoSupervisor):
		default:
			return nil, p, err
		}
	}
	return nil, PingResult{}, &NoSupervisorError{Team: team, Path: paths[0], Refused: refused,
		Err: fmt.Errorf("%w: nobody of ours listens on %s", syscall.ENOENT, strings.Join(paths, " or "))}
}

// dialChecked dials one candidate path of DialTeam after checking the
// place, then checks the peer and pings it.
func dialChecked(ctx context.Context, root, team, path string, uid int) (*SocketClient, PingResult, error) {
	none := &NoSupervisorError{Team: team, Path: path, Err: fs.ErrNotExist}
	if err := checkSocketDir(filepath.Dir(path), uid); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, PingResult{}, none
		}
		return nil, PingResult{}, err
	}
	if err := checkSocketFile(path, uid); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, PingResult{}, none
		}
		return nil, PingResult{}, err
	}
	c, err := DialSocket(ctx, path)
	if err != nil {
		var nse *NoSupervisorError
		if errors.As(err, &nse) {
			nse.Team = team
		}
		return nil, PingResult{}, err
	}
	if err := checkPeer(c.conn, uid); err != nil {
		_ = c.Close()
		return nil, PingResult{}, &RefusedError{Path: path, Reason: err.Error()}
	}
	p, err := c.Ping(ctx)
	if err != nil {
		_ = c.Close()
		if errors.Is(err, ErrSocketClosed) {
			return nil, p, &NoSupervisorError{Team: team, Path: path, Err: err}
		}
		return nil, p, fmt.Errorf("team %s: ping the supervisor on %s: %w", team, path, err)
	}
	if p.Root == "" {
		_ = c.Close()
		return nil, p, &RefusedError{Path: path, Reason: fmt.Sprintf("the process answering (pid %d) names no data root", p.PID)}
	}
	if tmuxconv.CanonicalRoot(p.Root) != tmuxconv.CanonicalRoot(root) {
		_ = c.Close()
		return nil, p, fmt.Errorf("team %s: the supervisor on %s (pid %d) serves data root %s, not %s",
			team, path, p.PID, p.Root, root)
	}
	return c, p, nil
}

// Refused lists the places DialTeam passed over before this one (a socket
// directory or file not ours, a peer of another uid), for the caller to
// tell the person.
func (c *SocketClient) Refused() []error { return c.refused }

// Path is the socket path the client is connected to.
func (c *SocketClient) Path() string { return c.path }

// Close closes the connection; calls in flight fail with ErrSocketClosed.
func (c *SocketClient) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

// readLoop is the only reader of the connection: it hands each response to
// the call waiting for its id, and fails every waiter when reading ends.
func (c *SocketClient) readLoop() {
	defer close(c.done)
	r := bufio.NewReaderSize(c.conn, 64<<10)
	var cause error
	for {
		line, err := readLine(r, MaxSocketLine)
		if err != nil {
			cause = fmt.Errorf("%w: %v", ErrSocketClosed, err)
			break
		}
		var resp socketResponse
		if err := json.Unmarshal(line, &resp); err != nil {
			cause = fmt.Errorf("%w: bad response: %v", ErrSocketClosed, err)
			break
		}
		id, err := strconv.ParseUint(string(resp.ID), 10, 64)
		if err != nil {
			if resp.Error != nil { // a connection-level error, e.g. line too long
				cause = fmt.Errorf("%w: %s", ErrSocketClosed, resp.Error.Message)
				break
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- resp // buffered, never blocks
		}
	}
	c.conn.Close()
	c.mu.Lock()
	c.err = cause
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// call sends one request and decodes the result into out (if not nil).
func (c *SocketClient) call(ctx context.Context, req socketRequest, out any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("supervisor %s: %w", req.Method, err)
	}
	ch := make(chan socketResponse, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("supervisor %s: %w", req.Method, err)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}

	req.ID = json.RawMessage(strconv.FormatUint(id, 10))
	if dl, ok := ctx.Deadline(); ok {
		// A little later than ours, so that our own deadline is what ends
		// the call; the server's only stops work nobody waits for.
		req.TimeoutMS = max(time.Until(dl).Milliseconds(), 0) + serverGraceMS
	}
	b, err := json.Marshal(req)
	if err != nil {
		forget()
		return fmt.Errorf("supervisor %s: encode: %w", req.Method, err)
	}
	if len(b) >= MaxSocketLine {
		forget()
		return fmt.Errorf("supervisor %s: request of %d bytes exceeds the %d byte limit", req.Method, len(b), MaxSocketLine)
	}
	if err := c.write(ctx, append(b, '\n')); err != nil {
		forget()
		c.conn.Close() // a partial line would corrupt the stream
		return fmt.Errorf("supervisor %s: %w: %v", req.Method, ErrSocketClosed, err)
	}

	select {
	case resp, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			return fmt.Errorf("supervisor %s: %w", req.Method, err)
		}
		if resp.Error != nil {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("supervisor %s: %w (%s)", req.Method, err, resp.Error.Message)
			}
			return &RemoteError{Method: req.Method, Message: resp.Error.Message, Code: resp.Error.Code}
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(resp.Result, out); err != nil {
			return fmt.Errorf("supervisor %s: decode result: %w", req.Method, err)
		}
		return nil
	case <-ctx.Done():
		forget()
		return fmt.Errorf("supervisor %s: %w", req.Method, ctx.Err())
	}
}

// serverGraceMS is added to the timeout a call sends to the server.
const serverGraceMS = 100

// write writes b under the write lock; cancelling ctx interrupts a blocked
// write.
func (c *SocketClient) write(ctx context.Context, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	dl, _ := ctx.Deadline()
	c.conn.SetWriteDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.conn.SetWriteDeadline(time.Unix(1, 0)) })
	_, err := c.conn.Write(b)
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	c.conn.SetWriteDeadline(time.Time{})
	return err
}

// Ping asks who is supervising.
func (c *SocketClient) Ping(ctx context.Context) (PingResult, error) {
	var r PingResult
	err := c.call(ctx, socketRequest{Method: methodPing}, &r)
	return r, err
}

// Spawn forwards Service.Spawn.
func (c *SocketClient) Spawn(ctx context.Context, team string, m protocol.Member, restart protocol.RestartPolicy) (protocol.Member, error) {
	var r protocol.Member
	err := c.call(ctx, socketRequest{Method: methodSpawn, Team: team, Member: &m, Restart: restart}, &r)
	return r, err
}

// Stop forwards Service.Stop.
func (c *SocketClient) Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error {
	return c.call(ctx, socketRequest{Method: methodStop, Team: team, Agent: agent, Reason: reason}, nil)
}

// Remove forwards Service.Remove.
func (c *SocketClient) Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error) {
	var r protocol.Removal
	err := c.call(ctx, socketRequest{Method: methodRemove, Team: team, Agent: agent, Reason: reason}, &r)
	return r, err
}

// Restart forwards Service.Restart.
func (c *SocketClient) Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error) {
	var r protocol.TeammateStatus
	err := c.call(ctx, socketRequest{Method: methodRestart, Team: team, Agent: agent, Fresh: fresh}, &r)
	return r, err
}

// Status forwards Service.Status.
func (c *SocketClient) Status(ctx context.Context, team string) (protocol.TeamStatus, error) {
	var r protocol.TeamStatus
	err := c.call(ctx, socketRequest{Method: methodStatus, Team: team}, &r)
	return r, err
}

// Capture forwards Service.Capture.
func (c *SocketClient) Capture(ctx context.Context, team, agent string, lines int) (string, error) {
	var r string
	err := c.call(ctx, socketRequest{Method: methodCapture, Team: team, Agent: agent, Lines: lines}, &r)
	return r, err
}

// Teardown forwards Service.Teardown.
func (c *SocketClient) Teardown(ctx context.Context, team string) error {
	return c.call(ctx, socketRequest{Method: methodTeardown, Team: team}, nil)
}
