package supervisor

import (
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// TestRereadOnlyChangedFiles: after a change the work watcher reads again
// only the files that changed. A write to the lead's inbox (the
// supervisor's own notes go there) reads that inbox, not the teammates'
// inboxes or the tasks; a new teammate reads everything.
func TestRereadOnlyChangedFiles(t *testing.T) {
	store := protocol.NewStore(t.TempDir())
	if _, err := store.CreateTeam("alpha", "", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"w1", "w2"} {
		if _, err := store.AddMember("alpha", protocol.Member{Name: n, TmuxPaneID: "%1"}); err != nil {
			t.Fatal(err)
		}
	}
	tm := &team{name: "alpha", store: store, log: zap.NewNop()}
	send := func(to, from, text string) {
		t.Helper()
		if _, err := store.Send("alpha", to, protocol.Message{From: from, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	send("w1", protocol.LeadName, "first")
	base := tm.readWork()
	if base.unread["w1"] != 1 || base.unread["w2"] != 0 {
		t.Fatalf("first read: unread = %v", base.unread)
	}
	// Changed behind the watcher's back (no event named them): not read.
	send("w1", protocol.LeadName, "second")
	send("w2", protocol.LeadName, "one")
	lead := store.InboxPath("alpha", protocol.LeadName)
	send(protocol.LeadName, "w1", protocol.Encode(protocol.IdleNotification{From: "w1", Timestamp: protocol.FormatTimestamp(time.Now()), IdleReason: "available"}))

	for _, tc := range []struct {
		name       string
		files      []string
		w1, w2     int
		idleOfW1   bool
		membership bool
	}{
		{"lead inbox only", []string{lead}, 1, 0, true, false},
		{"w2's inbox", []string{store.InboxPath("alpha", "w2")}, 1, 1, false, false},
		{"both teammates", []string{store.InboxPath("alpha", "w1"), store.InboxPath("alpha", "w2")}, 2, 1, false, false},
		{"nothing", nil, 1, 0, false, false},
		{"a teammate joined", []string{lead}, 2, 1, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.membership {
				if _, err := store.AddMember("alpha", protocol.Member{Name: "w3", TmuxPaneID: "%3"}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = store.RemoveMember("alpha", "w3") })
			}
			files := map[string]bool{}
			for _, f := range tc.files {
				files[f] = true
			}
			got := tm.rereadWork(base.clone(), files)
			if got.unread["w1"] != tc.w1 || got.unread["w2"] != tc.w2 {
				t.Errorf("unread = %v, want w1 %d w2 %d", got.unread, tc.w1, tc.w2)
			}
			if _, ok := got.idle["w1"]; ok != tc.idleOfW1 {
				t.Errorf("idle = %v, want w1's notification %v", got.idle, tc.idleOfW1)
			}
			if _, ok := base.idle["w1"]; ok {
				t.Error("rereadWork changed the facts it was given")
			}
		})
	}
	if _, err := os.Stat(lead); err != nil {
		t.Fatal(err)
	}
}

// TestOneDefaultBackend: the backend a spawn without one gets is the one
// config.json records for a member without backendType, and backends
// knows it (backends imports nothing of ours, so this holds them equal).
func TestOneDefaultBackend(t *testing.T) {
	if protocol.DefaultBackendType != backends.Claude {
		t.Fatalf("protocol.DefaultBackendType = %q, backends.Claude = %q", protocol.DefaultBackendType, backends.Claude)
	}
	c, err := Config{Store: protocol.NewStore(t.TempDir()), Backends: &fakeLauncher{}}.withDefaults()
	if err != nil || c.DefaultBackend != protocol.DefaultBackendType {
		t.Fatalf("Config default backend = %q (%v), want %q", c.DefaultBackend, err, protocol.DefaultBackendType)
	}
}

// TestReportsLeaveTaskFilesAlone: the work watcher, status and restart
// notes run on every change of the tasks directory, so they are the first
// to read a task file a native teammate is still writing in place. They
// must skip it, never set it aside (which lost a task a test wrote that
// way: TestRemoveTellsOwner, once in CI).
func TestReportsLeaveTaskFilesAlone(t *testing.T) {
	store := protocol.NewStore(t.TempDir())
	if _, err := store.CreateTeam("alpha", "", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	mem, err := store.AddMember("alpha", protocol.Member{Name: "w1", TmuxPaneID: "%1"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := store.CreateTask("alpha", protocol.TaskInput{Subject: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	path := store.TaskPath("alpha", "2")
	if err := os.Truncate(path, 0); err != nil { // a writer half-way
		t.Fatal(err)
	}
	tm := &team{name: "alpha", store: store, log: zap.NewNop()}
	tm.readWork()
	tm.ownedTaskIDs(mem)
	tm.ownedTaskLines(mem)
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("task 2 after the reports: %v %v, want it left in place", fi, err)
	}
}
