package protocol

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"
)

// Interop with Claude Code (PROTOCOL.md §4-5, 7): files written the way
// Claude Code writes them (testdata/protocol/claude-*.json) are read
// correctly and survive our rewrites, and every entry we write passes the
// checks Claude Code applies to inbox entries.

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata/protocol")

const fixtures = "../testdata/protocol"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// installTeam puts a Claude Code config for team "interop" under a new root.
func installTeam(t *testing.T) *Store {
	t.Helper()
	s := NewStore(t.TempDir())
	if err := os.MkdirAll(s.InboxDir("interop"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.ConfigPath("interop"), fixture(t, "claude-config.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestInteropConfig(t *testing.T) {
	s := installTeam(t)
	cfg, err := s.ReadConfig("interop")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Members[1]
	if cfg.LeadSessionID != "9b2f6a3e-4c1d-4e8f-9a7b-1c2d3e4f5a6b" || r.Name != "researcher" || r.TmuxPaneID != "%3" ||
		r.IsActive == nil || !*r.IsActive || r.PlanModeRequired == nil || *r.PlanModeRequired || string(r.Extra["mode"]) != `"acceptEdits"` {
		t.Errorf("config read = %+v", cfg)
	}
	// Unchanged, our encoding is the same JSON, keys in the same order.
	ours, err := marshalFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	orig := fixture(t, "claude-config.json")
	if !jsonEqual(t, ours, orig) || !slices.Equal(topKeys(t, ours), topKeys(t, orig)) {
		t.Errorf("re-encoded config differs:\n%s", ours)
	}
	if string(ours) != string(orig[:len(orig)-1]) { // the fixture ends with a newline
		t.Errorf("re-encoded config is not byte-identical:\n%s", ours)
	}
	// A member added by us keeps everything of theirs.
	if _, err := s.AddMember("interop", Member{Name: "coder", Model: "sonnet"}); err != nil {
		t.Fatal(err)
	}
	got := readJSONMap(t, s.ConfigPath("interop"))
	if got["leadProcess"] == nil || got["members"].([]any)[1].(map[string]any)["mode"] != "acceptEdits" {
		t.Errorf("unknown fields lost: %v", got)
	}
	if c := got["members"].([]any)[2].(map[string]any)["color"]; c != "green" {
		t.Errorf("second teammate colour = %v, want green", c)
	}
}

func TestInteropInbox(t *testing.T) {
	s := installTeam(t)
	path := s.InboxPath("interop", "team-lead")
	orig := fixture(t, "claude-inbox.json")
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := s.ReadInbox("interop", "team-lead", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 3 {
		t.Fatalf("messages = %+v, want the 3 valid entries", res.Messages)
	}
	m0, m1, m2 := res.Messages[0], res.Messages[1], res.Messages[2]
	if m0.Type != "message" || m0.Read || m0.MsgID != "" || m0.From != "team-lead" {
		t.Errorf("entry without type/read/msg_id = %+v", m0)
	}
	if typ, v, ok := Decode(m1.Text); !ok || typ != TypeIdleNotification || v.(IdleNotification).IdleReason != IdleAvailable {
		t.Errorf("idle notification = %q %#v", typ, v)
	}
	if !m2.Read || string(m2.Extra["replyTo"]) != `"abc"` || string(m2.Extra["x-future"]) != `{"nested":[1,2]}` {
		t.Errorf("entry with extra keys = %+v", m2)
	}
	if n, _, _ := s.Unread("interop", "team-lead"); n != 2 {
		t.Errorf("unread = %d, want 2", n)
	}

	// Appending leaves every existing entry as it was, invalid ones too.
	sent, err := s.Send("interop", "team-lead", Message{From: "researcher", Text: "done", Summary: "s", Color: "blue"})
	if err != nil {
		t.Fatal(err)
	}
	var before, after []json.RawMessage
	_ = json.Unmarshal(orig, &before)
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &after); err != nil || len(after) != len(before)+1 {
		t.Fatalf("after append: %d entries, %v", len(after), err)
	}
	for i := range before {
		if !jsonEqual(t, before[i], after[i]) {
			t.Errorf("entry %d changed: %s -> %s", i, before[i], after[i])
		}
	}
	checkClaudeEntry(t, after[len(after)-1])

	// Marking read moves the valid entries to history, leaves the rest.
	res, err = s.ReadInbox("interop", "team-lead", ReadOptions{UnreadOnly: true, MarkRead: true})
	if err != nil || len(res.Messages) != 3 || res.Messages[2].MsgID != sent.MsgID {
		t.Fatalf("unread = %+v, %v", res.Messages, err)
	}
	data, _ = os.ReadFile(path)
	var left []json.RawMessage
	_ = json.Unmarshal(data, &left)
	if len(left) != 2 || !jsonEqual(t, left[0], before[3]) || string(left[1]) != "42" {
		t.Errorf("live inbox after mark = %s", data)
	}
	res, _ = s.ReadInbox("interop", "team-lead", ReadOptions{})
	if len(res.Messages) != 4 || string(res.Messages[2].Extra["x-future"]) != `{"nested":[1,2]}` {
		t.Errorf("history = %+v", res.Messages)
	}
}

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkClaudeEntry applies the rules newer Claude Code applies to inbox
// entries (it drops entries that fail them) and the native fields we owe.
func checkClaudeEntry(t *testing.T, raw json.RawMessage) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("entry %s: %v", raw, err)
	}
	for _, k := range []string{"from", "text", "timestamp", "msg_id", "type"} {
		if _, ok := e[k].(string); !ok {
			t.Errorf("entry %s: %q is not a string", raw, k)
		}
	}
	if ts, _ := e["timestamp"].(string); !tsPattern.MatchString(ts) {
		t.Errorf("entry %s: timestamp %q is not 2006-01-02T15:04:05.000Z", raw, ts)
	}
	if id, _ := e["msg_id"].(string); !uuid4.MatchString(id) {
		t.Errorf("entry %s: msg_id is not a UUID v4", raw)
	}
	if e["msgV"] != 1.0 || e["type"] != "message" || e["read"] != false {
		t.Errorf("entry %s: want msgV 1, type message, read false", raw)
	}
}

func TestInteropOurEntriesPassClaudeChecks(t *testing.T) {
	s := NewStore(t.TempDir()) // real clock and UUIDs
	if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember("t1", Member{Name: "w1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: ""}); err != nil {
		t.Fatal(err)
	}
	task, _ := s.CreateTask("t1", TaskInput{Subject: "x"})
	if _, err := s.UpdateTask("t1", task.ID, TaskUpdate{Owner: Ptr("w1")}); err != nil {
		t.Fatal(err)
	}
	var entries []json.RawMessage
	data, _ := os.ReadFile(s.InboxPath("t1", "w1"))
	if err := json.Unmarshal(data, &entries); err != nil || len(entries) != 2 {
		t.Fatalf("inbox = %s", data)
	}
	for _, e := range entries {
		checkClaudeEntry(t, e)
	}
}

func TestInteropTask(t *testing.T) {
	s := installTeam(t)
	if err := os.MkdirAll(s.TasksDir("interop"), 0o700); err != nil {
		t.Fatal(err)
	}
	orig := fixture(t, "claude-task.json")
	if err := os.WriteFile(s.TaskPath("interop", "7"), orig, 0o600); err != nil {
		t.Fatal(err)
	}
	task, err := s.GetTask("interop", "7")
	if err != nil || task.Owner != "researcher" || task.Metadata["estimate"] != 3.0 || string(task.Extra["createdBy"]) != `"team-lead@interop"` {
		t.Fatalf("task = %+v, %v", task, err)
	}
	// Same JSON, same key order (metadata's own keys come out sorted).
	ours, _ := marshalFile(task)
	if !jsonEqual(t, ours, orig) || !slices.Equal(topKeys(t, ours), topKeys(t, orig)) {
		t.Errorf("re-encoded task differs:\n%s", ours)
	}
	if _, err := s.UpdateTask("interop", "7", TaskUpdate{Status: Ptr(StatusCompleted)}); err != nil {
		t.Fatal(err)
	}
	got := readJSONMap(t, s.TaskPath("interop", "7"))
	if got["createdBy"] != "team-lead@interop" || got["status"] != "completed" {
		t.Errorf("task after update = %v", got)
	}
	if next, _ := s.CreateTask("interop", TaskInput{Subject: "n"}); next.ID != "8" {
		t.Errorf("next id = %s, want 8", next.ID)
	}
}

// TestGoldenFiles pins the exact bytes we write for a new team, a teammate,
// a message and a task (go test -run Golden -update rewrites them).
func TestGoldenFiles(t *testing.T) {
	s := newTeam(t, "w1")
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "hi", Summary: "greeting"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTask("t1", TaskInput{Subject: "a", ActiveForm: "Doing a"}); err != nil {
		t.Fatal(err)
	}
	for golden, path := range map[string]string{
		"golden-config.json": s.ConfigPath("t1"),
		"golden-inbox.json":  s.InboxPath("t1", "w1"),
		"golden-task.json":   s.TaskPath("t1", "1"),
	} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if *updateGolden {
			if err := os.WriteFile(filepath.Join(fixtures, golden), got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if want := fixture(t, golden); string(got) != string(want) {
			t.Errorf("%s differs from %s:\n%s", path, golden, got)
		}
	}
}
