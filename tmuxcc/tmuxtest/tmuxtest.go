// Package tmuxtest is the one test harness for private tmux servers, shared
// by the tests of tmuxcc, supervisor and its subpackages. Only test code
// imports it; it imports nothing of ours (tmuxcc's own tests use it).
package tmuxtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Require skips the test when tmux is missing, except under CI=true, where
// it fails.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tmux is required under CI: %v", err)
		}
		t.Skipf("tmux not found: %v", err)
	}
}

// Server is a private tmux server for one test: its socket lives in a
// short directory of its own (also TMUX_TMPDIR, so a -L name resolves
// there), and it is killed, directory and all, in t.Cleanup. The server
// itself starts with the first client.
type Server struct {
	t testing.TB
	// Dir is the server's short TMUX_TMPDIR.
	Dir string
	// Socket is the server's socket path (-S).
	Socket string
	// Env is the environment for tmux and its clients: ours without TMUX,
	// TMUX_PANE and TMUX_TMPDIR, plus TMUX_TMPDIR=Dir.
	Env []string
}

// New prepares a private server (Require first); prefix names its
// directory under /tmp (tmux socket paths must stay short).
func New(t testing.TB, prefix string) *Server {
	t.Helper()
	Require(t)
	dir, err := os.MkdirTemp("/tmp", prefix)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, Dir: dir, Socket: filepath.Join(dir, "s")}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "TMUX" || k == "TMUX_PANE" || k == "TMUX_TMPDIR" {
			continue
		}
		s.Env = append(s.Env, kv)
	}
	s.Env = append(s.Env, "TMUX_TMPDIR="+dir)
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-S", s.Socket, "kill-server").Run()
		// A server reached by -L name in Dir (the supervisor's harness).
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() {
				socks, _ := os.ReadDir(filepath.Join(dir, e.Name()))
				for _, sock := range socks {
					_ = exec.Command("tmux", "-S", filepath.Join(dir, e.Name(), sock.Name()), "kill-server").Run()
				}
			}
		}
		_ = os.RemoveAll(dir)
	})
	return s
}

// Tmux runs a tmux command on the server (-f /dev/null) and returns its
// combined output.
func (s *Server) Tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-S", s.Socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = s.Env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Must runs a tmux command and returns its trimmed output, failing the
// test on error.
func (s *Server) Must(args ...string) string {
	s.t.Helper()
	out, err := s.Tmux(args...)
	if err != nil {
		s.t.Fatalf("tmux %q: %v: %s", args, err, out)
	}
	return strings.TrimSpace(out)
}

// Ctx is a context for one call in a test, cancelled at its end.
func Ctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Eventually polls cond every 20 ms until it holds, failing the test after
// a generous deadline (not a timing assertion: the bound only stops a
// hung test).
func Eventually(t testing.TB, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+format, args...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
