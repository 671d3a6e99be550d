package dirwatch

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchSaysWhichFile: a rename over a file is reported under its name;
// temporary files and locks are not; Close closes C.
func TestWatchSaysWhichFile(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	w, err := New([]string{a, b}, Ordinary)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	// Writers replace the file by renaming a temp file over it.
	tmp := filepath.Join(b, ".w1.json.tmp-1")
	if err := os.WriteFile(tmp, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(b, "w1.json.lock"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(b, "w1.json")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(b, "w1.json")
	deadline := time.After(30 * time.Second)
	got := map[string]bool{}
	for !got[want] {
		select {
		case _, ok := <-w.C:
			if !ok {
				t.Fatal("watch closed")
			}
			files, all := w.Take()
			if all {
				t.Fatal("an ordinary rename said everything changed")
			}
			for f := range files {
				got[f] = true
			}
		case <-deadline:
			t.Fatalf("no event for %s (got %v)", want, got)
		}
	}
	if len(got) != 1 {
		t.Fatalf("changed files = %v, want only %s", got, want)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-w.C; ok {
		t.Fatal("C open after Close")
	}
}

func TestWatchMissingDir(t *testing.T) {
	if _, err := New([]string{filepath.Join(t.TempDir(), "nope")}, Ordinary); err == nil {
		t.Fatal("watching a missing directory succeeded")
	}
}

func TestBatch(t *testing.T) {
	ev := func(wd int32, mask uint32, name string) []byte {
		n := len(name) + 1
		n = (n + 3) &^ 3 // names are NUL-padded
		b := make([]byte, 16+n)
		binary.NativeEndian.PutUint32(b[0:], uint32(wd))
		binary.NativeEndian.PutUint32(b[4:], mask)
		binary.NativeEndian.PutUint32(b[12:], uint32(n))
		copy(b[16:], name)
		return b
	}
	const moved = 0x80 // IN_MOVED_TO
	wds := map[int32]string{1: "/a", 2: "/b"}
	only := func(n string) bool { return n == "w1.json" }
	for _, tc := range []struct {
		name  string
		buf   []byte
		want  bool
		files []string
		all   bool
	}{
		{"target", ev(2, moved, "w1.json"), true, []string{"/b/w1.json"}, false},
		{"other file", ev(1, moved, "w2.json"), false, nil, false},
		{"temp file", ev(1, moved, ".w1.json.tmp-3"), false, nil, false},
		{"second of two", append(ev(1, moved, "w2.json"), ev(1, moved, "w1.json")...), true, []string{"/a/w1.json"}, false},
		{"overflow", ev(-1, 0x4000, ""), true, nil, true},
		{"truncated", ev(1, moved, "w2.json")[:18], true, nil, true},
	} {
		w := &Watch{keep: only, changed: map[string]bool{}}
		if got := w.batch(tc.buf, wds); got != tc.want {
			t.Errorf("%s: batch = %v, want %v", tc.name, got, tc.want)
		}
		files, all := w.Take()
		if all != tc.all || len(files) != len(tc.files) {
			t.Errorf("%s: Take = %v %v, want %v %v", tc.name, files, all, tc.files, tc.all)
		}
		for _, f := range tc.files {
			if !files[f] {
				t.Errorf("%s: %s not reported (%v)", tc.name, f, files)
			}
		}
	}
}

func TestOrdinary(t *testing.T) {
	for name, want := range map[string]bool{
		"w1.json": true, "1.json": true, ".w1.json.tmp-123": false, ".w1.json.new-9": false,
		".lock": false, "w1.json.lock": false, "": false, ".highwatermark": false,
	} {
		if got := Ordinary(name); got != want {
			t.Errorf("Ordinary(%q) = %v, want %v", name, got, want)
		}
	}
}
