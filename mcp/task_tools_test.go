package mcp_test

import (
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
)

func TestTaskLifecycle(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	for i, subj := range []string{"design", "build", "ship"} {
		got := h.ok("task_create", map[string]any{"team_name": "alpha", "subject": subj,
			"description": "do " + subj, "active_form": "Doing " + subj, "metadata": map[string]any{"n": i}})
		if want := map[string]any{"id": string(rune('1' + i)), "status": "pending"}; !jsonEqual(got, want) {
			t.Fatalf("task_create = %v, want %v", got, want)
		}
	}
	// Dependencies, owner (with a task_assignment to the owner), metadata.
	h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "2", "add_blocked_by": []any{"1"}})
	got := h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": 1, "owner": "w1",
		"status": "in_progress", "metadata": map[string]any{"n": nil, "k": "v"}})
	if got["id"] != "1" || got["status"] != "in_progress" {
		t.Fatalf("task_update = %v", got)
	}
	msgs := h.inbox("alpha", "w1")
	if len(msgs) != 1 {
		t.Fatalf("w1 inbox = %+v", msgs)
	}
	typ, v, ok := protocol.Decode(msgs[0].Text)
	ta, _ := v.(protocol.TaskAssignment)
	if !ok || typ != "task_assignment" || ta.TaskID != "1" || ta.Subject != "design" || ta.AssignedBy != "team-lead" {
		t.Errorf("assignment = %q", msgs[0].Text)
	}

	one := h.ok("task_get", map[string]any{"team_name": "alpha", "task_id": "1"})
	if one["owner"] != "w1" || one["activeForm"] != "Doing design" || !jsonEqual(one["blocks"], []any{"2"}) ||
		!jsonEqual(one["metadata"], map[string]any{"k": "v"}) {
		t.Errorf("task 1 = %v", one)
	}
	// Task 2 cannot start while 1 is unfinished.
	h.fail("task_update", map[string]any{"team_name": "alpha", "task_id": "2", "status": "in_progress"}, "1")
	h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "1", "status": "completed"})
	h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "2", "status": "in_progress"})

	del := h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "3", "status": "deleted"})
	if del["status"] != "deleted" {
		t.Errorf("delete = %v", del)
	}
	list := h.list("task_list", map[string]any{"team_name": "alpha"})
	if len(list) != 2 || list[0]["id"] != "1" || list[1]["id"] != "2" || list[0]["status"] != "completed" {
		t.Fatalf("task_list = %v", list)
	}
	// Ids are never reused.
	if got := h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "again", "description": ""}); got["id"] != "4" {
		t.Errorf("next id = %v", got["id"])
	}
	if empty := h.list("task_list", map[string]any{"team_name": "alpha"}); len(empty) != 3 {
		t.Errorf("task_list = %v", empty)
	}
}

func TestTaskRefusals(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	for i := 0; i < 4; i++ {
		h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "t", "description": "d"})
	}
	h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "1", "add_blocks": []any{"2"}})
	h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "2", "add_blocks": []any{"3"}})
	h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "4", "status": "in_progress"})
	upd := func(kv ...any) map[string]any {
		m := map[string]any{"team_name": "alpha", "task_id": "1"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"task_create", map[string]any{"team_name": "alpha", "subject": "", "description": "d"}, []string{"subject"}},
		{"task_create", map[string]any{"team_name": "nope", "subject": "s", "description": "d"}, []string{`"nope"`}},
		{"task_update", upd("task_id", "99"), []string{`"99"`, "not found"}},
		{"task_update", upd("task_id", "0"), []string{`"0"`}},
		{"task_update", upd("task_id", "../1"), []string{`"../1"`}},
		{"task_update", upd("task_id", "1.5"), []string{"1.5"}},
		{"task_update", upd("status", "done"), []string{`"done"`}},
		{"task_update", upd("task_id", "4", "status", "pending"), []string{"pending"}},
		{"task_update", upd("task_id", "2", "status", "in_progress"), []string{"blocked"}},
		{"task_update", upd("owner", "ghost"), []string{`"ghost"`, "not a member"}},
		{"task_update", upd("add_blocks", []any{"1"}), []string{"itself"}},
		{"task_update", upd("add_blocks", []any{"77"}), []string{"77"}},
		{"task_update", upd("task_id", "3", "add_blocks", []any{"1"}), []string{"cycle"}},
		{"task_update", upd("subject", ""), []string{"subject"}},
		{"task_get", map[string]any{"team_name": "alpha", "task_id": "42"}, []string{`"42"`, "not found"}},
		{"task_get", map[string]any{"team_name": "alpha", "task_id": "-1"}, []string{`"-1"`}},
		{"task_list", map[string]any{"team_name": "Alpha"}, []string{`"Alpha"`}},
	} {
		t.Run(tc.tool+" "+strings.Join(tc.want, " "), func(t *testing.T) {
			h.fail(tc.tool, tc.args, tc.want...)
		})
	}
	// Refused updates changed nothing.
	list := h.list("task_list", map[string]any{"team_name": "alpha"})
	if len(list) != 4 || list[1]["status"] != "pending" || list[3]["status"] != "in_progress" ||
		!jsonEqual(list[0]["blocks"], []any{"2"}) || !jsonEqual(list[2]["blockedBy"], []any{"2"}) {
		t.Fatalf("tasks after refusals = %v", list)
	}
}

// TestTaskUpdateCorruptOwnerInbox: a corrupt inbox met while sending the
// task_assignment is reported in the result.
func TestTaskUpdateCorruptOwnerInbox(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "s", "description": "d"})
	h.corruptInbox("alpha", "w1")
	h.wantCorruptNote(h.call("task_update", map[string]any{"team_name": "alpha", "task_id": "1", "owner": "w1"}), "w1")
}
