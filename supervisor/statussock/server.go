package statussock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// maxInFlight bounds the requests served at once on one connection; the
// reader waits for a slot before it reads the next line.
const maxInFlight = 32

// SocketServer is a listening status socket. Create it with ListenSocket,
// run it with Serve.
type SocketServer struct {
	path    string
	ln      *net.UnixListener
	release func() // of socketAddr, once ln is closed
	once    sync.Once
	// refused is why the usual path was not used (ListenTeam fell back).
	refused error
}

// ListenSocket creates the socket directory (0700, which must be ours),
// removes a stale socket file left by a dead supervisor, and listens on path
// with the socket file at 0600.
//
// A socket file is stale when nobody answers on it. ListenSocket removes it
// without further checks, so the caller must hold the team's supervisor
// flock: only the flock holder may take over the path. If a process answers,
// ListenSocket returns ErrSocketInUse and leaves the file alone; a path that
// exists but is not a socket is never removed.
func ListenSocket(path string) (*SocketServer, error) {
	if len(path) >= maxSocketPath && !longSocketPaths {
		return nil, fmt.Errorf("listen %s: socket path longer than %d bytes", path, maxSocketPath-1)
	}
	if err := ensureSocketDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	addr, release, err := socketAddr(path)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: addr, Net: "unix"})
	if err != nil {
		release()
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	s := &SocketServer{path: path, ln: ln, release: release}
	if err := os.Chmod(path, 0o600); err != nil {
		s.closeListener()
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return s, nil
}

// closeListener stops listening, removing the socket file (through the
// address it was made with), then lets socketAddr's descriptor go.
func (s *SocketServer) closeListener() error {
	err := s.ln.Close()
	s.once.Do(s.release)
	return err
}

// removeStaleSocket removes the socket file at path if nobody answers on it.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	addr, release, err := socketAddr(path)
	if err != nil {
		return err
	}
	c, err := net.DialTimeout("unix", addr, 2*time.Second)
	release()
	if err == nil {
		c.Close()
		return ErrSocketInUse
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
		// EAGAIN (backlog full) or a timeout: someone is there.
		return fmt.Errorf("%w: %v", ErrSocketInUse, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// ListenTeam listens for team's supervisor of data root root: at the usual
// path (SocketPath) when its directory is ours or can be made so, else at
// the fallback path under the data root (FallbackSocketPath), where clients
// look next. Refused then says why the usual path was not used, for the
// caller to tell the person. Like ListenSocket it needs the team's flock.
func ListenTeam(root, team string, uid int, runtimeDir string) (*SocketServer, error) {
	usual := SocketPath(root, team, uid, runtimeDir)
	s, err := ListenSocket(usual)
	if err == nil || errors.Is(err, ErrSocketInUse) {
		return s, err
	}
	fb, ok := FallbackSocketPath(root, team)
	if !ok {
		return nil, fmt.Errorf("%w; and no fallback: %s is %d bytes, the limit on this system is %d",
			err, fb, len(fb), maxSocketPath-1)
	}
	s, ferr := ListenSocket(fb)
	if ferr != nil {
		return nil, fmt.Errorf("%w; fallback: %w", err, ferr)
	}
	s.refused = err
	return s, nil
}

// Refused says why the server listens at the fallback path instead of the
// usual one (nil when it listens at the usual path).
func (s *SocketServer) Refused() error { return s.refused }

// Path is the socket file the server listens on.
func (s *SocketServer) Path() string { return s.path }

// Close stops listening and removes the socket file. Serve closes the
// server itself when its context ends; Close is for a server never served.
func (s *SocketServer) Close() error { return s.closeListener() }

// Serve answers requests with svc until ctx ends, then closes the listener
// (removing the socket file), closes every connection, cancels the calls in
// flight, waits for them and returns nil. It returns an error only if
// accepting fails for another reason.
func (s *SocketServer) Serve(ctx context.Context, svc Service, log *zap.Logger) error {
	if log == nil {
		log = zap.NewNop()
	}
	log = log.With(zap.String("socket", s.path))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	h := &socketHandler{svc: svc, log: log, version: serviceVersion(svc)}
	if r, ok := svc.(DataRootReporter); ok {
		h.root = r.DataRoot()
	}
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() {
		s.closeListener()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	log.Info("socket listening")

	var acceptErr error
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				acceptErr = fmt.Errorf("serve %s: %w", s.path, err)
				cancel()
			}
			break
		}
		if err := checkPeer(c, os.Getuid()); err != nil {
			// Only our own processes may talk to the supervisor.
			log.Warn("socket peer refused", zap.Error(err))
			c.Close()
			continue
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			break
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.serveConn(ctx, c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
	s.closeListener()
	wg.Wait()
	log.Info("socket closed")
	return acceptErr
}

// ServeSocket listens on path (see ListenSocket for the stale-file rule: the
// caller must hold the team's supervisor flock) and serves svc until ctx
// ends. It returns nil after a clean shutdown.
func ServeSocket(ctx context.Context, path string, svc Service, log *zap.Logger) error {
	s, err := ListenSocket(path)
	if err != nil {
		return err
	}
	return s.Serve(ctx, svc, log)
}

// serviceVersion is what ping reports as the program version.
func serviceVersion(svc Service) string {
	if v, ok := svc.(VersionReporter); ok {
		return v.Version()
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Version
	}
	return ""
}

// socketHandler answers the requests of every connection of one server.
type socketHandler struct {
	svc     Service
	log     *zap.Logger
	version string
	root    string
}

// serveConn reads request lines from c and answers each in its own
// goroutine. On EOF it still answers the requests in flight (a client may
// half-close after writing); on any other read error, or when ctx ends, the
// calls in flight are cancelled.
func (h *socketHandler) serveConn(ctx context.Context, c net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.Close()

	var (
		wmu sync.Mutex // serialises response writes
		wg  sync.WaitGroup
		sem = make(chan struct{}, maxInFlight)
	)
	write := func(resp socketResponse) {
		b, err := json.Marshal(resp)
		if err != nil {
			b, _ = json.Marshal(socketResponse{ID: resp.ID, Error: &socketError{
				Message: fmt.Sprintf("supervisor: encode result: %v", err), Code: errCodeInternal}})
		}
		b = append(b, '\n')
		wmu.Lock()
		defer wmu.Unlock()
		if _, err := c.Write(b); err != nil {
			h.log.Debug("socket write", zap.Error(err))
		}
	}

	r := bufio.NewReaderSize(c, 64<<10)
	for {
		line, err := readLine(r, MaxSocketLine)
		if errors.Is(err, errLineTooLong) {
			h.log.Warn("socket request too long", zap.Int("limit", MaxSocketLine))
			write(socketResponse{ID: json.RawMessage("null"), Error: &socketError{
				Message: fmt.Sprintf("supervisor: request line longer than %d bytes", MaxSocketLine),
				Code:    errCodeTooLong}})
			cancel()
			break
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				cancel()
			}
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var req socketRequest
		if err := json.Unmarshal(line, &req); err != nil {
			write(socketResponse{ID: requestID(line), Error: &socketError{
				Message: fmt.Sprintf("supervisor: bad request: %v", err), Code: errCodeBadRequest}})
			continue
		}
		if len(req.ID) == 0 {
			req.ID = json.RawMessage("null")
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			write(h.handle(ctx, req))
		}()
	}
	wg.Wait()
}

// requestID digs the id out of a line that did not decode as a request, so
// the error can still be matched to its call.
func requestID(line []byte) json.RawMessage {
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(line, &probe) == nil && len(probe.ID) > 0 {
		return probe.ID
	}
	return json.RawMessage("null")
}

// errLineTooLong is returned by readLine for a line longer than its limit.
var errLineTooLong = errors.New("supervisor: line too long")

// readLine reads one '\n'-terminated line of at most max bytes (a final line
// without '\n' at EOF counts). Unlike bufio.Scanner it has no 64 KiB limit.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		frag, err := r.ReadSlice('\n')
		if len(buf)+len(frag) > max {
			return nil, errLineTooLong
		}
		buf = append(buf, frag...)
		switch {
		case err == nil:
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return buf, nil
		default:
			return nil, err
		}
	}
}
