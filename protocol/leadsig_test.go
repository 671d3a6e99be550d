package protocol

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func mustVerifyKey(t *testing.T, s *Store, agent string) string {
	t.Helper()
	v, err := s.LeadVerifyKey("t1", agent)
	if err != nil {
		t.Fatalf("LeadVerifyKey(%s): %v", agent, err)
	}
	return v
}

// liveEntries reads agent's inbox file as a teammate would.
func liveEntries(t *testing.T, s *Store, agent string) []Message {
	t.Helper()
	data, err := os.ReadFile(s.InboxPath("t1", agent))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := DecodeInbox(data)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestLeadVerifyKeyFileAndLaunchTime(t *testing.T) {
	s := newTeam(t, "w1")
	first := mustVerifyKey(t, s, "w1")
	ms1, pub1, err := ParseVerifyKey(first)
	if err != nil {
		t.Fatal(err)
	}
	if base := fixedClock()().UnixMilli(); ms1 < base || ms1 > base+100 {
		t.Errorf("launch ms = %d, want the store clock's time (from %d)", ms1, base)
	}
	fi, err := os.Lstat(s.LeadKeyPath("t1", "w1"))
	if err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
		t.Fatalf("key file: %v, %v; want a regular 0600 file", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(s.LeadKeyPath("t1", "w1"))); di.Mode().Perm() != 0o700 {
		t.Errorf("keys dir mode %v, want 0700", di.Mode().Perm())
	}
	second := mustVerifyKey(t, s, "w1")
	ms2, pub2, _ := ParseVerifyKey(second)
	if ms2 <= ms1 {
		t.Errorf("relaunch ms %d is not after %d", ms2, ms1)
	}
	if !pub1.Equal(pub2) {
		t.Error("relaunch changed the key pair; entries waiting in the inbox would no longer verify")
	}
	other := mustVerifyKey(t, s, "w2")
	if _, pub3, _ := ParseVerifyKey(other); pub3.Equal(pub1) {
		t.Error("two teammates share a key pair")
	}
}

func TestLeadEntriesSignedForKeyedTeammate(t *testing.T) {
	s := newTeam(t, "w1", "w2", "w3")
	key := mustVerifyKey(t, s, "w1")
	tests := []struct {
		name, to string
		m        Message
		signed   bool
	}{
		{"lead plain", "w1", Message{From: LeadName, Text: "hello"}, true},
		{"user with summary and colour", "w1", Message{From: "user", Text: "x", Summary: "s", Color: "blue"}, true},
		{"system", "w1", Message{From: "system", Text: "restart"}, true},
		{"js-hostile text", "w1", Message{From: LeadName, Text: "<a>&b \u2028\u2029 \"q\" \\ \x01\x1f 👋 \xff\xed\xa0\x80", Summary: "<&>"}, true},
		{"structured", "w1", Message{From: LeadName, Text: Encode(ShutdownRequest{RequestID: "shutdown-1@w1", From: LeadName, Reason: "done"})}, true},
		{"peer is not signed", "w1", Message{From: "w2", Text: "hi"}, false},
		{"unkeyed teammate", "w3", Message{From: LeadName, Text: "hi"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent, err := s.Send("t1", tt.to, tt.m)
			if err != nil {
				t.Fatal(err)
			}
			var got Message
			for _, m := range liveEntries(t, s, tt.to) {
				if m.MsgID == sent.MsgID {
					got = m
				}
			}
			if got.MsgID == "" {
				t.Fatalf("entry %s not in the inbox", sent.MsgID)
			}
			if tt.signed != (got.LeadSig != "") {
				t.Fatalf("lead_sig = %q, want signed=%v", got.LeadSig, tt.signed)
			}
			if tt.signed && !VerifyLeadEntry(got, key) {
				t.Errorf("entry as read back does not verify: %+v", got)
			}
		})
	}
}

func TestTaskAssignmentByLeadIsSigned(t *testing.T) {
	s := newTeam(t, "w1")
	key := mustVerifyKey(t, s, "w1")
	task, err := s.CreateTask("t1", TaskInput{Subject: "ship <it> & go", Description: "now\u2028"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTask("t1", task.ID, TaskUpdate{Owner: Ptr("w1"), By: LeadName}); err != nil {
		t.Fatal(err)
	}
	msgs := liveEntries(t, s, "w1")
	if len(msgs) != 1 || !VerifyLeadEntry(msgs[0], key) {
		t.Fatalf("task assignment not signed: %+v", msgs)
	}
}

func TestLeadSigTamperFails(t *testing.T) {
	s := newTeam(t, "w1")
	key := mustVerifyKey(t, s, "w1")
	sent, err := s.Send("t1", "w1", Message{From: LeadName, Text: "hello", Summary: "s"})
	if err != nil {
		t.Fatal(err)
	}
	tampers := map[string]func(*Message){
		"text":       func(m *Message) { m.Text += "!" },
		"summary":    func(m *Message) { m.Summary = "" },
		"colour":     func(m *Message) { m.Color = "red" },
		"timestamp":  func(m *Message) { m.Timestamp = "2030-01-01T00:00:00.000Z" },
		"msg_id":     func(m *Message) { m.MsgID = NewUUID() },
		"from":       func(m *Message) { m.From = "user" },
		"signature":  func(m *Message) { m.LeadSig = m.LeadSig[:10] + "A" + m.LeadSig[11:] },
		"unsigned":   func(m *Message) { m.LeadSig = "" },
		"other key":  func(m *Message) {},
		"bad key ms": func(m *Message) {},
	}
	for name, f := range tampers {
		t.Run(name, func(t *testing.T) {
			m := sent
			f(&m)
			k := key
			switch name {
			case "other key":
				k = mustVerifyKey(t, s, "w2")
			case "bad key ms":
				k = "x" + key
			}
			if m.LeadSig == sent.LeadSig && name == "signature" {
				t.Skip("tamper did not change the signature")
			}
			if VerifyLeadEntry(m, k) {
				t.Errorf("tampered entry (%s) verifies", name)
			}
		})
	}
}

func TestLeadKeyRefusals(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"symlink", func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "evil.json")
			if err := os.WriteFile(target, []byte(`{}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(`{"agent":"w1","seed":"short"}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"someone else's", func(t *testing.T, path string) {
			s := newTeam(t)
			if _, err := s.LeadVerifyKey("t1", "w9"); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(s.LeadKeyPath("t1", "w9"))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTeam(t, "w1")
			path := s.LeadKeyPath("t1", "w1")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			tt.plant(t, path)
			_, err := s.Send("t1", "w1", Message{From: LeadName, Text: "hi"})
			if !errors.Is(err, ErrLeadKey) && !(tt.name == "directory" && err != nil) {
				t.Fatalf("Send with a planted %s key = %v, want a refusal wrapping ErrLeadKey", tt.name, err)
			}
			if _, err := s.LeadVerifyKey("t1", "w1"); err == nil {
				t.Errorf("LeadVerifyKey over a planted %s key succeeded", tt.name)
			}
		})
	}
}

func TestLeadKeyNamesAndRemoval(t *testing.T) {
	s := newTeam(t, "w1")
	for _, bad := range []struct{ team, agent string }{{"t1", "../w1"}, {"t1", LeadName}, {"T1", "w1"}, {"t1", ""}} {
		if _, err := s.LeadVerifyKey(bad.team, bad.agent); err == nil {
			t.Errorf("LeadVerifyKey(%q, %q) accepted", bad.team, bad.agent)
		}
	}
	if _, err := s.LeadVerifyKey("nope", "w1"); !errors.Is(err, ErrTeamNotFound) {
		t.Errorf("LeadVerifyKey on a missing team = %v, want ErrTeamNotFound", err)
	}
	mustVerifyKey(t, s, "w1")
	if err := s.RemoveMember("t1", "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(s.LeadKeyPath("t1", "w1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key file survived RemoveMember: %v", err)
	}
}

// TestLeadSigVerifiesInNode checks our signatures with node's crypto and
// JSON.stringify, the way Claude Code verifies them.
func TestLeadSigVerifiesInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH under CI")
		}
		t.Skip("node is not on PATH")
	}
	s := newTeam(t, "w1")
	key := mustVerifyKey(t, s, "w1")
	for _, m := range []Message{
		{From: LeadName, Text: "<a>&b \u2028\u2029 \"q\" \\ \x01\x1f\x7f 👋 日本 \xff\xed\xa0\x80"},
		{From: "user", Text: "x", Summary: "<sum>", Color: "green"},
		{From: "system", Text: strings.Repeat("long ", 5000)},
	} {
		if _, err := s.Send("t1", "w1", m); err != nil {
			t.Fatal(err)
		}
	}
	script := `
const fs = require("fs"), crypto = require("crypto");
const [inbox, key] = process.argv.slice(1);
const der = Buffer.from(key.split(".")[1], "base64url");
const pub = crypto.createPublicKey({ key: der, format: "der", type: "spki" });
let ok = 0;
for (const e of JSON.parse(fs.readFileSync(inbox, "utf8"))) {
  const payload = Buffer.from(JSON.stringify(["claude-team-lead-entry-v1", e.msg_id, e.from, e.timestamp, e.text,
    e.summary ?? null, e.color ?? null, e.from_plugin ?? null]));
  if (!crypto.verify(null, payload, pub, Buffer.from(e.lead_sig, "base64url"))) { console.log("BAD " + e.msg_id); process.exit(1); }
  ok++;
}
console.log("verified " + ok);
`
	out, err := exec.Command(node, "-e", script, s.InboxPath("t1", "w1"), key).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "verified 3" {
		t.Fatalf("node verify: %v: %s", err, out)
	}
}

// TestRelaunchRestampsWaitingLeadEntries: mail of ours still waiting when a
// teammate is relaunched long after it was sent gets a new timestamp and
// signature (a teammate refuses entries older than its start - 120 s);
// entries not ours are left alone.
func TestRelaunchRestampsWaitingLeadEntries(t *testing.T) {
	var now atomic.Int64
	base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	now.Store(base.UnixMilli())
	clock := func() time.Time { return time.UnixMilli(now.Load()).UTC() }
	s := NewStore(t.TempDir(), WithClock(clock))
	if _, err := s.CreateTeam("t1", "", Member{Cwd: "/"}); err != nil {
		t.Fatal(err)
	}
	mustVerifyKey(t, s, "w1")
	old, err := s.Send("t1", "w1", Message{From: LeadName, Text: "waiting since noon"})
	if err != nil {
		t.Fatal(err)
	}
	peer, err := s.Send("t1", "w1", Message{From: "w2", Text: "peer note"})
	if err != nil {
		t.Fatal(err)
	}
	forged := Message{From: LeadName, Text: "forged", Timestamp: old.Timestamp, LeadSig: old.LeadSig, MsgID: NewUUID()}
	if _, err := s.Send("t1", "w1", Message{From: "w3", Text: "x"}); err != nil { // keeps the file sound
		t.Fatal(err)
	}
	if err := s.appendRaw(t, "w1", forged); err != nil {
		t.Fatal(err)
	}

	now.Add((10 * time.Minute).Milliseconds())
	key := mustVerifyKey(t, s, "w1") // the relaunch
	byID := map[string]Message{}
	for _, m := range liveEntries(t, s, "w1") {
		byID[m.MsgID] = m
	}
	got := byID[old.MsgID]
	if got.Timestamp != FormatTimestamp(clock()) || !VerifyLeadEntry(got, key) || got.Text != old.Text {
		t.Errorf("waiting lead entry after relaunch = %+v, want stamped %s and signed", got, FormatTimestamp(clock()))
	}
	if p := byID[peer.MsgID]; p.Timestamp != peer.Timestamp {
		t.Errorf("peer entry re-stamped: %+v", p)
	}
	if f := byID[forged.MsgID]; f.Timestamp != forged.Timestamp || f.LeadSig != forged.LeadSig {
		t.Errorf("an entry that is not ours was re-signed: %+v", f)
	}
}

// appendRaw appends m to agent's inbox as another process would, with no
// filling or signing.
func (s *Store) appendRaw(t *testing.T, agent string, m Message) error {
	t.Helper()
	m.MsgV, m.Type = 1, MessageType
	entry, err := marshalCompact(m)
	if err != nil {
		return err
	}
	return s.transform([]string{s.InboxPath("t1", agent)}, func(tx *tx) error {
		_, err := s.stageAppend(tx, "t1", agent, entry)
		return err
	})
}
