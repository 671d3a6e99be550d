package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// tsPattern is Claude Code's timestamp format.
var tsPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func texts(ms []Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func TestSendFillsNativeFields(t *testing.T) {
	s := newTeam(t, "w1")
	m, err := s.Send("t1", "w1", Message{From: LeadName, Text: "hello <b>&", Summary: "greeting", Color: "blue"})
	if err != nil {
		t.Fatal(err)
	}
	if m.MsgV != 1 || m.Type != "message" || m.Read || m.MsgID == "" || !tsPattern.MatchString(m.Timestamp) {
		t.Errorf("sent = %+v", m)
	}
	data, _ := os.ReadFile(s.InboxPath("t1", "w1"))
	want := `[
  {
    "from": "team-lead",
    "text": "hello <b>&",
    "summary": "greeting",
    "timestamp": "` + m.Timestamp + `",
    "color": "blue",
    "msgV": 1,
    "msg_id": "` + m.MsgID + `",
    "type": "message",
    "read": false
  }
]`
	if string(data) != want {
		t.Errorf("inbox file =\n%s\nwant\n%s", data, want)
	}
	if fi, _ := os.Stat(s.InboxPath("t1", "w1")); fi.Mode().Perm() != 0o600 {
		t.Errorf("inbox mode %v", fi.Mode().Perm())
	}
}

func TestSendRefusals(t *testing.T) {
	s := newTeam(t, "w1")
	before := snapshot(t, s.Root())
	tests := []struct {
		team, to string
		m        Message
		want     error
	}{
		{"t1", "w1", Message{Text: "no sender"}, ErrInvalidMessage},
		{"t1", "w1", Message{From: "x", Text: strings.Repeat("a", MaxMessageBytes+1)}, ErrMessageTooLarge},
		{"t1", "../w1", Message{From: "x", Text: "x"}, ErrInvalidName},
		{"T1", "w1", Message{From: "x", Text: "x"}, ErrInvalidName},
		{"ghost", "w1", Message{From: "x", Text: "x"}, ErrTeamNotFound},
	}
	for _, tt := range tests {
		_, err := s.Send(tt.team, tt.to, tt.m)
		if !errors.Is(err, tt.want) {
			t.Errorf("Send(%s, %s) = %v, want %v", tt.team, tt.to, err, tt.want)
		}
	}
	_, err := s.Send("t1", "w1", Message{From: "x", Text: strings.Repeat("a", MaxMessageBytes+1)})
	if err == nil || !strings.Contains(err.Error(), "limit is 1048576 bytes") {
		t.Errorf("too large error = %v, want it to state the limit", err)
	}
	sameSnapshot(t, before, snapshot(t, s.Root()))

	// Hundreds of KB are fine.
	big := strings.Repeat("x", 500<<10)
	if _, err := s.Send("t1", "w1", Message{From: "x", Text: big}); err != nil {
		t.Fatalf("500 KB message refused: %v", err)
	}
	res, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true})
	if err != nil || len(res.Messages) != 1 || res.Messages[0].Text != big {
		t.Errorf("big message not read back intact (err %v)", err)
	}
}

func TestReadInboxSemantics(t *testing.T) {
	s := newTeam(t, "w1")
	send := func(text string) {
		t.Helper()
		if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(opt ReadOptions) []string {
		t.Helper()
		res, err := s.ReadInbox("t1", "w1", opt)
		if err != nil {
			t.Fatal(err)
		}
		return texts(res.Messages)
	}
	send("a")
	send("b")
	if got := read(ReadOptions{UnreadOnly: true}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("peek = %v", got)
	}
	if got := read(ReadOptions{UnreadOnly: true}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("peek again = %v (a read without mark_as_read must not consume)", got)
	}
	if got := read(ReadOptions{UnreadOnly: true, MarkRead: true}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("read+mark = %v", got)
	}
	if got := read(ReadOptions{UnreadOnly: true, MarkRead: true}); len(got) != 0 {
		t.Errorf("unread after mark = %v", got)
	}
	send("c")
	if got := read(ReadOptions{}); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("all = %v (past messages stay retrievable)", got)
	}
	res, _ := s.ReadInbox("t1", "w1", ReadOptions{})
	if !res.Messages[0].Read || res.Messages[2].Read {
		t.Errorf("read flags = %v %v, want history read, live unread", res.Messages[0].Read, res.Messages[2].Read)
	}
	if got := read(ReadOptions{MarkRead: true, Limit: 2}); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("all+mark, limit 2 = %v", got)
	}
	if data, _ := os.ReadFile(s.InboxPath("t1", "w1")); string(data) != "[]" {
		t.Errorf("live inbox after marking = %s, want [] (read entries moved to history)", data)
	}
	if n, _, _ := s.Unread("t1", "w1"); n != 0 {
		t.Errorf("Unread = %d", n)
	}
	// A missing inbox is empty and is not created by reading.
	if got := read(ReadOptions{}); len(got) != 3 {
		t.Errorf("all = %v", got)
	}
	res, err := s.ReadInbox("t1", "nobody", ReadOptions{MarkRead: true})
	if err != nil || len(res.Messages) != 0 {
		t.Errorf("missing inbox = %v, %v", res, err)
	}
	if _, err := os.Stat(s.InboxPath("t1", "nobody")); !os.IsNotExist(err) {
		t.Error("reading created an inbox")
	}
	if _, err := s.ReadInbox("t1", "a/b", ReadOptions{}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("ReadInbox(a/b) = %v", err)
	}
}

func TestUnreadAndReadFromSender(t *testing.T) {
	s := newTeam(t, "w1", "w2")
	var first string
	for _, from := range []string{"w1", "w2", "w1", "w1"} {
		m, err := s.Send("t1", LeadName, Message{From: from, Text: "from " + from})
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = m.Timestamp
		}
	}
	n, oldest, err := s.Unread("t1", LeadName)
	if err != nil || n != 4 || FormatTimestamp(oldest) != first {
		t.Errorf("Unread = %d, %v, %v", n, oldest, err)
	}
	peek, err := s.ReadInbox("t1", LeadName, ReadOptions{UnreadOnly: true, From: "w1", Limit: 2})
	if err != nil || len(peek.Messages) != 2 || peek.Messages[0].From != "w1" {
		t.Errorf("ReadInbox(From w1, Limit 2) = %+v, %v", peek, err)
	}
	if n, _, _ := s.Unread("t1", LeadName); n != 4 {
		t.Errorf("reading without MarkRead consumed messages")
	}
	// Marking one sender's newest two read leaves the other sender's entry
	// and w1's oldest unread in the live file.
	got, err := s.ReadInbox("t1", LeadName, ReadOptions{UnreadOnly: true, MarkRead: true, From: "w1", Limit: 2})
	if err != nil || len(got.Messages) != 2 || got.Messages[1].Text != "from w1" {
		t.Errorf("ReadInbox(From w1, MarkRead, Limit 2) = %+v, %v", got, err)
	}
	left, _ := s.ReadInbox("t1", LeadName, ReadOptions{UnreadOnly: true})
	if len(left.Messages) != 2 || left.Messages[0].From != "w1" || left.Messages[1].From != "w2" {
		t.Errorf("unread after marking w1's newest two = %+v", left.Messages)
	}
	all, _ := s.ReadInbox("t1", LeadName, ReadOptions{From: "w1"})
	if len(all.Messages) != 3 {
		t.Errorf("all from w1 (history + live) = %d messages, want 3", len(all.Messages))
	}
	if n, _, err := s.Unread("t1", "nobody"); n != 0 || err != nil {
		t.Errorf("Unread(missing) = %d, %v", n, err)
	}
}

func TestCorruptInboxSetAside(t *testing.T) {
	for _, op := range []string{"send", "read", "read-mark"} {
		t.Run(op, func(t *testing.T) {
			s := newTeam(t, "w1")
			bad := []byte(`[{"from": "w2", "text": "cut sho`)
			if err := os.WriteFile(s.InboxPath("t1", "w1"), bad, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Unread("t1", "w1"); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Unread on corrupt = %v, want ErrCorrupt", err)
			}
			var corrupt string
			switch op {
			case "send":
				d, err := s.Deliver("t1", "w1", Message{From: LeadName, Text: "after"})
				if err != nil {
					t.Fatal(err)
				}
				corrupt = d.Corrupt
			default:
				res, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: op == "read-mark"})
				if err != nil {
					t.Fatal(err)
				}
				corrupt = res.Corrupt
			}
			if corrupt == "" || !strings.HasPrefix(corrupt, filepath.Join(s.OwnDir("t1"), "corrupt", "w1.json.")) {
				t.Fatalf("corrupt path = %q", corrupt)
			}
			if kept, _ := os.ReadFile(corrupt); string(kept) != string(bad) {
				t.Errorf("corrupt bytes not kept: %q", kept)
			}
			res, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true})
			if err != nil || res.Corrupt != "" {
				t.Fatalf("after recovery: %+v, %v", res, err)
			}
			if op == "send" && !slices.Equal(texts(res.Messages), []string{"after"}) {
				t.Errorf("after recovery = %v", texts(res.Messages))
			}
		})
	}
}

func TestInboxEmptyOrBlankIsEmpty(t *testing.T) {
	s := newTeam(t, "w1")
	// Claude Code creates an inbox with O_EXCL before writing "[]".
	for _, content := range []string{"", "  \n"} {
		if err := os.WriteFile(s.InboxPath("t1", "w1"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := s.Deliver("t1", "w1", Message{From: LeadName, Text: "x"})
		if err != nil || d.Corrupt != "" {
			t.Errorf("Send to %q inbox = %+v, %v", content, d, err)
		}
	}
}

func TestClaudeCodeDeletesDelivered(t *testing.T) {
	// Claude Code's "mark read" removes delivered entries from the live
	// file; we must keep working on what is left.
	s := newTeam(t, "w1")
	for _, x := range []string{"a", "b", "c"} {
		if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: x}); err != nil {
			t.Fatal(err)
		}
	}
	var entries []map[string]any
	data, _ := os.ReadFile(s.InboxPath("t1", "w1"))
	_ = json.Unmarshal(data, &entries)
	data, _ = json.MarshalIndent(entries[2:], "", "  ")
	if err := os.WriteFile(s.InboxPath("t1", "w1"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "d"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true, MarkRead: true})
	if err != nil || !slices.Equal(texts(res.Messages), []string{"c", "d"}) {
		t.Errorf("after Claude Code removed a and b: %v, %v", texts(res.Messages), err)
	}
}

func TestHistoryPartialLine(t *testing.T) {
	s := newTeam(t, "w1")
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: true}); err != nil {
		t.Fatal(err)
	}
	// A crash cut the next history append short.
	f, _ := os.OpenFile(s.HistoryPath("t1", "w1"), os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"from":"x","text":"par`)
	f.Close()
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: true}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ReadInbox("t1", "w1", ReadOptions{})
	if err != nil || !slices.Equal(texts(res.Messages), []string{"a", "b"}) {
		t.Errorf("history = %v, %v", texts(res.Messages), err)
	}
}

func TestSendMany(t *testing.T) {
	s := newTeam(t, "w1", "w2")
	err := s.SendMany("t1", []string{"w1", "bad/name", "w2"}, Message{From: LeadName, Text: "all"})
	if !errors.Is(err, ErrInvalidName) {
		t.Errorf("SendMany = %v, want the bad name's error", err)
	}
	for _, to := range []string{"w1", "w2"} {
		if n, _, _ := s.Unread("t1", to); n != 1 {
			t.Errorf("%s has %d unread, want 1", to, n)
		}
	}
}

func TestMarkReadWithNothingToMarkTakesNoLock(t *testing.T) {
	s := newTeam(t, "w1")
	s.lockTimeout = 50 * time.Millisecond
	if err := s.ensureInbox("t1", "w1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(LockPath(s.InboxPath("t1", "w1")), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true, MarkRead: true}); err != nil {
		t.Errorf("polling an empty inbox waited for its lock: %v", err)
	}
}

func TestRemoveMessage(t *testing.T) {
	s := newTeam(t, "w1")
	a, _ := s.Send("t1", "w1", Message{From: LeadName, Text: "a"})
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "b"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.RemoveMessage("t1", "w1", a.MsgID); !ok || err != nil {
		t.Fatalf("RemoveMessage = %v, %v", ok, err)
	}
	if ok, err := s.RemoveMessage("t1", "w1", a.MsgID); ok || err != nil {
		t.Errorf("RemoveMessage again = %v, %v", ok, err)
	}
	if ok, err := s.RemoveMessage("t1", "nobody", a.MsgID); ok || err != nil {
		t.Errorf("RemoveMessage(missing inbox) = %v, %v", ok, err)
	}
	res, _ := s.ReadInbox("t1", "w1", ReadOptions{})
	if !slices.Equal(texts(res.Messages), []string{"b"}) {
		t.Errorf("left = %v", texts(res.Messages))
	}
}

// TestReadInboxReturnsMarkedAsRead: entries a read marks come back with
// read true, as the Python server returns them (it marks, then returns the
// same objects); a peek leaves them false.
func TestReadInboxReturnsMarkedAsRead(t *testing.T) {
	s := newTeam(t, "w1")
	for _, text := range []string{"a", "b"} {
		if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	peek, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true})
	if err != nil || len(peek.Messages) != 2 || peek.Messages[0].Read {
		t.Fatalf("peek = %+v, %v", peek.Messages, err)
	}
	got, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true, MarkRead: true, Limit: 1})
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Text != "b" || !got.Messages[0].Read {
		t.Fatalf("read+mark = %+v, %v", got.Messages, err)
	}
	left, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true})
	if err != nil || len(left.Messages) != 1 || left.Messages[0].Text != "a" || left.Messages[0].Read {
		t.Errorf("left = %+v, %v (entries cut by Limit stay unread)", left.Messages, err)
	}
}

// TestHistoryHugeEntry: an entry Claude Code wrote beyond our own size
// limit is moved to the history like any other and stays readable there.
func TestHistoryHugeEntry(t *testing.T) {
	s := newTeam(t, "w1")
	big := strings.Repeat("\x01", MaxMessageBytes+1) // 6 bytes each once escaped: 6 MiB+
	q, _ := json.Marshal(big)
	entry := fmt.Sprintf(`[{"from":"w2","text":%s,"summary":%s,"timestamp":"2026-01-02T03:04:05.678Z"}]`, q, q)
	if err := os.WriteFile(s.InboxPath("t1", "w1"), []byte(entry), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "after"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ReadInbox("t1", "w1", ReadOptions{})
	if err != nil || len(res.Messages) != 2 || len(res.Messages[0].Text) != len(big) || res.Messages[1].Text != "after" {
		t.Fatalf("history = %d messages, %v", len(res.Messages), err)
	}
}
