package tmuxcc

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/tmuxcc/*.golden from the parser")

// transcripts are the recorded (and one synthetic) control-mode streams.
var transcripts = []string{
	"session.cc.raw", "session.c.raw", "serverkill.cc.raw", "serverkill.c.raw",
	"echo.cc.raw", "v34-synthetic.c.raw",
}

// render describes one item in a stable, readable form.
func render(it item) string {
	short := func(s string) string {
		if len(s) > 120 {
			return fmt.Sprintf("%q…(%d bytes)", s[:60], len(s))
		}
		return fmt.Sprintf("%q", s)
	}
	switch it.kind {
	case itemReply:
		r := it.reply
		var ls []string
		for _, l := range r.lines {
			ls = append(ls, short(l))
		}
		return fmt.Sprintf("reply t=%d n=%d flags=%d failed=%v [%s]", r.time, r.number, r.flags, r.failed, strings.Join(ls, " "))
	case itemEvent:
		return fmt.Sprintf("event %#v", it.event)
	case itemOutput:
		return fmt.Sprintf("output %s age=%d %s", it.pane, it.age, short(string(it.data)))
	case itemEcho:
		return "echo " + short(string(it.data))
	}
	return "?"
}

// keep returns an emit func that appends each item to *items, with copies
// of its pane and data, which are valid only during the emit call.
func keep(items *[]item) func(item) {
	return func(it item) {
		it.pane = append([]byte(nil), it.pane...)
		it.data = append([]byte(nil), it.data...)
		*items = append(*items, it)
	}
}

// parseAll feeds data in chunks of the given size (0: all at once).
func parseAll(data []byte, cc bool, chunk int) []item {
	p := newParser(cc)
	var items []item
	emit := keep(&items)
	if chunk <= 0 {
		chunk = len(data) + 1
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		p.feed(data[:n], emit)
		data = data[n:]
	}
	p.flush(emit)
	return items
}

func readTranscript(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(transcriptDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParserTranscripts(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range transcripts {
		t.Run(name, func(t *testing.T) {
			data := readTranscript(t, name)
			cc := strings.Contains(name, ".cc.")
			items := parseAll(data, cc, 0)
			var b strings.Builder
			for _, it := range items {
				b.WriteString(render(it))
				b.WriteByte('\n')
				if it.kind == itemEvent {
					seen[reflect.TypeOf(it.event).Name()] = true
				}
			}
			golden := filepath.Join(transcriptDir, strings.TrimSuffix(name, ".raw")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("parse of %s differs from %s (run with -update and review)", name, golden)
			}
			// Any chunking gives the same items.
			for _, chunk := range []int{1, 2, 7, 4096} {
				again := parseAll(data, cc, chunk)
				if !reflect.DeepEqual(again, items) {
					t.Fatalf("chunk size %d gives different items", chunk)
				}
			}
		})
	}
	// Every notification type is covered by some transcript.
	for _, ev := range []Event{SessionChanged{}, ClientSessionChanged{}, ClientDetached{}, SessionRenamed{},
		SessionsChanged{}, SessionWindowChanged{}, WindowAdd{}, WindowClose{}, WindowRenamed{},
		UnlinkedWindowAdd{}, UnlinkedWindowClose{}, UnlinkedWindowRenamed{}, WindowPaneChanged{},
		LayoutChange{}, PaneModeChanged{}, SubscriptionChanged{}, Message{}, ConfigError{},
		PasteBufferChanged{}, PasteBufferDeleted{}, Pause{}, Exit{}, Unknown{}, HookOutput{}} {
		if n := reflect.TypeOf(ev).Name(); !seen[n] {
			t.Errorf("no transcript has a %s", n)
		}
	}
}

// TestParserSessionFacts checks the facts the transcripts were recorded for.
func TestParserSessionFacts(t *testing.T) {
	for _, name := range []string{"session.cc.raw", "session.c.raw"} {
		t.Run(name, func(t *testing.T) {
			items := parseAll(readTranscript(t, name), strings.Contains(name, ".cc."), 0)
			var replies []*reply
			var out5 []byte
			var extended, echo int
			for _, it := range items {
				switch it.kind {
				case itemReply:
					if it.reply.flags == 1 {
						replies = append(replies, it.reply)
					}
				case itemOutput:
					if string(it.pane) == "%5" {
						out5 = append(out5, it.data...)
					}
					if it.age >= 0 {
						extended++
					}
				case itemEcho:
					echo++
				}
			}
			if echo != 0 {
				t.Errorf("%d echo lines", echo)
			}
			if got := replies[0].lines; len(got) != 1 || got[0] != "hello é it's" {
				t.Errorf("first reply %q", got)
			}
			if got := replies[1].lines; len(got) != 1 || got[0] != "%0 %end" {
				t.Errorf("list-panes reply %q", got)
			}
			// a ; <runtime error> ; c: blocks for a and the error, none for c.
			if replies[2].failed || !replies[3].failed || replies[3].lines[0] != "can't find window: 99" || replies[4].lines[0] != "unterminated" {
				t.Errorf("a;b;c replies: %+v %+v %+v", replies[2], replies[3], replies[4])
			}
			// A parse error fails the whole line with one block.
			if !replies[5].failed || replies[5].lines[0] != "parse error: syntax error" {
				t.Errorf("parse error reply %+v", replies[5])
			}
			wantOut := "%end 1 2 1\r\n\x01\x02\x1b[1mbold\x1b[0m \\ \xff\xfe caf\xc3\xa9 done\r\n"
			if !bytes.HasPrefix(out5, []byte(wantOut)) {
				t.Errorf("pane output %q, want prefix %q", out5, wantOut)
			}
			var capture, big *reply
			for _, r := range replies {
				if len(r.lines) > 0 && r.lines[0] == "%end 1 2 1" {
					capture = r
				}
				if len(r.lines) == 1 && len(r.lines[0]) == 70000 {
					big = r
				}
			}
			if capture == nil || capture.lines[1] != "\x01\x02bold \\ \xff\xfe caf\xc3\xa9 done" && !strings.Contains(capture.lines[1], "bold") {
				t.Errorf("capture-pane reply with a %%end payload line not found")
			}
			if big == nil {
				t.Errorf("no 70000-byte reply line")
			}
			if extended == 0 {
				t.Errorf("no %%extended-output after pause-after")
			}
			// 3.3a: refresh-client -A puts %continue inside its own block.
			found := false
			for _, r := range replies {
				if kept, evs := extractFlowEvents(r.lines); len(evs) == 1 && len(kept) == 0 {
					if _, ok := evs[0].(Continue); ok {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("no %%continue inside a refresh-client block")
			}
		})
	}
}

func TestParserEcho(t *testing.T) {
	items := parseAll(readTranscript(t, "echo.cc.raw"), true, 0)
	if items[0].kind != itemEcho || string(items[0].data) != "display-message -p early" {
		t.Fatalf("first item %s", render(items[0]))
	}
	if last := items[len(items)-1]; last.kind != itemEvent || last.event != (Exit{}) {
		t.Fatalf("last item %s", render(last))
	}
}

// FuzzParser: any input, cut anywhere, parses without panicking into the
// same items as when fed at once.
func FuzzParser(f *testing.F) {
	for _, name := range transcripts {
		data, err := os.ReadFile(filepath.Join(transcriptDir, name))
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 8192 {
			data = data[:8192]
		}
		f.Add(data, uint16(len(data)/3), strings.Contains(name, ".cc."))
	}
	f.Add([]byte("%begin 1 2 1\n%end 1 2 0\n%end 1 2 1\r\n"), uint16(5), false)
	f.Add([]byte("junk\x1bP1000p%output %1 a\\\\b\\01\\0123\n\x1b\\"), uint16(9), true)
	f.Fuzz(func(t *testing.T, data []byte, cut uint16, cc bool) {
		whole := parseAll(data, cc, 0)
		k := int(cut) % (len(data) + 1)
		p := newParser(cc)
		var split []item
		emit := keep(&split)
		p.feed(data[:k], emit)
		p.feed(data[k:], emit)
		p.flush(emit)
		if len(whole) != len(split) {
			t.Fatalf("%d items whole, %d split at %d", len(whole), len(split), k)
		}
		for i := range whole {
			if render(whole[i]) != render(split[i]) {
				t.Fatalf("item %d: %s vs %s", i, render(whole[i]), render(split[i]))
			}
		}
	})
}

func TestParserEdgeCases(t *testing.T) {
	cases := []struct {
		in   string
		cc   bool
		want []string
	}{
		{"%begin 1 2 1\n%end 1 3 1\n%begin 9 9 9\n%end 1 2 1\n", false,
			[]string{`reply t=1 n=2 flags=1 failed=false ["%end 1 3 1" "%begin 9 9 9"]`}},
		{"%begin 1 2 1\r\nx\r\n%error 1 2 1\r\n", false,
			[]string{`reply t=1 n=2 flags=1 failed=true ["x\r"]`}}, // -C keeps a payload \r
		{"%begin 1 2 1\r\nx\r\n%error 1 2 1\r\n", true, []string{`echo "%begin 1 2 1"`, `echo "x"`, `echo "%error 1 2 1"`}},
		{"%end 1 2 1\n%begin x\n", false, []string{`event tmuxcc.Unknown{Line:"%end 1 2 1"}`, `event tmuxcc.Unknown{Line:"%begin x"}`}},
		{"%output %1 a\\134b\\015\\012\\1x\\\n", false, []string{`output %1 age=-1 "a\\b\r\n\\1x\\"`}},
		{"%extended-output %2 17 : hi\\040\n%extended-output %2 5 future : x\n%extended-output %2 5 :\n", false,
			[]string{`output %2 age=17 "hi "`, `output %2 age=5 "x"`, `output %2 age=5 ""`}},
		{"%window-add\n%window-add @1 extra\n%pause\n", false, []string{`event tmuxcc.Unknown{Line:"%window-add"}`,
			`event tmuxcc.Unknown{Line:"%window-add @1 extra"}`, `event tmuxcc.Unknown{Line:"%pause"}`}},
		{"%exit\n\x1b\\", true, []string{`echo "%exit"`}},
		{"\x1bP1000p%exit\r\n\x1b\\", true, []string{`event tmuxcc.Exit{Reason:""}`}},
		{"\x1bP1000p%exit\n\x1b\\%sessions-changed\n", false, []string{`event tmuxcc.Exit{Reason:""}`, `event tmuxcc.SessionsChanged{}`}},
		{"\n\n%sessions-changed", false, []string{`event tmuxcc.SessionsChanged{}`}},
	}
	for _, tc := range cases {
		var got []string
		for _, it := range parseAll([]byte(tc.in), tc.cc, 0) {
			got = append(got, render(it))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q (cc %v):\n got %q\nwant %q", tc.in, tc.cc, got, tc.want)
		}
	}
}

// TestParserReleasesLongLines: a huge reply line (capture-pane -J of one
// long line) is parsed whole, and the parser does not keep its buffer for
// the rest of the connection.
func TestParserReleasesLongLines(t *testing.T) {
	long := strings.Repeat("x", 4<<20)
	data := []byte("%begin 1 2 1\n" + long + "\n%end 1 2 1\n%sessions-changed\n")
	p := newParser(false)
	var got []item
	for len(data) > 0 {
		n := min(64<<10, len(data))
		p.feed(data[:n], func(it item) { got = append(got, it) })
		data = data[n:]
	}
	if len(got) != 2 || got[0].kind != itemReply || len(got[0].reply.lines) != 1 || got[0].reply.lines[0] != long {
		t.Fatalf("items: %d", len(got))
	}
	if cap(p.buf) > maxKeptLine {
		t.Fatalf("parser keeps a %d-byte buffer", cap(p.buf))
	}
}
