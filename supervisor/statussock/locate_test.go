package statussock

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
)

func TestFallbackSocketPath(t *testing.T) {
	long := strings.Repeat("t", 64) // the longest team name we accept is longer still
	for _, tc := range []struct {
		root, team string
		ok         bool
	}{
		{"/root/.claude", "alpha", true},
		{"/root/.claude", long, true},
		{"/home/" + strings.Repeat("u", 32) + "/.claude", long, true},
		{"/" + strings.Repeat("r", 62), long, true},
		{"/" + strings.Repeat("r", 63), long, longSocketPaths}, // past sun_path: Linux binds through /proc/self/fd
	} {
		p, ok := FallbackSocketPath(tc.root, tc.team)
		t.Logf("root %d bytes, team %d bytes: %s (%d bytes, ok %v)", len(tc.root), len(tc.team), p, len(p), ok)
		if ok != tc.ok || (ok && len(p) >= maxSocketPath && !longSocketPaths) || !strings.HasPrefix(p, filepath.Join(tc.root, FallbackDirName)+"/") {
			t.Errorf("FallbackSocketPath(%q, %d bytes) = %q (%d bytes), %v; want ok %v", tc.root, len(tc.team), p, len(p), ok, tc.ok)
		}
	}
}

func TestCheckSocketDir(t *testing.T) {
	base := sockDir(t)
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	good := mk("good", 0o700)
	open := mk("open", 0o777)
	link := filepath.Join(base, "link")
	os.Symlink(good, link)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	for _, tc := range []struct {
		dir, want string
	}{
		{good, ""},
		{open, "mode 0777"},
		{link, "symbolic link"},
		{file, "not a directory"},
		{filepath.Join(base, "missing"), "no such file"},
	} {
		err := checkSocketDir(tc.dir, os.Getuid())
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("checkSocketDir(%s) = %v, want %q", tc.dir, err, tc.want)
		}
	}
	if err := checkSocketDir(good, os.Getuid()+1); err == nil || !strings.Contains(err.Error(), "owned by uid") {
		t.Errorf("another uid's directory: %v", err)
	}
}

// TestFallbackForLongDataRoot: a data root far past sun_path (108 bytes)
// still gets its fallback socket when the usual directory is refused (here
// a symbolic link): the owner listens there, DialTeam finds it through the
// same checks, and closing the server removes the socket file.
func TestFallbackForLongDataRoot(t *testing.T) {
	if !longSocketPaths {
		t.Skip("socket paths must fit in sun_path on this system")
	}
	base := sockDir(t)
	root := filepath.Join(base, strings.Repeat("r", 150))
	rt := filepath.Join(base, "rt")
	for _, d := range []string{root, rt} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(base, filepath.Join(rt, "claude-teams")); err != nil {
		t.Fatal(err)
	}
	s, err := ListenTeam(root, "alpha", os.Getuid(), rt)
	if err != nil {
		t.Fatalf("ListenTeam with a %d-byte data root: %v", len(root), err)
	}
	fb, ok := FallbackSocketPath(root, "alpha")
	if !ok || s.Path() != fb || len(fb) < 108 || s.Refused() == nil {
		t.Fatalf("listening at %s (refused %v), want the %d-byte fallback %s", s.Path(), s.Refused(), len(fb), fb)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, rootedFake{&fakeService{}, root}, zaptest.NewLogger(t)) }()
	c, ping, err := DialTeam(ctx, root, "alpha", os.Getuid(), rt)
	if err != nil {
		cancel()
		t.Fatalf("DialTeam: %v", err)
	}
	if c.Path() != fb || ping.PID != os.Getpid() || len(c.Refused()) != 1 {
		t.Errorf("client at %s (ping %+v, refused %v), want %s after refusing the usual directory", c.Path(), ping, c.Refused(), fb)
	}
	if out, err := c.Capture(ctx, "alpha", "w1", 5); err != nil || out != "screen of w1\nline 2" {
		t.Errorf("Capture through the long path = %q, %v", out, err)
	}
	c.Close()
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(fb); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file after close: %v, want it removed", err)
	}
}
