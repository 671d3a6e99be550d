package tmuxcc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// testServer is a private tmux server for one test.
type testServer struct {
	t      testing.TB
	dir    string // short TMUX_TMPDIR
	socket string
	env    []string
}

// needTmux skips the test when tmux is missing, except under CI=true.
func needTmux(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tmux is required under CI: %v", err)
		}
		t.Skip("tmux not installed")
	}
}

// newTestServer prepares a private socket; the server starts with the first
// client and is killed in t.Cleanup.
func newTestServer(t testing.TB) *testServer {
	t.Helper()
	needTmux(t)
	dir, err := os.MkdirTemp("/tmp", "tcc")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, dir: dir, socket: filepath.Join(dir, "s")}
	s.env = append(os.Environ(), "TMUX_TMPDIR="+dir)
	s.env = withoutEnv(s.env, "TMUX")
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-S", s.socket, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return s
}

func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if len(kv) > len(name) && kv[:len(name)+1] == name+"=" {
			continue
		}
		out = append(out, kv)
	}
	return out
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
func (s *testServer) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-S", s.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

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

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var modes = []Mode{ModeCC, ModeC}
