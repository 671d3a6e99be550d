package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tempsLeft returns the temp files of ours left in dir.
func tempsLeft(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// rawEntries decodes an inbox file into its entries, compacted.
func rawEntries(t *testing.T, data []byte) []json.RawMessage {
	t.Helper()
	raw, err := decodeInbox(data)
	if err != nil {
		t.Fatalf("inbox %q: %v", data, err)
	}
	return raw
}

// TestAppendIsCanonical: appends (the first one validating the file, the
// next ones trusting what we wrote) give exactly the bytes encodeInbox
// gives for the same entries when the file was canonical (white space
// around the array aside); earlier bytes of another format are kept as
// they are.
func TestAppendIsCanonical(t *testing.T) {
	const compact = `[{"from":"x","text":"t","timestamp":"z"}`
	for _, start := range []string{"", "[]", "  [ ]\n", "[\n  42\n]", "\n" + compact + "]  \n"} {
		s := newTeam(t, "w1")
		path := s.InboxPath("t1", "w1")
		if err := os.WriteFile(path, []byte(start), 0o600); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: strings.Repeat("a", i)}); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := os.ReadFile(path)
		if strings.Contains(start, compact) {
			if !bytes.HasPrefix(got, []byte(compact+",\n  {\n    ")) {
				t.Errorf("start %q: inbox\n%s", start, got)
			}
		} else if want := encodeInbox(rawEntries(t, got)); !bytes.Equal(got, want) {
			t.Errorf("start %q: inbox\n%s\nwant\n%s", start, got, want)
		}
		if n := len(rawEntries(t, got)); n != 3+len(rawEntries(t, []byte(start))) {
			t.Errorf("start %q: %d entries", start, n)
		}
		if left := tempsLeft(t, s.InboxDir("t1")); left != nil {
			t.Errorf("temps left: %v", left)
		}
	}
}

// waitCtimeTick returns once a file changed now gets a ctime other than
// path's: the file system's clock has moved on (a loop on file times, not
// a timer).
func waitCtimeTick(t *testing.T, path string) {
	t.Helper()
	ctime := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		id, ok := idOf(fi)
		if !ok {
			t.Skip("no ctime on this platform: every append validates")
		}
		return id.ctime
	}
	c0 := ctime(path)
	probe := filepath.Join(filepath.Dir(path), "probe")
	for i := 0; ; i++ {
		if err := os.WriteFile(probe, []byte{byte(i)}, 0o600); err != nil {
			t.Fatal(err)
		}
		if ctime(probe) != c0 {
			os.Remove(probe)
			return
		}
	}
}

// TestAppendTrustsOnlyOurOwnBytes: an inbox we wrote is not validated
// again, but any foreign change to it (replaced by rename, rewritten in
// place with the same size, even with its mtime set back, or with only the
// middle changed) is seen: the corrupt bytes are set aside, never spliced.
func TestAppendTrustsOnlyOurOwnBytes(t *testing.T) {
	corruptMiddle := func(data []byte) []byte {
		out := bytes.Clone(data)
		mid := len(out) / 2
		copy(out[mid:], `"}}}`) // same size, not JSON
		return out
	}
	cases := []struct {
		name  string
		spoil func(t *testing.T, path string, data []byte)
	}{
		{"replaced by rename", func(t *testing.T, path string, data []byte) {
			tmp := path + ".x"
			if err := os.WriteFile(tmp, corruptMiddle(data), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"rewritten in place", func(t *testing.T, path string, data []byte) {
			if err := os.WriteFile(path, corruptMiddle(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"rewritten in place, mtime set back", func(t *testing.T, path string, data []byte) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, corruptMiddle(data), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}},
		{"tail rewritten in place", func(t *testing.T, path string, data []byte) {
			out := bytes.Clone(data)
			out[len(out)-1] = '}'
			if err := os.WriteFile(path, out, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTeam(t, "w1")
			path := s.InboxPath("t1", "w1")
			for range 2 { // the second append trusts the first's bytes
				if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: strings.Repeat("m", 9000)}); err != nil {
					t.Fatal(err)
				}
			}
			data, _ := os.ReadFile(path)
			waitCtimeTick(t, path)
			tc.spoil(t, path, data)
			spoiled, _ := os.ReadFile(path)
			d, err := s.Deliver("t1", "w1", Message{From: LeadName, Text: "after"})
			if err != nil {
				t.Fatal(err)
			}
			if d.Corrupt == "" {
				t.Fatal("a foreign corrupt inbox was spliced, not set aside")
			}
			if aside, _ := os.ReadFile(d.Corrupt); !bytes.Equal(aside, spoiled) {
				t.Error("the set-aside file is not the foreign bytes")
			}
			res, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true})
			if err != nil || len(res.Messages) != 1 || res.Messages[0].Text != "after" {
				t.Fatalf("inbox after = %v, %v", texts(res.Messages), err)
			}
		})
	}
}

// TestMarkReadRewriteIsCanonical: marking read some entries of a mixed
// inbox (other senders, entries already read, entries that are not
// messages, Limit) writes the kept entries exactly as encodeInbox would,
// moves the rest to the history once, and leaves no temp file.
func TestMarkReadRewriteIsCanonical(t *testing.T) {
	s := newTeam(t, "w1", "w2")
	path := s.InboxPath("t1", "w1")
	entries := []string{
		`{"from":"w2","text":"a","timestamp":"2026-01-01T00:00:00.000Z","read":false}`,
		`42`,
		`{"from":"team-lead","text":"b","timestamp":"2026-01-01T00:00:01.000Z","read":true}`,
		`{"from":"w2","text":"c","timestamp":"2026-01-01T00:00:02.000Z","read":false,"x":{"y":[1, 2]}}`,
		`{"from":"team-lead","text":"d","timestamp":"2026-01-01T00:00:03.000Z","read":false}`,
		`{"from":"w2","text":"e","timestamp":"2026-01-01T00:00:04.000Z","read":false}`,
	}
	if err := os.WriteFile(path, []byte("["+strings.Join(entries, ",\n")+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true, MarkRead: true, From: "w2", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(res.Messages); strings.Join(got, ",") != "c,e" {
		t.Fatalf("returned %v, want c,e", got)
	}
	var keep []json.RawMessage
	for _, i := range []int{0, 1, 4} { // a (cut by Limit), 42, d (other sender)
		keep = append(keep, json.RawMessage(entries[i]))
	}
	got, _ := os.ReadFile(path)
	if want := encodeInbox(keep); !bytes.Equal(got, want) {
		t.Errorf("live file\n%s\nwant\n%s", got, want)
	}
	hist, _ := os.ReadFile(s.HistoryPath("t1", "w1"))
	var moved []string
	for line := range strings.Lines(string(hist)) {
		m, ok := decodeEntry([]byte(line))
		if !ok || !m.Read {
			t.Fatalf("history line %q", line)
		}
		moved = append(moved, m.Text)
	}
	if strings.Join(moved, ",") != "b,c,e" {
		t.Errorf("history holds %v, want b,c,e", moved)
	}
	if !strings.Contains(string(hist), `"x":{"y":[1,2]}`) {
		t.Errorf("history lost an unknown key: %s", hist)
	}
	if left := tempsLeft(t, s.InboxDir("t1")); left != nil {
		t.Errorf("temps left: %v", left)
	}
	// The rewritten inbox is ours: the next append trusts it and stays
	// canonical.
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "f"}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if want := encodeInbox(rawEntries(t, got)); !bytes.Equal(got, want) || len(rawEntries(t, got)) != 4 {
		t.Errorf("after append\n%s", got)
	}
}

// TestRefusedTransformLeavesNoTemp: temps written by a transform that
// then fails are removed.
func TestRefusedTransformLeavesNoTemp(t *testing.T) {
	s := newTeam(t, "w1")
	path := s.InboxPath("t1", "w1")
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	err := s.transform([]string{path}, func(t *tx) error {
		if _, err := s.stageAppend(t, "t1", "w1", []byte(`{"from":"a","text":"b","timestamp":"c"}`)); err != nil {
			return err
		}
		return os.ErrInvalid
	})
	if err != os.ErrInvalid {
		t.Fatalf("transform = %v", err)
	}
	if left := tempsLeft(t, s.InboxDir("t1")); left != nil {
		t.Errorf("temps left: %v", left)
	}
	if res, _ := s.ReadInbox("t1", "w1", ReadOptions{}); len(res.Messages) != 1 {
		t.Errorf("inbox holds %v", texts(res.Messages))
	}
}
