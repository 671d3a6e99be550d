package tmuxcc

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/f9449b24/claude-teams/tmuxcc/tmuxtest"
)

// testServer is a private tmux server for one test (tmuxtest.Server).
type testServer struct {
	t      testing.TB
	dir    string // short TMUX_TMPDIR
	socket string
	env    []string
	srv    *tmuxtest.Server
}

// newTestServer prepares a private socket; the server starts with the first
// client and is killed in t.Cleanup.
func newTestServer(t testing.TB) *testServer {
	t.Helper()
	srv := tmuxtest.New(t, "tcc")
	return &testServer{t: t, dir: srv.Dir, socket: srv.Socket, env: srv.Env, srv: srv}
}

// config returns a Config for this server that creates session "main".
func (s *testServer) config(mode Mode) Config {
	return Config{
		SocketPath: s.socket,
		ConfigFile: "/dev/null",
		Session:    "main",
		Create:     true,
		Mode:       mode,
		Env:        s.env,
		Logger:     zaptest.NewLogger(s.t),
	}
}

// tmux runs a tmux subprocess against the server.
func (s *testServer) tmux(args ...string) (string, error) { return s.srv.Tmux(args...) }

// dial connects and registers Close in t.Cleanup.
func (s *testServer) dial(mode Mode) *Conn {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, s.config(mode))
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context { return tmuxtest.Ctx(t, 30*time.Second) }

var modes = []Mode{ModeCC, ModeC}
