package mcp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// rawSession is Listen on real pipes with a client that writes request
// lines by hand and reads answer lines.
type rawSession struct {
	t       *testing.T
	s       *Server
	w       *io.PipeWriter
	answers chan map[string]any
	cancel  context.CancelFunc
}

func newRawSession(t *testing.T) *rawSession {
	t.Helper()
	root := t.TempDir()
	s := New(Config{Store: protocol.NewStore(root), Cwd: root})
	if _, err := s.cfg.Store.CreateTeam("raw", "", protocol.Member{Cwd: root}); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Listen(ctx, inR, outW)
		outW.Close()
	}()
	r := &rawSession{t: t, s: s, w: inW, answers: make(chan map[string]any, 256), cancel: cancel}
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("answer is not JSON: %q", sc.Text())
				continue
			}
			r.answers <- m
		}
		close(r.answers)
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		<-done
		outR.Close()
	})
	r.send(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.wantID("init")
	return r
}

func (r *rawSession) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.w, line+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

// next returns the next answer. The deadline only keeps a broken server
// from hanging the test run; no result depends on it.
func (r *rawSession) next() map[string]any {
	r.t.Helper()
	select {
	case m, ok := <-r.answers:
		if !ok {
			r.t.Fatal("server closed stdout")
		}
		return m
	case <-time.After(60 * time.Second):
		r.t.Fatal("no answer within 60 s")
	}
	return nil
}

func (r *rawSession) wantID(id any) map[string]any {
	r.t.Helper()
	m := r.next()
	if fmt.Sprint(m["id"]) != fmt.Sprint(id) {
		r.t.Fatalf("answer %v, want id %v", m, id)
	}
	return m
}

func errorMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// TestListenRefusesOverlongLine: a request line over MaxRequestBytes is
// answered with its id and an error naming the limit, and the requests
// after it are served.
func TestListenRefusesOverlongLine(t *testing.T) {
	r := newRawSession(t)
	big := strings.Repeat("x", MaxRequestBytes)
	r.send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"send_message","arguments":{"team_name":"raw","type":"message","recipient":"team-lead","summary":"s","content":"` + big + `"}}}`)
	r.send(`{"jsonrpc":"2.0","id":6,"method":"ping"}`)
	m := r.wantID(5)
	msg := errorMessage(m)
	if !strings.Contains(msg, fmt.Sprintf("the limit is %d bytes", MaxRequestBytes)) {
		t.Fatalf("error %q does not name the limit", msg)
	}
	r.wantID(6)
}

// TestListenParseErrorKeepsID: a line that is not JSON is answered with
// the id it carries when that can be read, else null.
func TestListenParseErrorKeepsID(t *testing.T) {
	r := newRawSession(t)
	for _, tc := range []struct {
		line string
		id   any
	}{
		{`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":`, 9.0},
		{`{"jsonrpc":"2.0","id":"abc","method":"ping",}`, "abc"},
		{`{"jsonrpc":"2.0","method":"ping","id":[1]`, nil},
		{`not json`, nil},
	} {
		r.send(tc.line)
		m := r.next()
		if m["id"] != tc.id || !strings.HasPrefix(errorMessage(m), "Parse error") {
			t.Errorf("%s: answer %v, want a parse error with id %v", tc.line, m, tc.id)
		}
	}
	r.send(`{"jsonrpc":"2.0","id":10,"method":"ping"}`)
	r.wantID(10)
}

// TestPollsDoNotStarveOtherCalls: MaxConcurrentPolls waiting poll_inbox
// calls leave every other tool answered, and one poll more is refused
// with the limit.
func TestPollsDoNotStarveOtherCalls(t *testing.T) {
	r := newRawSession(t)
	for i := range MaxConcurrentPolls + 1 {
		r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"poll_inbox","arguments":{"team_name":"raw","agent_name":"team-lead","timeout_ms":540000}}}`, 1000+i))
	}
	m := r.next() // only the refused poll answers before the others time out
	res, _ := m["result"].(map[string]any)
	if res["isError"] != true || !strings.Contains(mustText(res), fmt.Sprintf("the limit is %d at once", MaxConcurrentPolls)) {
		t.Fatalf("poll %d: %v, want a refusal naming the limit", MaxConcurrentPolls+1, m)
	}
	r.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_config","arguments":{"team_name":"raw"}}}`)
	m = r.wantID(1)
	if res, _ := m["result"].(map[string]any); res == nil || res["isError"] == true {
		t.Fatalf("read_config: %v", m)
	}
}

func mustText(res map[string]any) string {
	b, _ := json.Marshal(res["content"])
	return string(b)
}

// FuzzLineReader feeds request lines, cut into arbitrary pieces, through
// a lineReader with a small limit: every JSON line within the limit must
// reach mcp-go unchanged and whole, every other line must be answered.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`+"\n"+`{"id":2,`+"\n"), uint8(3))
	f.Add([]byte(strings.Repeat("a", 300)+"\n"+`{"jsonrpc":"2.0","id":"x","method":"tools/list"}`), uint8(1))
	f.Add([]byte(`{"id":7,"method":"m","params":{"x":"`+strings.Repeat("y", 200)+`"}}`+"\n\n  \n[1,2]\n"), uint8(7))
	root := f.TempDir()
	srv := New(Config{Store: protocol.NewStore(root), Cwd: root})
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		if bytes.Contains(in, []byte("poll_inbox")) {
			return // served beside mcp-go; covered above
		}
		const limit = 128
		var want bytes.Buffer
		answers := 0
		for _, line := range bytes.Split(in, []byte("\n")) {
			trimmed := bytes.TrimSpace(line)
			switch {
			case len(line) > limit:
				answers++
			case len(trimmed) == 0:
			case !json.Valid(trimmed):
				answers++
			default:
				want.Write(trimmed)
				want.WriteByte('\n')
			}
		}
		var out bytes.Buffer
		c := &pending{}
		c.cond = newCond(c)
		lr := &lineReader{r: &chopReader{b: in, n: int(cut)%17 + 1}, w: &countWriter{w: &out, c: c}, c: c,
			ctx: context.Background(), grace: time.Millisecond, srv: srv, max: limit,
			pollSem: make(chan struct{}, 1), pollCtx: context.Background()}
		got, err := io.ReadAll(lr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("passed on %q, want %q", got, want.Bytes())
		}
		if n := bytes.Count(out.Bytes(), []byte("\n")); n != answers {
			t.Fatalf("%d answers, want %d: %s", n, answers, out.Bytes())
		}
	})
}

// chopReader returns b in pieces of n bytes.
type chopReader struct {
	b []byte
	n int
}

func (c *chopReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p, c.b[:min(c.n, len(c.b))])
	c.b = c.b[k:]
	return k, nil
}

// TestCancelledPollsEnd: a poll the client cancels right after sending it
// ends, frees its slot and gets no answer (MCP: a cancelled request is not
// answered), even when the cancellation is read before the poll's
// goroutine has told mcp-go of the request. Before, such a poll ran on
// for its whole timeout (here 9 min), holding one of the
// MaxConcurrentPolls slots, and kept the server from ending at EOF.
func TestCancelledPollsEnd(t *testing.T) {
	r := newRawSession(t)
	var b strings.Builder
	for i := range MaxConcurrentPolls {
		fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"poll_inbox","arguments":{"team_name":"raw","agent_name":"team-lead","timeout_ms":540000}}}`+"\n", 1000+i)
		fmt.Fprintf(&b, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%d,"reason":"test"}}`+"\n", 1000+i)
	}
	r.send(strings.TrimSuffix(b.String(), "\n")) // one write: every cancellation right behind its poll
	// Then every slot is free: a round of MaxConcurrentPolls quick polls
	// is served whole. The cancelled ones end as soon as they see their
	// cancellation, so a round may still find a few running: try again.
	for round := 0; ; round++ {
		for i := range MaxConcurrentPolls {
			r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":"r%d-%d","method":"tools/call","params":{"name":"poll_inbox","arguments":{"team_name":"raw","agent_name":"team-lead","timeout_ms":0}}}`, round, i))
		}
		refused := 0
		for range MaxConcurrentPolls {
			m := r.next()
			if id, _ := m["id"].(string); !strings.HasPrefix(id, "r") {
				t.Fatalf("cancelled poll %v was answered: %v", m["id"], m)
			}
			if res, _ := m["result"].(map[string]any); res["isError"] == true {
				refused++
			}
		}
		if refused == 0 {
			break
		}
		if round == 100 {
			t.Fatalf("%d of %d poll slots still taken after %d rounds: cancelled polls run on", refused, MaxConcurrentPolls, round)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.send(`{"jsonrpc":"2.0","id":"last","method":"ping"}`)
	r.wantID("last")
}
