package mcp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/f9449b24/claude-teams/protocol"
)

// callBounded is call with a deadline, so that a call that hangs (the bug
// these tests guard against) fails the test instead of the whole run.
func (h *harness) callBounded(name string, args map[string]any) *mcpgo.CallToolResult {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.callCtx(ctx, name, args)
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantNoLock(t *testing.T, file string) {
	t.Helper()
	if _, err := os.Lstat(file + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock %s.lock still there (%v)", file, err)
	}
}

// TestNonRegularFilesNeverHang: a FIFO in place of an inbox, config.json,
// a task file or the history file makes a call fail (or, for an inbox, be
// set aside) at once, and no lock stays held.
func TestNonRegularFilesNeverHang(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "one", "description": "d"})

	inbox := h.store.InboxPath("alpha", "w1")
	mkfifo(t, inbox)
	res := h.callBounded("send_message", map[string]any{"team_name": "alpha", "type": "message",
		"recipient": "w1", "content": "hi", "summary": "s"})
	if res.IsError || !strings.Contains(fmt.Sprint(res.Content), "kept at") {
		t.Fatalf("send to a FIFO inbox: %+v, want success with a set-aside note", res)
	}
	wantNoLock(t, inbox)
	if msgs := h.inbox("alpha", "w1"); len(msgs) != 1 {
		t.Fatalf("inbox after set-aside: %v", msgs)
	}

	hist := h.store.HistoryPath("alpha", "w1")
	if err := os.MkdirAll(filepath.Dir(hist), 0o700); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, hist)
	if res := h.callBounded("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1"}); !res.IsError ||
		!strings.Contains(resultText(res), "named pipe") {
		t.Fatalf("read_inbox with a FIFO history: %+v", res)
	}
	wantNoLock(t, inbox)
	if len(h.inbox("alpha", "w1")) != 1 {
		t.Fatal("the unread message was lost")
	}

	task := h.store.TaskPath("alpha", "1")
	mkfifo(t, task)
	if res := h.callBounded("task_get", map[string]any{"team_name": "alpha", "task_id": "1"}); !res.IsError ||
		!strings.Contains(resultText(res), "named pipe") {
		t.Fatalf("task_get of a FIFO: %+v", res)
	}
	if res := h.callBounded("task_update", map[string]any{"team_name": "alpha", "task_id": "1", "subject": "x"}); !res.IsError {
		t.Fatalf("task_update of a FIFO: %+v", res)
	}
	wantNoLock(t, task)

	mkfifo(t, h.store.ConfigPath("alpha"))
	if res := h.callBounded("read_config", map[string]any{"team_name": "alpha"}); !res.IsError ||
		!strings.Contains(resultText(res), "named pipe") {
		t.Fatalf("read_config of a FIFO: %+v", res)
	}
}

// TestSymlinksNotFollowed: appending read mail never writes through a
// symlinked history file, and a symlinked task file is not a task for any
// tool.
func TestSymlinksNotFollowed(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	outside := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(outside, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hist := h.store.HistoryPath("alpha", "w1")
	if err := os.MkdirAll(filepath.Dir(hist), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, hist); err != nil {
		t.Fatal(err)
	}
	h.ok("send_message", map[string]any{"team_name": "alpha", "type": "message", "recipient": "w1", "content": "hi", "summary": "s"})
	h.fail("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "unread_only": true}, "symbolic link")
	if b, _ := os.ReadFile(outside); string(b) != "keep\n" {
		t.Fatalf("file outside the data root written: %q", b)
	}
	if len(h.inbox("alpha", "w1")) != 1 {
		t.Fatal("the unread message was lost")
	}

	h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "one", "description": "d"})
	target := filepath.Join(t.TempDir(), "7.json")
	if err := os.WriteFile(target, []byte(`{"id":"7","subject":"s","description":"","status":"pending","blocks":[],"blockedBy":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, h.store.TaskPath("alpha", "7")); err != nil {
		t.Fatal(err)
	}
	h.fail("task_get", map[string]any{"team_name": "alpha", "task_id": "7"}, "symbolic link")
	h.fail("task_update", map[string]any{"team_name": "alpha", "task_id": "7", "subject": "x"}, "task 7")
	if got := h.list("task_list", map[string]any{"team_name": "alpha"}); len(got) != 1 {
		t.Fatalf("task_list = %v, want only task 1", got)
	}
}

// TestCorruptTaskSetAside: a truncated task file is set aside and
// reported; the other tasks keep working and its id is not reused.
func TestCorruptTaskSetAside(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha")
	for _, s := range []string{"one", "two", "three"} {
		h.ok("task_create", map[string]any{"team_name": "alpha", "subject": s, "description": "d"})
	}
	if err := os.WriteFile(h.store.TaskPath("alpha", "2"), []byte(`{"id":"2","subj`), 0o600); err != nil {
		t.Fatal(err)
	}
	res := h.call("task_list", map[string]any{"team_name": "alpha"})
	if res.IsError || len(res.Content) != 2 || !strings.Contains(textOf(res.Content[1]), "task 2 was not valid JSON") {
		t.Fatalf("task_list: %+v", res)
	}
	if got := h.list("task_list", map[string]any{"team_name": "alpha"}); len(got) != 2 {
		t.Fatalf("task_list = %v, want tasks 1 and 3", got)
	}
	h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "3", "status": "in_progress"})
	if got := h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "four", "description": "d"}); got["id"] != "4" {
		t.Fatalf("new task %v, want id 4", got["id"])
	}
	aside, _ := filepath.Glob(filepath.Join(h.store.OwnDir("alpha"), "corrupt", "task-2.json.*"))
	if len(aside) != 1 {
		t.Fatalf("set-aside copies: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); string(b) != `{"id":"2","subj` {
		t.Fatalf("set-aside bytes %q", b)
	}
}

func nested(depth int) map[string]any {
	m := map[string]any{"leaf": 1}
	for range depth - 1 {
		m = map[string]any{"k": m}
	}
	return m
}

// TestTaskLimits: metadata too deep or too big and overlong text are
// refused with the field and the limit, and nothing is written.
func TestTaskLimits(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha")
	for _, tc := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"deep metadata", map[string]any{"metadata": nested(3000)}, []string{"metadata", fmt.Sprintf("the limit is %d levels", protocol.MaxMetadataDepth)}},
		{"big metadata", map[string]any{"metadata": map[string]any{"k": strings.Repeat("x", protocol.MaxMetadataBytes)}}, []string{"metadata", fmt.Sprintf("the limit is %d bytes", protocol.MaxMetadataBytes)}},
		{"long description", map[string]any{"description": strings.Repeat("d", protocol.MaxDescriptionBytes+1)}, []string{"description", fmt.Sprintf("the limit is %d bytes", protocol.MaxDescriptionBytes)}},
		{"long subject", map[string]any{"subject": strings.Repeat("s", protocol.MaxSubjectBytes+1)}, []string{"subject", fmt.Sprintf("the limit is %d bytes", protocol.MaxSubjectBytes)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := map[string]any{"team_name": "alpha", "subject": "s", "description": "d"}
			for k, v := range tc.args {
				args[k] = v
			}
			h.fail("task_create", args, tc.want...)
		})
	}
	if got := h.list("task_list", map[string]any{"team_name": "alpha"}); len(got) != 0 {
		t.Fatalf("tasks written: %v", got)
	}
	h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "s", "description": "d", "metadata": nested(protocol.MaxMetadataDepth)})
	h.fail("task_update", map[string]any{"team_name": "alpha", "task_id": "1", "metadata": nested(protocol.MaxMetadataDepth + 1)}, "metadata", "levels")
}

// TestOutOfRangeIsRefused: limits are refused with the limit, never
// clamped silently.
func TestOutOfRangeIsRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{sup: newFakeSupervisor()})
	h.createTeam("alpha", "w1")
	h.fail("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "timeout_ms": 540001}, "timeout_ms is 540001", "the limit is 540000")
	h.fail("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1", "include_output": true, "output_lines": 121}, "output_lines is 121", "between 1 and 120")
	h.fail("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1", "max_messages": 0}, "max_messages is 0", "between 1 and 20")
	h.ok("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1", "output_lines": 120, "max_messages": 20})
}

// TestBadMemberNameSkipped: a member with an invalid name in config.json
// is skipped and reported by broadcast and team_delete, never a reason to
// fail them.
func TestBadMemberNameSkipped(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	if _, err := h.store.UpdateConfig("alpha", func(c *protocol.TeamConfig) error {
		c.Members = append(c.Members, protocol.Member{Name: "../evil", Cwd: h.cwd})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res := h.call("send_message", map[string]any{"team_name": "alpha", "type": "broadcast", "content": "all", "summary": "s"})
	if res.IsError || len(res.Content) != 2 || !strings.Contains(textOf(res.Content[1]), `"../evil"`) {
		t.Fatalf("broadcast: %+v", res)
	}
	if len(h.inbox("alpha", "w1")) != 1 {
		t.Fatal("w1 got no broadcast")
	}
	if _, err := h.store.UpdateConfig("alpha", func(c *protocol.TeamConfig) error {
		c.Members = []protocol.Member{c.Members[0], c.Members[2]}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res = h.call("team_delete", map[string]any{"team_name": "alpha"})
	if res.IsError || len(res.Content) != 2 || !strings.Contains(textOf(res.Content[1]), `"../evil"`) {
		t.Fatalf("team_delete: %+v", res)
	}
}
