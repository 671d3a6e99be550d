package mcp_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSendRefusesWhatIsNotALock: a regular file, or a stale lock
// directory that is not empty, at the recipient's inbox lock path makes
// send_message fail at once with an error naming it; it is left alone
// (Claude Code cannot remove either: its rmdir fails there).
func TestSendRefusesWhatIsNotALock(t *testing.T) {
	for _, c := range []struct {
		name  string
		plant func(t *testing.T, lock string)
		want  string
	}{
		{"regular file", func(t *testing.T, lock string) {
			if err := os.WriteFile(lock, []byte("not a lock"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "it is a regular file, not a lock directory"},
		{"stale directory with entries", func(t *testing.T, lock string) {
			if err := os.Mkdir(lock, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(lock, "notes.txt"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(lock, old, old); err != nil {
				t.Fatal(err)
			}
		}, "not empty (notes.txt)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			h.createTeam("alpha", "w1")
			lock := h.store.InboxPath("alpha", "w1") + ".lock"
			c.plant(t, lock)
			before, _ := os.Lstat(lock)
			h.fail("send_message", map[string]any{"team_name": "alpha", "type": "message", "recipient": "w1",
				"content": "hi", "summary": "s"}, lock, c.want, "by hand")
			after, err := os.Lstat(lock)
			if err != nil || !os.SameFile(before, after) {
				t.Errorf("%s removed or replaced: %v", lock, err)
			}
			if n := len(h.inbox("alpha", "w1")); n != 0 {
				t.Errorf("message written past a refused lock (%d)", n)
			}
		})
	}
}
