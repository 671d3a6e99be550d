package mcp_test

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
)

// teammateSession returns a lead session with team alpha (w1, w2) and the
// own server of teammate w1 on the same data root, both with pane tools.
func teammateSession(t *testing.T) (lead, w1 *harness) {
	lead = newHarness(t, harnessOpts{sup: newFakeSupervisor()})
	lead.createTeam("alpha", "w1", "w2")
	w1 = newHarness(t, harnessOpts{root: lead.root, sup: newFakeSupervisor(), agent: "w1", agentTeam: "alpha"})
	return lead, w1
}

func toolNames(t *testing.T, h *harness) []string {
	t.Helper()
	res, err := h.client.ListTools(t.Context(), listToolsReq())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	sort.Strings(names)
	return names
}

// TestTeammateServerOffersTeammateTools: a teammate's own server lists
// only what a teammate may use, and the lead's tools cannot be called.
func TestTeammateServerOffersTeammateTools(t *testing.T) {
	lead, w1 := teammateSession(t)
	want := []string{"poll_inbox", "read_config", "read_inbox", "send_message",
		"task_create", "task_get", "task_list", "task_update", "team_status"}
	if got := toolNames(t, w1); !slices.Equal(got, want) {
		t.Errorf("teammate server tools = %v, want %v", got, want)
	}
	leadTools := toolNames(t, lead)
	for _, name := range []string{"team_create", "team_delete", "spawn_teammate", "check_teammate",
		"force_kill_teammate", "process_shutdown_approved", "restart_teammate"} {
		if !slices.Contains(leadTools, name) {
			t.Errorf("lead server lacks %s", name)
		}
		if _, err := w1.client.CallTool(context.Background(), callReq(name, map[string]any{"team_name": "alpha", "agent_name": "w2"})); err == nil {
			t.Errorf("%s callable on a teammate's server", name)
		}
	}
	if calls := w1.sup.Calls(); len(calls) != 0 {
		t.Errorf("teammate server reached its supervisor: %v", calls)
	}
	if _, err := lead.store.ReadConfig("alpha"); err != nil {
		t.Errorf("team gone: %v", err)
	}
}

// TestTeammateServerInboxesAndTeams: only its own inbox, only its team.
func TestTeammateServerInboxesAndTeams(t *testing.T) {
	lead, w1 := teammateSession(t)
	lead.ok("send_message", map[string]any{"team_name": "alpha", "type": "message", "recipient": "w2", "content": "for w2", "summary": "s"})
	lead.ok("send_message", map[string]any{"team_name": "alpha", "type": "message", "recipient": "w1", "content": "for w1", "summary": "s"})
	if _, err := lead.store.Send("alpha", protocol.LeadName, protocol.Message{From: "w2", Text: "for lead"}); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"read_inbox", "poll_inbox"} {
		for _, other := range []string{protocol.LeadName, "w2"} {
			w1.fail(tool, map[string]any{"team_name": "alpha", "agent_name": other, "mark_as_read": true, "timeout_ms": 0},
				`teammate "w1"`, "only its own inbox", other)
		}
	}
	if n := len(lead.inbox("alpha", "w2")); n != 1 {
		t.Errorf("w2's inbox has %d unread after refused reads, want 1", n)
	}
	if n := len(lead.inbox("alpha", protocol.LeadName)); n != 1 {
		t.Errorf("lead's inbox has %d unread after refused reads, want 1", n)
	}
	got := w1.list("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1"})
	if len(got) != 1 {
		t.Errorf("own inbox = %v", got)
	}

	other := newHarness(t, harnessOpts{root: lead.root})
	other.createTeam("beta", "w1")
	for _, tool := range []string{"read_config", "task_list", "task_create"} {
		w1.fail(tool, map[string]any{"team_name": "beta", "subject": "x", "description": "y"},
			`team "alpha"`, `not in team "beta"`)
	}
}

// TestTeammateServerTasks: its own tasks and claiming free ones, nothing
// else; refusals change nothing.
func TestTeammateServerTasks(t *testing.T) {
	lead, w1 := teammateSession(t)
	mk := func(owner string) string {
		id := lead.ok("task_create", map[string]any{"team_name": "alpha", "subject": "s-" + owner, "description": "d"})["id"].(string)
		if owner != "" {
			lead.ok("task_update", map[string]any{"team_name": "alpha", "task_id": id, "owner": owner})
		}
		return id
	}
	leads, w2s, free := mk(protocol.LeadName), mk("w2"), mk("")
	for _, c := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"delete the lead's task", map[string]any{"task_id": leads, "status": "deleted"}, `owned by "team-lead"`},
		{"complete a peer's task", map[string]any{"task_id": w2s, "status": "completed"}, `owned by "w2"`},
		{"take a peer's task", map[string]any{"task_id": w2s, "owner": "w1"}, `owned by "w2"`},
		{"start a free task unclaimed", map[string]any{"task_id": free, "status": "in_progress"}, "claim it first"},
		{"assign a free task to a peer", map[string]any{"task_id": free, "owner": "w2"}, `cannot make "w2" the owner`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := lead.ok("task_get", map[string]any{"team_name": "alpha", "task_id": c.args["task_id"]})
			c.args["team_name"] = "alpha"
			w1.fail("task_update", c.args, `teammate "w1"`, c.want)
			after := lead.ok("task_get", map[string]any{"team_name": "alpha", "task_id": c.args["task_id"]})
			if !jsonEqual(before, after) {
				t.Errorf("refused update changed the task: %v -> %v", before, after)
			}
		})
	}
	w1.ok("task_update", map[string]any{"team_name": "alpha", "task_id": free, "owner": "w1", "status": "in_progress"})
	w1.ok("task_update", map[string]any{"team_name": "alpha", "task_id": free, "status": "completed"})
	mine := w1.ok("task_create", map[string]any{"team_name": "alpha", "subject": "mine", "description": "d"})["id"].(string)
	w1.ok("task_update", map[string]any{"team_name": "alpha", "task_id": mine, "owner": "w1"})
	w1.ok("task_update", map[string]any{"team_name": "alpha", "task_id": mine, "status": "deleted"})
	got := lead.ok("task_get", map[string]any{"team_name": "alpha", "task_id": free})
	if got["owner"] != "w1" || got["status"] != "completed" {
		t.Errorf("claimed task = %v", got)
	}
}
