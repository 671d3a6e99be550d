package protocol

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
)

func mustCreate(t *testing.T, s *Store, subjects ...string) []Task {
	t.Helper()
	var out []Task
	for _, sub := range subjects {
		task, err := s.CreateTask("t1", TaskInput{Subject: sub, Description: "about " + sub})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, task)
	}
	return out
}

func mustGet(t *testing.T, s *Store, id string) Task {
	t.Helper()
	task, err := s.GetTask("t1", id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func update(t *testing.T, s *Store, id string, u TaskUpdate) Task {
	t.Helper()
	task, err := s.UpdateTask("t1", id, u)
	if err != nil {
		t.Fatalf("UpdateTask(%s, %+v): %v", id, u, err)
	}
	return task
}

func TestCreateTaskFile(t *testing.T) {
	s := newTeam(t)
	task, err := s.CreateTask("t1", TaskInput{Subject: "Fix parser", Description: "d", ActiveForm: "Fixing parser", Metadata: map[string]any{"k": 1, "gone": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if task.ID != "1" || task.Status != StatusPending {
		t.Errorf("task = %+v", task)
	}
	data, _ := os.ReadFile(s.TaskPath("t1", "1"))
	want := `{
  "id": "1",
  "subject": "Fix parser",
  "description": "d",
  "activeForm": "Fixing parser",
  "status": "pending",
  "blocks": [],
  "blockedBy": [],
  "metadata": {
    "k": 1
  }
}`
	if string(data) != want {
		t.Errorf("task file =\n%s\nwant\n%s", data, want)
	}
	if mark, _ := os.ReadFile(s.markPath("t1")); string(mark) != "1" {
		t.Errorf(".highwatermark = %q, want 1", mark)
	}
	for _, in := range []TaskInput{{}, {Subject: "  "}} {
		if _, err := s.CreateTask("t1", in); !errors.Is(err, ErrInvalidTask) {
			t.Errorf("CreateTask(%+v) = %v", in, err)
		}
	}
	if _, err := s.CreateTask("ghost", TaskInput{Subject: "x"}); !errors.Is(err, ErrTeamNotFound) {
		t.Errorf("CreateTask(ghost) = %v", err)
	}
	if _, err := s.CreateTask("../t1", TaskInput{Subject: "x"}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("CreateTask(../t1) = %v", err)
	}
}

func TestTaskIDsNeverReused(t *testing.T) {
	s := newTeam(t)
	mustCreate(t, s, "a", "b", "c")
	update(t, s, "3", TaskUpdate{Status: Ptr(StatusDeleted)})
	if got := mustCreate(t, s, "d")[0].ID; got != "4" {
		t.Errorf("after deleting 3, next id = %s, want 4", got)
	}
	// Claude Code may delete every task file; the mark keeps ids rising.
	for _, id := range []string{"1", "2", "4"} {
		os.Remove(s.TaskPath("t1", id))
	}
	if got := mustCreate(t, s, "e")[0].ID; got != "5" {
		t.Errorf("after all files gone, next id = %s, want 5", got)
	}
	// A higher file id than the mark (written by someone else) wins too.
	if err := os.WriteFile(s.TaskPath("t1", "10"), []byte(`{"id":"10","subject":"x","description":"","status":"pending","blocks":[],"blockedBy":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := mustCreate(t, s, "f")[0].ID; got != "11" {
		t.Errorf("next id = %s, want 11", got)
	}
	tasks, _ := s.ListTasks("t1")
	var ids []string
	for _, x := range tasks {
		ids = append(ids, x.ID)
	}
	if !slices.Equal(ids, []string{"5", "10", "11"}) {
		t.Errorf("ListTasks ids = %v, want numeric order", ids)
	}
}

func TestTaskStatusForwardOnly(t *testing.T) {
	s := newTeam(t)
	mustCreate(t, s, "a")
	update(t, s, "1", TaskUpdate{Status: Ptr(StatusPending)})
	update(t, s, "1", TaskUpdate{Status: Ptr(StatusInProgress)})
	update(t, s, "1", TaskUpdate{Status: Ptr(StatusInProgress)})
	before := snapshot(t, s.Root())
	_, err := s.UpdateTask("t1", "1", TaskUpdate{Status: Ptr(StatusPending), Subject: Ptr("changed")})
	if !errors.Is(err, ErrInvalidTask) || !strings.Contains(err.Error(), "cannot go back") {
		t.Errorf("in_progress -> pending = %v", err)
	}
	if _, err := s.UpdateTask("t1", "1", TaskUpdate{Status: Ptr("done")}); !errors.Is(err, ErrInvalidTask) {
		t.Errorf("unknown status = %v", err)
	}
	sameSnapshot(t, before, snapshot(t, s.Root()))
	update(t, s, "1", TaskUpdate{Status: Ptr(StatusCompleted)})
	if _, err := s.UpdateTask("t1", "1", TaskUpdate{Status: Ptr(StatusInProgress)}); !errors.Is(err, ErrInvalidTask) {
		t.Errorf("completed -> in_progress = %v", err)
	}
	// deleted is allowed from any status.
	update(t, s, "1", TaskUpdate{Status: Ptr(StatusDeleted)})
	if _, err := s.GetTask("t1", "1"); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("deleted task still readable: %v", err)
	}
	if _, err := s.UpdateTask("t1", "1", TaskUpdate{Status: Ptr(StatusDeleted)}); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("delete twice = %v", err)
	}
}

func TestTaskDependencies(t *testing.T) {
	s := newTeam(t)
	mustCreate(t, s, "a", "b", "c", "d")
	update(t, s, "1", TaskUpdate{AddBlocks: []string{"2"}})
	update(t, s, "3", TaskUpdate{AddBlockedBy: []string{"2"}})
	update(t, s, "3", TaskUpdate{AddBlockedBy: []string{"2"}}) // duplicate edge: no-op
	if a, b, c := mustGet(t, s, "1"), mustGet(t, s, "2"), mustGet(t, s, "3"); !slices.Equal(a.Blocks, []string{"2"}) ||
		!slices.Equal(b.BlockedBy, []string{"1"}) || !slices.Equal(b.Blocks, []string{"3"}) || !slices.Equal(c.BlockedBy, []string{"2"}) {
		t.Fatalf("edges: 1=%+v 2=%+v 3=%+v", a, b, c)
	}
	before := snapshot(t, s.Root())
	refusals := []struct {
		id   string
		u    TaskUpdate
		want error
		says string
	}{
		{"1", TaskUpdate{AddBlocks: []string{"1"}}, ErrInvalidTask, "itself"},
		{"1", TaskUpdate{AddBlockedBy: []string{"1"}}, ErrInvalidTask, "itself"},
		{"1", TaskUpdate{AddBlocks: []string{"99"}}, ErrTaskNotFound, "99"},
		{"1", TaskUpdate{AddBlockedBy: []string{"x"}}, ErrInvalidName, "x"},
		{"3", TaskUpdate{AddBlocks: []string{"1"}}, ErrInvalidTask, "#3 → #1 → #2 → #3"},
		{"1", TaskUpdate{AddBlockedBy: []string{"3"}}, ErrInvalidTask, "cycle"},
		{"4", TaskUpdate{AddBlocks: []string{"1"}, AddBlockedBy: []string{"1"}}, ErrInvalidTask, "cycle"},
		{"2", TaskUpdate{Status: Ptr(StatusInProgress)}, ErrInvalidTask, "cannot start: it is blocked by task 1"},
		{"2", TaskUpdate{Status: Ptr(StatusCompleted)}, ErrInvalidTask, "cannot complete"},
		{"4", TaskUpdate{AddBlockedBy: []string{"1"}, Status: Ptr(StatusInProgress)}, ErrInvalidTask, "blocked by task 1"},
		{"99", TaskUpdate{Subject: Ptr("x")}, ErrTaskNotFound, "99"},
		{"1", TaskUpdate{Subject: Ptr(" ")}, ErrInvalidTask, "subject"},
		{"1", TaskUpdate{Owner: Ptr("ghost")}, ErrMemberNotFound, "ghost"},
		{"1", TaskUpdate{Owner: Ptr("a/b")}, ErrInvalidName, "a/b"},
	}
	for _, r := range refusals {
		_, err := s.UpdateTask("t1", r.id, r.u)
		if !errors.Is(err, r.want) || !strings.Contains(err.Error(), r.says) {
			t.Errorf("UpdateTask(%s, %+v) = %v, want %v saying %q", r.id, r.u, err, r.want, r.says)
		}
	}
	sameSnapshot(t, before, snapshot(t, s.Root()))

	// Completing 1 unblocks 2 (removed from its blockedBy).
	update(t, s, "1", TaskUpdate{Status: Ptr(StatusCompleted)})
	if b := mustGet(t, s, "2"); len(b.BlockedBy) != 0 {
		t.Errorf("2.blockedBy after completing 1 = %v", b.BlockedBy)
	}
	update(t, s, "2", TaskUpdate{Status: Ptr(StatusInProgress)})

	// A blocker that no longer exists does not block.
	update(t, s, "4", TaskUpdate{AddBlocks: []string{"3"}})
	update(t, s, "4", TaskUpdate{Status: Ptr(StatusDeleted)})
	if c := mustGet(t, s, "3"); !slices.Equal(c.BlockedBy, []string{"2"}) {
		t.Errorf("3.blockedBy after deleting 4 = %v, want [2]", c.BlockedBy)
	}
	os.Remove(s.TaskPath("t1", "2")) // gone without cleanup (another writer)
	update(t, s, "3", TaskUpdate{Status: Ptr(StatusInProgress)})
}

func TestTaskDeleteRemovesReferences(t *testing.T) {
	s := newTeam(t)
	mustCreate(t, s, "a", "b", "c")
	update(t, s, "2", TaskUpdate{AddBlockedBy: []string{"1"}, AddBlocks: []string{"3"}})
	gone := update(t, s, "2", TaskUpdate{Status: Ptr(StatusDeleted), Owner: Ptr("ghost")})
	if gone.Status != StatusDeleted || gone.Subject != "b" {
		t.Errorf("deleted = %+v", gone)
	}
	if a, c := mustGet(t, s, "1"), mustGet(t, s, "3"); len(a.Blocks) != 0 || len(c.BlockedBy) != 0 {
		t.Errorf("references left: 1=%v 3=%v", a.Blocks, c.BlockedBy)
	}
	if mark, _ := os.ReadFile(s.markPath("t1")); string(mark) != "3" {
		t.Errorf(".highwatermark = %q", mark)
	}
}

func TestTaskOwnerAssignment(t *testing.T) {
	s := newTeam(t, "w1", "w2")
	mustCreate(t, s, "Fix parser")
	task := update(t, s, "1", TaskUpdate{Owner: Ptr("w1"), By: "w2"})
	if task.Owner != "w1" {
		t.Errorf("owner = %q", task.Owner)
	}
	res, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true, MarkRead: true})
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("w1 inbox = %+v, %v", res.Messages, err)
	}
	m := res.Messages[0]
	if m.From != "w2" {
		t.Errorf("assignment from %q, want w2", m.From)
	}
	typ, v, ok := Decode(m.Text)
	ta, isTA := v.(TaskAssignment)
	if !ok || typ != TypeTaskAssignment || !isTA || ta.TaskID != "1" || ta.Subject != "Fix parser" || ta.Description != "about Fix parser" || ta.AssignedBy != "w2" || !tsPattern.MatchString(ta.Timestamp) {
		t.Errorf("assignment = %s", m.Text)
	}
	// Same owner again: no second message. Clearing: none either.
	update(t, s, "1", TaskUpdate{Owner: Ptr("w1")})
	update(t, s, "1", TaskUpdate{Owner: Ptr("")})
	if n, _, _ := s.Unread("t1", "w1"); n != 0 {
		t.Errorf("%d extra assignment messages", n)
	}
	if got := mustGet(t, s, "1"); got.Owner != "" {
		t.Errorf("owner not cleared: %q", got.Owner)
	}
	update(t, s, "1", TaskUpdate{Owner: Ptr("w2")})
	res, _ = s.ReadInbox("t1", "w2", ReadOptions{UnreadOnly: true})
	if len(res.Messages) != 1 || res.Messages[0].From != LeadName {
		t.Errorf("w2 assignment = %+v (default assignedBy is team-lead)", res.Messages)
	}
}

func TestTaskMetadataMerge(t *testing.T) {
	s := newTeam(t)
	if _, err := s.CreateTask("t1", TaskInput{Subject: "a", Metadata: map[string]any{"a": 1, "b": "x"}}); err != nil {
		t.Fatal(err)
	}
	got := update(t, s, "1", TaskUpdate{Metadata: map[string]any{"b": nil, "c": true}})
	if len(got.Metadata) != 2 || got.Metadata["c"] != true || got.Metadata["b"] != nil {
		t.Errorf("metadata = %v", got.Metadata)
	}
	got = update(t, s, "1", TaskUpdate{Metadata: map[string]any{"a": nil, "c": nil}})
	if got.Metadata != nil {
		t.Errorf("metadata = %v, want none", got.Metadata)
	}
	if m := readJSONMap(t, s.TaskPath("t1", "1")); m["metadata"] != nil {
		t.Errorf("empty metadata written: %v", m)
	}
	got = update(t, s, "1", TaskUpdate{Subject: Ptr("A"), Description: Ptr("D"), ActiveForm: Ptr("Doing A")})
	if got.Subject != "A" || got.Description != "D" || got.ActiveForm != "Doing A" {
		t.Errorf("fields = %+v", got)
	}
}

func TestReleaseTasks(t *testing.T) {
	s := newTeam(t, "w1", "w2")
	mustCreate(t, s, "a", "b", "c", "d")
	update(t, s, "1", TaskUpdate{Owner: Ptr("w1"), Status: Ptr(StatusInProgress)})
	update(t, s, "2", TaskUpdate{Owner: Ptr("w1")})
	update(t, s, "3", TaskUpdate{Owner: Ptr("w1"), Status: Ptr(StatusCompleted)})
	update(t, s, "4", TaskUpdate{Owner: Ptr("w2")})
	released, err := s.ReleaseTasks("t1", "w1")
	if err != nil {
		t.Fatal(err)
	}
	if len(released) != 2 || released[0].ID != "1" || released[1].ID != "2" {
		t.Fatalf("released = %+v", released)
	}
	for _, id := range []string{"1", "2"} {
		if x := mustGet(t, s, id); x.Owner != "" || x.Status != StatusPending {
			t.Errorf("task %s after release = %+v", id, x)
		}
	}
	if x := mustGet(t, s, "3"); x.Owner != "w1" || x.Status != StatusCompleted {
		t.Errorf("completed task touched: %+v", x)
	}
	want := `w1 was terminated. 2 task(s) were unassigned: #1 "a", #2 "b". Use TaskList to check availability and TaskUpdate with owner to reassign them to idle teammates.`
	if got := RemovalNotice("w1", false, released); got != want {
		t.Errorf("RemovalNotice =\n%s\nwant\n%s", got, want)
	}
	if got := RemovalNotice("w2", true, nil); got != "w2 has shut down." {
		t.Errorf("RemovalNotice = %q", got)
	}
	if r, err := s.ReleaseTasks("t1", "w1"); err != nil || len(r) != 0 {
		t.Errorf("second release = %v, %v", r, err)
	}
}

func TestCorruptTaskFile(t *testing.T) {
	s := newTeam(t)
	mustCreate(t, s, "a")
	if err := os.WriteFile(s.TaskPath("t1", "2"), []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTask("t1", "2"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("GetTask = %v", err)
	}
	// The list leaves it out and sets it aside; the others keep working.
	l, err := s.ListTasksReport("t1")
	if err != nil || len(l.Tasks) != 1 || !strings.Contains(l.SetAside["2"], "task-2.json.") {
		t.Errorf("ListTasksReport = %+v, %v; want task 1 and 2 set aside", l, err)
	}
	if _, err := s.GetTask("t1", "2"); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("GetTask after set-aside = %v", err)
	}
	if got := mustCreate(t, s, "b")[0].ID; got != "3" {
		t.Errorf("next id after corrupt 2 = %s", got)
	}
}

// TestRefusedOwnerUpdateWritesNothing: an update refused for any reason
// leaves no trace, not even the new owner's inbox.
func TestRefusedOwnerUpdateWritesNothing(t *testing.T) {
	s := newTeam(t, "w1")
	mustCreate(t, s, "a")
	mustCreate(t, s, "b")
	update(t, s, "2", TaskUpdate{AddBlockedBy: []string{"1"}})
	if _, err := os.Stat(s.InboxPath("t1", "w1")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("w1 has an inbox before any message: %v", err)
	}
	before := snapshot(t, s.Root())
	for _, u := range []struct {
		id string
		u  TaskUpdate
	}{
		{"99", TaskUpdate{Owner: Ptr("w1")}},                               // no such task
		{"1", TaskUpdate{Owner: Ptr("w1"), AddBlockedBy: []string{"2"}}},   // a cycle
		{"2", TaskUpdate{Owner: Ptr("w1"), Status: Ptr(StatusInProgress)}}, // blocked
		{"1", TaskUpdate{Owner: Ptr("w1"), Status: Ptr("done")}},           // bad status
		{"1", TaskUpdate{Owner: Ptr("w1"), AddBlocks: []string{"7"}}},      // missing peer
	} {
		if _, err := s.UpdateTask("t1", u.id, u.u); err == nil {
			t.Errorf("update %s %+v succeeded", u.id, u.u)
		}
	}
	sameSnapshot(t, before, snapshot(t, s.Root()))
}

// TestTaskAssignmentCorruptInbox: the new owner's corrupt inbox is set
// aside (its bytes kept) for the task_assignment, and ChangeTask says
// where they went.
func TestTaskAssignmentCorruptInbox(t *testing.T) {
	s := newTeam(t, "w1")
	mustCreate(t, s, "a")
	if err := os.WriteFile(s.InboxPath("t1", "w1"), []byte("{bad"), 0o600); err != nil {
		t.Fatal(err)
	}
	ch, err := s.ChangeTask("t1", "1", TaskUpdate{Owner: Ptr("w1")})
	if err != nil || ch.Task.Owner != "w1" || ch.Corrupt == "" {
		t.Fatalf("ChangeTask = %+v, %v", ch, err)
	}
	if kept, err := os.ReadFile(ch.Corrupt); err != nil || string(kept) != "{bad" {
		t.Errorf("corrupt bytes kept at %s = %q, %v", ch.Corrupt, kept, err)
	}
	if n, _, err := s.Unread("t1", "w1"); err != nil || n != 1 {
		t.Errorf("w1 unread = %d, %v (the assignment in a fresh inbox)", n, err)
	}
}
