package mcp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTeamCreate(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	got := h.ok("team_create", map[string]any{"team_name": "alpha", "description": "the A team"})
	want := map[string]any{
		"team_name":      "alpha",
		"team_file_path": filepath.Join(h.root, "teams", "alpha", "config.json"),
		"lead_agent_id":  "team-lead@alpha",
		"peer_messaging": false,
	}
	if !jsonEqual(got, want) {
		t.Fatalf("team_create = %v, want %v", got, want)
	}
	cfg, err := h.store.ReadConfig("alpha")
	if err != nil {
		t.Fatal(err)
	}
	lead := cfg.Members[0]
	if cfg.Description != "the A team" || len(cfg.Members) != 1 || lead.Name != "team-lead" ||
		lead.Cwd != h.cwd || lead.TmuxPaneID != "%0" {
		t.Errorf("config = %+v", cfg)
	}
	if h.srv.ActiveTeam() != "alpha" {
		t.Errorf("active team = %q", h.srv.ActiveTeam())
	}
}

func TestTeamCreateRefusals(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, tc := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"missing name", map[string]any{}, []string{`""`}},
		{"upper case", map[string]any{"team_name": "My Team"}, []string{`"My Team"`, `"my-team"`}},
		{"path", map[string]any{"team_name": "../etc"}, []string{`"../etc"`}},
		{"flag", map[string]any{"team_name": "--help"}, []string{`"--help"`, "starts with '-'"}},
		{"wrong type", map[string]any{"team_name": 7}, []string{"team_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.fail("team_create", tc.args, tc.want...)
		})
	}
	h.ok("team_create", map[string]any{"team_name": "alpha"})
	h.fail("team_create", map[string]any{"team_name": "beta"}, `"alpha"`, "one team per session")

	// Another session (process) may not overwrite a team that exists.
	other := newHarness(t, harnessOpts{root: h.root})
	other.fail("team_create", map[string]any{"team_name": "alpha"}, "alpha", "exists")
}

func TestTeamCreatePeerMessaging(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	got := h.ok("team_create", map[string]any{"team_name": "peers", "peer_messaging": true})
	if got["peer_messaging"] != true {
		t.Fatalf("team_create = %v", got)
	}
	st, err := h.store.TeamSettings("peers")
	if err != nil || !st.PeerMessaging {
		t.Fatalf("settings = %+v, %v", st, err)
	}
}

func TestTeamDelete(t *testing.T) {
	sup := newFakeSupervisor()
	h := newHarness(t, harnessOpts{sup: sup})
	h.createTeam("alpha", "w1", "w2")
	h.fail("team_delete", map[string]any{"team_name": "alpha"}, `"alpha"`, "2 teammate(s)", "w1, w2")
	if _, err := os.Stat(h.store.ConfigPath("alpha")); err != nil {
		t.Fatalf("refused delete removed the config: %v", err)
	}
	for _, w := range []string{"w1", "w2"} {
		if err := h.store.RemoveMember("alpha", w); err != nil {
			t.Fatal(err)
		}
	}
	got := h.ok("team_delete", map[string]any{"team_name": "alpha"})
	if got["success"] != true || got["team_name"] != "alpha" {
		t.Fatalf("team_delete = %v", got)
	}
	for _, p := range []string{h.store.TeamDir("alpha"), h.store.TasksDir("alpha")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
	if calls := strings.Join(sup.Calls(), ";"); !strings.Contains(calls, "teardown alpha") {
		t.Errorf("supervisor calls %q lack teardown", calls)
	}
	// The session may now create another team.
	h.ok("team_create", map[string]any{"team_name": "beta"})

	h.fail("team_delete", map[string]any{"team_name": "gone"}, `"gone"`, "not found")
	h.fail("team_delete", map[string]any{"team_name": "a/b"}, `"a/b"`)
}

func TestReadConfigHidesPrompts(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	got := h.ok("read_config", map[string]any{"team_name": "alpha"})
	members := got["members"].([]any)
	if len(members) != 2 {
		t.Fatalf("members = %v", members)
	}
	for _, m := range members {
		if _, has := m.(map[string]any)["prompt"]; has {
			t.Errorf("member %v shows its prompt", m)
		}
	}
	w1 := members[1].(map[string]any)
	if w1["name"] != "w1" || w1["agentId"] != "w1@alpha" || w1["color"] == "" {
		t.Errorf("w1 = %v", w1)
	}
	// The prompt is still on disk.
	raw, err := os.ReadFile(h.store.ConfigPath("alpha"))
	if err != nil {
		t.Fatal(err)
	}
	var disk struct{ Members []map[string]any }
	if err := json.Unmarshal(raw, &disk); err != nil || disk.Members[1]["prompt"] != "do w1" {
		t.Errorf("prompt on disk = %v (%v)", disk.Members, err)
	}
	h.fail("read_config", map[string]any{"team_name": "nope"}, `"nope"`, "not found")
	h.fail("read_config", map[string]any{"team_name": ".hidden"}, `".hidden"`)
}
