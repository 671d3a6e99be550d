package mcp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

var paneTools = []string{"spawn_teammate", "check_teammate", "force_kill_teammate",
	"process_shutdown_approved", "team_status", "restart_teammate"}

func (h *harness) toolNames() []string {
	h.t.Helper()
	res, err := h.client.ListTools(h.t.Context(), listToolsReq())
	if err != nil {
		h.t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

func TestPaneToolsOnlyWithSupervisor(t *testing.T) {
	without := newHarness(t, harnessOpts{}).toolNames()
	with := newHarness(t, harnessOpts{sup: newFakeSupervisor()}).toolNames()
	for _, name := range paneTools {
		if slices.Contains(without, name) {
			t.Errorf("%s registered without a supervisor", name)
		}
		if !slices.Contains(with, name) {
			t.Errorf("%s missing with a supervisor", name)
		}
	}
	if len(with) != len(without)+len(paneTools) {
		t.Errorf("tools with supervisor %v, without %v", with, without)
	}
}

// testBackends is the backends.Config the harness gives the server: every
// agent CLI is "installed".
var testBackends = backends.Config{
	Self:     "/usr/local/bin/claude-teams",
	LookPath: func(file string) (string, error) { return "/usr/bin/" + file, nil },
}

func TestSpawnTeammate(t *testing.T) {
	sup := newFakeSupervisor()
	h := newHarness(t, harnessOpts{sup: sup})
	h.createTeam("alpha")
	avail := testBackends.Available("claude-code")
	args := map[string]any{"team_name": "alpha", "name": "w1", "prompt": "write the tests", "cwd": h.cwd, "restart": "on-failure", "permission_mode": "acceptEdits"}
	if len(avail) == 0 {
		t.Fatal("testBackends offers no backend for claude-code")
	}
	got := h.ok("spawn_teammate", args)
	if got["agent_id"] != "w1@alpha" || got["name"] != "w1" || got["team_name"] != "alpha" ||
		got["backend_type"] != avail[0] || got["pane_id"] != "%42" || got["color"] != "blue" {
		t.Fatalf("spawn = %v", got)
	}
	if calls := sup.Calls(); !slices.Contains(calls, "spawn alpha w1 "+avail[0]+" on-failure") {
		t.Errorf("supervisor calls = %q", calls)
	}
	cfg, _ := h.store.ReadConfig("alpha")
	w1, _ := cfg.FindMember("w1")
	if w1.Model != "sonnet" || w1.AgentType != "general-purpose" || w1.Cwd != h.cwd || w1.Prompt != "write the tests" ||
		w1.PermissionMode() != "acceptEdits" {
		t.Errorf("member = %+v", w1)
	}
}

// TestSpawnDefaultBackend checks that a spawn without backend_type starts
// the connecting client's own backend (codex for Codex, claude for Claude
// Code), identified in either protocol era.
func TestSpawnDefaultBackend(t *testing.T) {
	for _, tc := range []struct {
		client string
		legacy bool
		want   string
	}{
		{"codex-mcp-client", true, "codex"},
		{"claude-code", false, "claude"},
		{"gemini-cli-mcp-client", false, "gemini"},
	} {
		t.Run(tc.client, func(t *testing.T) {
			if !slices.Contains(testBackends.Available(""), tc.want) {
				t.Fatalf("%s is not among the default backends %v", tc.want, testBackends.Available(""))
			}
			h := newHarness(t, harnessOpts{sup: newFakeSupervisor(), clientName: tc.client, legacy: tc.legacy})
			h.createTeam("alpha")
			if tc.want == "gemini" { // its preflight wants our server registered and an auth type
				dir := filepath.Join(h.cwd, ".gemini")
				settings := `{"mcpServers":{"claude-teams":{}},"security":{"auth":{"selectedType":"oauth-personal"}}}`
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(settings), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got := h.ok("spawn_teammate", map[string]any{"team_name": "alpha", "name": "w1", "prompt": "p"})
			if got["backend_type"] != tc.want {
				t.Errorf("backend_type = %v, want %s", got["backend_type"], tc.want)
			}
		})
	}
}

func TestSpawnTeammateRefusals(t *testing.T) {
	sup := newFakeSupervisor()
	h := newHarness(t, harnessOpts{sup: sup})
	h.createTeam("alpha", "w1")
	spawn := func(kv ...any) map[string]any {
		m := map[string]any{"team_name": "alpha", "name": "w2", "prompt": "p", "cwd": h.cwd}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"no team", spawn("team_name", "nope"), []string{`"nope"`}},
		{"bad name", spawn("name", "a b"), []string{`"a b"`}},
		{"reserved", spawn("name", "team-lead"), []string{`"team-lead"`, "reserved"}},
		{"taken", spawn("name", "w1"), []string{`"w1"`}},
		{"empty prompt", spawn("prompt", " "), []string{"prompt"}},
		{"relative cwd", spawn("cwd", "src"), []string{`"src"`, "absolute"}},
		{"missing cwd", spawn("cwd", filepath.Join(h.cwd, "nope")), []string{"nope", "directory"}},
		{"bad restart", spawn("restart", "sometimes"), []string{`"sometimes"`}},
		{"bad permission mode", spawn("permission_mode", "yolo"), []string{`"yolo"`, "acceptEdits"}},
		{"unknown backend", spawn("backend_type", "emacs"), []string{"emacs"}},
		{"gemini without our server", spawn("backend_type", "gemini"), []string{"gemini mcp add --scope user --trust claude-teams"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.fail("spawn_teammate", tc.args, tc.want...)
		})
	}
	sup.spawnErr = errors.New("tmux exploded")
	if len(testBackends.Available("claude-code")) > 0 {
		h.fail("spawn_teammate", spawn(), "tmux exploded")
	}
	for _, c := range sup.Calls() {
		if strings.HasPrefix(c, "spawn") && !strings.Contains(c, " w2 ") {
			t.Errorf("refused spawn reached the supervisor: %q", c)
		}
	}
}

func TestCheckTeammate(t *testing.T) {
	sup := newFakeSupervisor()
	h := newHarness(t, harnessOpts{sup: sup})
	h.createTeam("alpha", "w1", "w2")
	exit := 137
	sup.status["w1"] = protocol.TeammateStatus{Name: "w1", State: "crashed", Alive: false, ExitStatus: &exit,
		Signal: "KILL", Restarts: 2, PID: 99, Backend: "claude", PaneID: "%w1", LastOutputAt: "2020-01-01T00:00:00Z",
		Window: "alpha-2 (@7)", RestartError: "new window: context deadline exceeded"}
	sup.status["w2"] = protocol.TeammateStatus{Name: "w2", State: "running", Alive: true, PID: 100,
		StartedAt: "2020-01-01T00:00:00Z"}
	h.send("alpha", "team-lead", "w1", "first")
	h.send("alpha", "team-lead", "w2", "other")
	h.send("alpha", "team-lead", "w1", "second")
	h.send("alpha", "w1", "team-lead", "unread by w1")

	got := h.ok("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1",
		"include_output": true, "output_lines": 120, "max_messages": 1})
	pending := got["pending_from"].([]any)
	if got["name"] != "w1" || got["alive"] != false || got["their_unread_count"] != float64(1) ||
		len(pending) != 1 || pending[0].(map[string]any)["text"] != "second" {
		t.Fatalf("check = %v", got)
	}
	if got["state"] != "crashed" || got["exit_status"] != float64(137) || got["signal"] != "KILL" ||
		got["restarts"] != float64(2) || got["output"] != "line 1\nline 2" || got["last_output_age"] == "" {
		t.Errorf("check = %v", got)
	}
	if e, _ := got["error"].(string); !strings.Contains(e, "crashed: killed by KILL") ||
		!strings.Contains(e, "its restart failed: new window: context deadline exceeded") {
		t.Errorf("error = %v", got["error"])
	}
	if got["window"] != "alpha-2 (@7)" || got["restart_error"] != "new window: context deadline exceeded" {
		t.Errorf("check = %v", got)
	}
	// The returned message is marked read; w1's older one and w2's stay unread.
	again := h.ok("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"})
	if p := again["pending_from"].([]any); len(p) != 1 || p[0].(map[string]any)["text"] != "first" {
		t.Errorf("second check pending_from = %v, want only \"first\"", p)
	}
	alive := h.ok("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w2", "include_messages": false})
	if alive["alive"] != true || alive["error"] != nil || alive["uptime"] == "" || len(alive["pending_from"].([]any)) != 0 {
		t.Errorf("check w2 = %v", alive)
	}
	if _, has := alive["output"]; has {
		t.Errorf("output without include_output: %v", alive)
	}
	h.fail("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "team-lead"}, "lead")
	h.fail("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "ghost"}, `"ghost"`, "not found")
}

// TestRemoveTeammate removes a teammate through each tool, with its task
// owned under its name and under its agent id (as native Claude Code
// teammates may write it): either way the task is released.
func TestRemoveTeammate(t *testing.T) {
	for _, tc := range []struct {
		tool, reason, notice, message, owner string
	}{
		{"force_kill_teammate", "killed", "w1 was terminated.", "w1 has been stopped.", "w1"},
		{"process_shutdown_approved", "shutdown", "w1 has shut down.", "w1 removed from team.", "w1"},
		{"force_kill_teammate", "killed", "w1 was terminated.", "w1 has been stopped.", "w1@alpha"},
		{"process_shutdown_approved", "shutdown", "w1 has shut down.", "w1 removed from team.", "w1@alpha"},
	} {
		t.Run(tc.tool+"/"+tc.owner, func(t *testing.T) {
			sup := newFakeSupervisor()
			h := newHarness(t, harnessOpts{sup: sup})
			h.createTeam("alpha", "w1", "w2")
			h.ok("task_create", map[string]any{"team_name": "alpha", "subject": "mine", "description": ""})
			h.ok("task_update", map[string]any{"team_name": "alpha", "task_id": "1", "owner": "w1", "status": "in_progress"})
			if tc.owner != "w1" {
				h.setTaskOwner("alpha", "1", tc.owner)
			}

			got := h.ok(tc.tool, map[string]any{"team_name": "alpha", "agent_name": "w1"})
			if got["success"] != true || !strings.HasPrefix(got["message"].(string), tc.message) {
				t.Fatalf("%s = %v", tc.tool, got)
			}
			if !slices.Contains(sup.Calls(), "stop alpha w1 "+tc.reason) {
				t.Errorf("supervisor calls = %q", sup.Calls())
			}
			cfg, _ := h.store.ReadConfig("alpha")
			if _, still := cfg.FindMember("w1"); still {
				t.Error("w1 still a member")
			}
			task, _ := h.store.GetTask("alpha", "1")
			if task.Owner != "" || task.Status != "pending" {
				t.Errorf("task = %+v", task)
			}
			lead := h.inbox("alpha", "team-lead")
			want := tc.notice + ` 1 task(s) were unassigned: #1 "mine".`
			if len(lead) != 1 || !strings.HasPrefix(lead[0].Text, want) || lead[0].From != "w1" {
				t.Errorf("lead inbox = %+v, want %q", lead, want)
			}
			h.fail(tc.tool, map[string]any{"team_name": "alpha", "agent_name": "w1"}, `"w1"`, "not found")
			h.fail(tc.tool, map[string]any{"team_name": "alpha", "agent_name": "team-lead"}, "team-lead")
		})
	}
}

func TestRemoveTeammateStopFails(t *testing.T) {
	sup := newFakeSupervisor()
	sup.stopErr = errors.New("pane will not die")
	h := newHarness(t, harnessOpts{sup: sup})
	h.createTeam("alpha", "w1")
	h.fail("force_kill_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"}, "pane will not die")
	cfg, _ := h.store.ReadConfig("alpha")
	if _, ok := cfg.FindMember("w1"); !ok {
		t.Error("w1 removed although its pane could not be stopped")
	}
}

func TestTeamStatusAndRestart(t *testing.T) {
	sup := newFakeSupervisor()
	h := newHarness(t, harnessOpts{sup: sup})
	h.createTeam("alpha", "w1")
	st := h.ok("team_status", map[string]any{"team_name": "alpha"})
	if st["name"] != "alpha" || st["supervised"] != true || len(st["teammates"].([]any)) != 0 {
		t.Fatalf("team_status = %v", st)
	}
	sup.status["w1"] = protocol.TeammateStatus{Name: "w1", State: "failed", SessionID: "8b90bf9f-b4db-4038-99aa-cece2cc8ce79", Resumed: true}
	got := h.ok("restart_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"})
	if got["name"] != "w1" || got["restarts"] != float64(1) || got["session_id"] != "8b90bf9f-b4db-4038-99aa-cece2cc8ce79" || got["resumed"] != true {
		t.Fatalf("restart = %v", got)
	}
	h.ok("restart_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1", "fresh": true})
	h.fail("restart_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1", "fresh": "yes"}, "fresh")
	if calls := strings.Join(sup.Calls(), "|"); !strings.Contains(calls, "restart alpha w1|restart alpha w1 fresh") {
		t.Errorf("calls %q", calls)
	}
	check := h.ok("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"})
	if check["session_id"] != "8b90bf9f-b4db-4038-99aa-cece2cc8ce79" || check["resumed"] != true {
		t.Errorf("check_teammate session = %v %v", check["session_id"], check["resumed"])
	}
	h.fail("restart_teammate", map[string]any{"team_name": "alpha", "agent_name": "ghost"}, `"ghost"`)
	h.fail("team_status", map[string]any{"team_name": "nope"}, `"nope"`)
}

// TestCheckTeammateCorruptLeadInbox: reading the lead's inbox for
// pending_from sets a corrupt one aside; the result says so.
func TestCheckTeammateCorruptLeadInbox(t *testing.T) {
	h := newHarness(t, harnessOpts{sup: newFakeSupervisor()})
	h.createTeam("alpha", "w1")
	h.corruptInbox("alpha", "team-lead")
	h.wantCorruptNote(h.call("check_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"}), "team-lead")
}

// TestRemoveTeammateCorruptLeadInbox: the removal notice goes to a fresh
// lead inbox when the old one is corrupt, and the result says so.
func TestRemoveTeammateCorruptLeadInbox(t *testing.T) {
	h := newHarness(t, harnessOpts{sup: newFakeSupervisor()})
	h.createTeam("alpha", "w1")
	h.corruptInbox("alpha", "team-lead")
	h.wantCorruptNote(h.call("force_kill_teammate", map[string]any{"team_name": "alpha", "agent_name": "w1"}), "team-lead")
	if lead := h.inbox("alpha", "team-lead"); len(lead) != 1 || lead[0].Text != "w1 was terminated." {
		t.Errorf("lead inbox = %+v", lead)
	}
}

// setTaskOwner rewrites the owner field of a task file directly, as a
// native teammate does (task_update accepts member names only).
func (h *harness) setTaskOwner(team, id, owner string) {
	h.t.Helper()
	path := h.store.TaskPath(team, id)
	b, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	var task map[string]any
	if err := json.Unmarshal(b, &task); err != nil {
		h.t.Fatal(err)
	}
	task["owner"] = owner
	if b, err = json.Marshal(task); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// TestSpawnRestartWords runs the restart words every entry point shares
// (testdata/protocol/restart_words.json; cmd/claude-teams's
// TestRestartPolicyEntryPoints runs the others) through spawn_teammate.
func TestSpawnRestartWords(t *testing.T) {
	b, err := os.ReadFile("../testdata/protocol/restart_words.json")
	if err != nil {
		t.Fatal(err)
	}
	var words []struct {
		Word string `json:"word"`
		OK   bool   `json:"ok"`
	}
	if err := json.Unmarshal(b, &words); err != nil {
		t.Fatal(err)
	}
	sup := newFakeSupervisor()
	h := newHarness(t, harnessOpts{sup: sup})
	h.createTeam("alpha")
	for i, w := range words {
		args := map[string]any{"team_name": "alpha", "name": fmt.Sprintf("w%d", i), "prompt": "p", "restart": w.Word}
		if w.OK {
			h.ok("spawn_teammate", args)
		} else {
			h.fail("spawn_teammate", args, `"`+w.Word+`"`)
		}
	}
}
