package protocol

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCreateTeam(t *testing.T) {
	s := newTeam(t)
	data, err := os.ReadFile(s.ConfigPath("t1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := topKeys(t, data), []string{"name", "description", "createdAt", "leadAgentId", "leadSessionId", "members"}; !slices.Equal(got, want) {
		t.Errorf("config keys = %v, want %v", got, want)
	}
	if !strings.HasPrefix(string(data), "{\n  \"name\": \"t1\",\n") {
		t.Errorf("config not indented with 2 spaces:\n%s", data)
	}
	cfg, err := s.ReadConfig("t1")
	if err != nil {
		t.Fatal(err)
	}
	lead := cfg.Members[0]
	if cfg.LeadAgentID != "team-lead@t1" || lead.AgentID != "team-lead@t1" || lead.Name != LeadName || lead.AgentType != LeadName || lead.Cwd != "/work" {
		t.Errorf("lead = %+v, config = %+v", lead, cfg)
	}
	if cfg.CreatedAt == 0 || lead.JoinedAt == 0 || cfg.LeadSessionID == "" {
		t.Errorf("createdAt/joinedAt/leadSessionId not filled: %+v", cfg)
	}
	if got, want := topKeys(t, mustJSON(t, lead)), []string{"agentId", "name", "agentType", "model", "joinedAt", "tmuxPaneId", "cwd", "subscriptions"}; !slices.Equal(got, want) {
		t.Errorf("lead keys = %v, want %v", got, want)
	}
	for _, p := range []string{s.InboxPath("t1", LeadName), filepath.Join(s.TasksDir("t1"), ".lock")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	if got, _ := os.ReadFile(s.InboxPath("t1", LeadName)); string(got) != "[]" {
		t.Errorf("lead inbox = %q, want []", got)
	}
	for _, p := range []string{s.TeamDir("t1"), s.InboxDir("t1"), s.TasksDir("t1")} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, err %v; want 0700", p, fi.Mode().Perm(), err)
		}
	}
	for _, p := range []string{s.ConfigPath("t1"), s.InboxPath("t1", LeadName)} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, err %v; want 0600", p, fi.Mode().Perm(), err)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateTeamRefusesExisting(t *testing.T) {
	s := newTeam(t, "w1")
	before := snapshot(t, s.Root())
	_, err := s.CreateTeam("t1", "again", Member{})
	if !errors.Is(err, ErrTeamExists) {
		t.Fatalf("CreateTeam existing = %v, want ErrTeamExists", err)
	}
	sameSnapshot(t, before, snapshot(t, s.Root()))
	if _, err := s.CreateTeam("Bad Name", "", Member{}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("CreateTeam(Bad Name) = %v", err)
	}
}

func TestCreateTeamResetsLeftoverTasks(t *testing.T) {
	s := newTeam(t)
	for range 3 {
		if _, err := s.CreateTask("t1", TaskInput{Subject: "old"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(s.ConfigPath("t1")); err != nil { // the team went away, its tasks stayed
		t.Fatal(err)
	}
	if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
		t.Fatal(err)
	}
	tasks, err := s.ListTasks("t1")
	if err != nil || len(tasks) != 0 {
		t.Fatalf("tasks after re-create = %v, %v; want none", tasks, err)
	}
	task, err := s.CreateTask("t1", TaskInput{Subject: "new"})
	if err != nil || task.ID != "4" {
		t.Fatalf("first new task = %v, %v; want id 4 (ids never reused)", task.ID, err)
	}
}

func TestConfigKeepsUnknownFields(t *testing.T) {
	s := newTeam(t, "w1")
	// Claude Code adds fields of its own to the config and to members.
	path := s.ConfigPath("t1")
	m := readJSONMap(t, path)
	m["leadProcess"] = map[string]any{"pid": 42.0}
	members := m["members"].([]any)
	members[1].(map[string]any)["mode"] = "plan"
	members[1].(map[string]any)["isActive"] = false
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateMember("t1", "w1", func(m *Member) error { m.TmuxPaneID = "%7"; return nil }); err != nil {
		t.Fatal(err)
	}
	got := readJSONMap(t, path)
	if lp, ok := got["leadProcess"].(map[string]any); !ok || lp["pid"] != 42.0 {
		t.Errorf("leadProcess lost: %v", got["leadProcess"])
	}
	w1 := got["members"].([]any)[1].(map[string]any)
	if w1["mode"] != "plan" || w1["tmuxPaneId"] != "%7" || w1["isActive"] != false {
		t.Errorf("member after update = %v", w1)
	}
	data, _ = os.ReadFile(path)
	keys := topKeys(t, data)
	if keys[len(keys)-1] != "leadProcess" || keys[0] != "name" {
		t.Errorf("keys = %v: known fields first in Claude Code's order, unknown after", keys)
	}
}

func TestAddMember(t *testing.T) {
	s := newTeam(t)
	var colors []string
	for i := range 10 {
		m, err := s.AddMember("t1", Member{Name: "w" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		colors = append(colors, m.Color)
		if m.AgentID != m.Name+"@t1" || m.AgentType != DefaultAgentType || m.JoinedAt == 0 || m.Subscriptions == nil {
			t.Errorf("member not filled: %+v", m)
		}
	}
	want := []string{"blue", "green", "yellow", "purple", "orange", "pink", "cyan", "red", "blue", "green"}
	if !slices.Equal(colors, want) {
		t.Errorf("colours = %v, want %v", colors, want)
	}
	before := snapshot(t, s.Root())
	if _, err := s.AddMember("t1", Member{Name: "wa"}); !errors.Is(err, ErrMemberExists) {
		t.Errorf("duplicate AddMember = %v, want ErrMemberExists", err)
	}
	if _, err := s.AddMember("t1", Member{Name: "team-lead"}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("AddMember(team-lead) = %v, want ErrInvalidName", err)
	}
	if _, err := s.AddMember("t1", Member{Name: "../x"}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("AddMember(../x) = %v", err)
	}
	if _, err := s.AddMember("nope", Member{Name: "x"}); !errors.Is(err, ErrTeamNotFound) {
		t.Errorf("AddMember to missing team = %v", err)
	}
	sameSnapshot(t, before, snapshot(t, s.Root()))

	// Every teammate field is written, in Claude Code's order, with the
	// Python server's defaults (planModeRequired and isActive false,
	// backendType claude).
	added, err := s.AddMember("t1", Member{Name: "bare", Prompt: "p"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := s.ReadConfig("t1")
	bare, _ := cfg.FindMember("bare")
	if got := topKeys(t, mustJSON(t, bare)); !slices.Equal(got, []string{"agentId", "name", "agentType", "model", "prompt",
		"color", "planModeRequired", "joinedAt", "tmuxPaneId", "cwd", "subscriptions", "backendType", "isActive"}) {
		t.Errorf("bare teammate keys = %v", got)
	}
	if *bare.PlanModeRequired || *bare.IsActive || bare.BackendType != "claude" || added.BackendType != "claude" {
		t.Errorf("bare teammate = %+v", bare)
	}

	// Teammate fields in Claude Code's order.
	m := cfg.Members[1]
	m.PlanModeRequired, m.IsActive, m.BackendType, m.Prompt = Ptr(false), Ptr(true), "claude", "p"
	want = []string{"agentId", "name", "agentType", "model", "prompt", "color", "planModeRequired", "joinedAt", "tmuxPaneId", "cwd", "subscriptions", "backendType", "isActive"}
	if got := topKeys(t, mustJSON(t, m)); !slices.Equal(got, want) {
		t.Errorf("teammate keys = %v, want %v", got, want)
	}
}

func TestRemoveAndUpdateMember(t *testing.T) {
	s := newTeam(t, "w1", "w2")
	if err := s.RemoveMember("t1", "w1"); err != nil {
		t.Fatal(err)
	}
	cfg, _ := s.ReadConfig("t1")
	if len(cfg.Members) != 2 || cfg.Members[1].Name != "w2" {
		t.Errorf("members after remove = %+v", cfg.Members)
	}
	if err := s.RemoveMember("t1", "w1"); !errors.Is(err, ErrMemberNotFound) {
		t.Errorf("remove twice = %v", err)
	}
	if err := s.RemoveMember("t1", LeadName); err == nil {
		t.Error("removing the lead accepted")
	}
	if _, err := s.UpdateMember("t1", "w2", func(m *Member) error { m.Name = "zz"; return nil }); err == nil {
		t.Error("renaming a member accepted")
	}
	boom := errors.New("boom")
	if _, err := s.UpdateMember("t1", "w2", func(m *Member) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("UpdateMember fn error = %v", err)
	}
	if _, err := s.UpdateMember("t1", "ghost", func(m *Member) error { return nil }); !errors.Is(err, ErrMemberNotFound) {
		t.Errorf("UpdateMember(ghost) = %v", err)
	}
	if _, err := s.UpdateConfig("t1", func(c *TeamConfig) error { c.Name = "other"; return nil }); err == nil {
		t.Error("renaming the team accepted")
	}
	if _, err := s.ReadConfig("../t1"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("ReadConfig(../t1) = %v", err)
	}
	if len(lockDirs(t, s.Root())) != 0 {
		t.Errorf("locks left behind: %v", lockDirs(t, s.Root()))
	}
}

func TestCorruptConfig(t *testing.T) {
	s := newTeam(t)
	if err := os.WriteFile(s.ConfigPath("t1"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadConfig("t1"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadConfig corrupt = %v", err)
	}
	if _, err := s.AddMember("t1", Member{Name: "w1"}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("AddMember on corrupt = %v", err)
	}
	if got, _ := os.ReadFile(s.ConfigPath("t1")); string(got) != "{not json" {
		t.Errorf("corrupt config rewritten: %q", got)
	}
}

func TestDeleteTeam(t *testing.T) {
	s := newTeam(t, "w1")
	if _, err := s.CreateTask("t1", TaskInput{Subject: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTeam("t1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.TeamDir("t1"), s.TasksDir("t1")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", p, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(s.Root(), "teams"))
	if len(entries) != 0 {
		t.Errorf("teams/ not empty after delete: %v", entries)
	}
	if err := s.DeleteTeam("t1"); !errors.Is(err, ErrTeamNotFound) {
		t.Errorf("delete twice = %v", err)
	}
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"}); !errors.Is(err, ErrTeamNotFound) {
		t.Errorf("Send to deleted team = %v", err)
	}
	if _, err := os.Stat(s.TeamDir("t1")); !os.IsNotExist(err) {
		t.Errorf("Send resurrected the team directory")
	}
}

func TestSettings(t *testing.T) {
	s := newTeam(t)
	st, err := s.TeamSettings("t1")
	if err != nil || st.PeerMessaging {
		t.Fatalf("default settings = %+v, %v", st, err)
	}
	if err := s.SetTeamSettings("t1", Settings{PeerMessaging: true}); err != nil {
		t.Fatal(err)
	}
	st, err = s.TeamSettings("t1")
	if err != nil || !st.PeerMessaging {
		t.Fatalf("settings = %+v, %v", st, err)
	}
	if got := readJSONMap(t, s.SettingsPath("t1")); got["peerMessaging"] != true {
		t.Errorf("settings file = %v", got)
	}
	if err := s.SetTeamSettings("ghost", Settings{}); !errors.Is(err, ErrTeamNotFound) {
		t.Errorf("SetTeamSettings(ghost) = %v", err)
	}
}

func TestMemberPermissionModeRoundTrip(t *testing.T) {
	for _, mode := range []string{"acceptEdits", "plan", ""} {
		var m Member
		m.Name = "w"
		m.SetPermissionMode(mode)
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Member
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.PermissionMode(); got != mode {
			t.Errorf("mode %q: read back %q from %s", mode, got, raw)
		}
		if mode == "" && strings.Contains(string(raw), `"mode"`) {
			t.Errorf("empty mode written: %s", raw)
		}
	}
	var odd Member
	if err := json.Unmarshal([]byte(`{"name":"w","mode":7}`), &odd); err != nil {
		t.Fatal(err)
	}
	if got := odd.PermissionMode(); got != "" {
		t.Errorf("non-string mode read as %q", got)
	}
}
