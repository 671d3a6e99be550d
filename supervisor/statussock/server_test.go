package statussock

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// staleSocket leaves a socket file nobody listens on, as a killed
// supervisor does.
func staleSocket(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestListenSocketFiles(t *testing.T) {
	dir := sockDir(t)
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}

	// A stale socket is replaced.
	path := staleSocket(t, run, "alpha.sock")
	s, err := ListenSocket(path)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	for p, want := range map[string]os.FileMode{run: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}

	// A live one is left alone.
	if _, err := ListenSocket(path); !errors.Is(err, ErrSocketInUse) {
		t.Errorf("over a live socket: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx, &fakeService{}, zaptest.NewLogger(t)) }()
	dial(t, path) // served
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after Serve returned: %v", err)
	}

	// A regular file is never removed.
	plain := filepath.Join(run, "plain.sock")
	os.WriteFile(plain, []byte("x"), 0o600)
	if _, err := ListenSocket(plain); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("over a regular file: %v", err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "x" {
		t.Error("regular file changed")
	}

	// A socket directory that is shared by design (sticky, like /tmp; we
	// are root in CI, so it is ours) is refused, and its mode never
	// changed.
	shared := filepath.Join(dir, "shared")
	os.Mkdir(shared, 0o700)
	os.Chmod(shared, os.ModeSticky|0o777)
	if _, err := ListenSocket(filepath.Join(shared, "alpha.sock")); err == nil || !strings.Contains(err.Error(), "sticky") {
		t.Errorf("in a sticky directory: %v, want it refused", err)
	}
	if fi, err := os.Stat(shared); err != nil || fi.Mode()&(os.ModeSticky|os.ModePerm) != os.ModeSticky|0o777 {
		t.Errorf("sticky directory's mode changed: %v %v", fi.Mode(), err)
	}

	// Too long a path is refused up front where the system needs sun_path
	// (Linux binds through /proc/self/fd: TestFallbackForLongDataRoot).
	if !longSocketPaths {
		if _, err := ListenSocket(filepath.Join(run, strings.Repeat("x", 100))); err == nil {
			t.Error("long path accepted")
		}
	}
}

func TestServeSocketStopsCleanly(t *testing.T) {
	f := &fakeService{block: make(chan struct{})}
	path := filepath.Join(sockDir(t), "alpha.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeSocket(ctx, path, f, zaptest.NewLogger(t)) }()
	var c *SocketClient
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		if c, err = DialSocket(context.Background(), path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never listened: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer c.Close()
	errc := make(chan error, 1)
	go func() { _, err := c.Capture(context.Background(), "alpha", "w1", 1); errc <- err }()
	waitFor(t, func() bool { return len(f.Calls()) == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeSocket: %v", err)
	}
	if err := <-errc; err == nil {
		t.Fatal("call in flight succeeded after shutdown")
	}
	if _, err := c.Status(context.Background(), "alpha"); !errors.Is(err, ErrSocketClosed) {
		t.Fatalf("call after shutdown: %v", err)
	}
}

// waitFor polls cond with a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// rootedService adds the optional ping reporters to fakeService.
