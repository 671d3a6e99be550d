package mcp

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWatchFileSeesRename(t *testing.T) {
	dir := t.TempDir()
	w, err := watchFile(dir, "w1.json")
	if err != nil {
		t.Skipf("inotify unavailable: %v", err)
	}
	defer w.Close()
	// Writers replace the inbox by renaming a temp file over it.
	tmp := filepath.Join(dir, ".w1.json.tmp-1")
	if err := os.WriteFile(tmp, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "w1.json")); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-w.C:
		if !ok {
			t.Fatal("watch closed")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no event for the rename")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Close ends the reader, which closes C.
	for range w.C {
	}
}

func TestWatchFileMissingDir(t *testing.T) {
	if _, err := watchFile(filepath.Join(t.TempDir(), "nope"), "x.json"); err == nil {
		t.Fatal("watching a missing directory succeeded")
	}
}

func TestRelevant(t *testing.T) {
	ev := func(mask uint32, name string) []byte {
		n := len(name) + 1
		n = (n + 3) &^ 3 // names are NUL-padded
		b := make([]byte, 16+n)
		binary.NativeEndian.PutUint32(b[4:], mask)
		binary.NativeEndian.PutUint32(b[12:], uint32(n))
		copy(b[16:], name)
		return b
	}
	const moved = 0x80 // IN_MOVED_TO
	for _, tc := range []struct {
		name string
		buf  []byte
		want bool
	}{
		{"target", ev(moved, "w1.json"), true},
		{"other file", ev(moved, "w2.json"), false},
		{"temp file", ev(moved, ".w1.json.tmp-3"), false},
		{"second of two", append(ev(moved, "w2.json"), ev(moved, "w1.json")...), true},
		{"overflow", ev(0x4000, ""), true},
		{"truncated", ev(moved, "w2.json")[:18], true},
	} {
		if got := relevant(tc.buf, []byte("w1.json")); got != tc.want {
			t.Errorf("%s: relevant = %v, want %v", tc.name, got, tc.want)
		}
	}
}
