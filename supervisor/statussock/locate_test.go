package statussock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{"/" + strings.Repeat("r", 63), long, false},
	} {
		p, ok := FallbackSocketPath(tc.root, tc.team)
		t.Logf("root %d bytes, team %d bytes: %s (%d bytes, ok %v)", len(tc.root), len(tc.team), p, len(p), ok)
		if ok != tc.ok || (ok && len(p) >= maxSocketPath) || !strings.HasPrefix(p, filepath.Join(tc.root, FallbackDirName)+"/") {
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
