package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// TestListenAnswersPipedScript sends a whole session at once and closes
// stdin: every request read before EOF must still be answered.
func TestListenAnswersPipedScript(t *testing.T) {
	root := t.TempDir()
	s := New(Config{Store: protocol.NewStore(root), Cwd: root})
	// Tool calls run concurrently, so the script only uses a team that
	// already exists.
	if _, err := s.cfg.Store.CreateTeam("piped", "", protocol.Member{Cwd: root}); err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	script.WriteString(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}` + "\n")
	script.WriteString(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	script.WriteString(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_config","arguments":{"team_name":"piped"}}}` + "\n")
	for i := 2; i < 12; i++ {
		script.WriteString(`{"jsonrpc":"2.0","id":` + strconv.Itoa(i) + `,"method":"tools/call","params":{"name":"task_create","arguments":{"team_name":"piped","subject":"s","description":"d"}}}` + "\n")
	}
	var out bytes.Buffer
	if err := s.Listen(context.Background(), strings.NewReader(script.String()), &out); err != nil {
		t.Fatal(err)
	}
	var answered int
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Result *struct {
				IsError bool `json:"isError"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil || m.Result == nil || m.Result.IsError {
			t.Fatalf("line %q (%v)", line, err)
		}
		answered++
	}
	if answered != 12 {
		t.Fatalf("%d answers, want 12:\n%s", answered, out.String())
	}
	if tasks, _ := s.cfg.Store.ListTasks("piped"); len(tasks) != 10 {
		t.Errorf("%d tasks", len(tasks))
	}
}

// TestDrainReaderGivesUp checks that an unanswered request holds EOF back
// only for the grace period.
func TestDrainReaderGivesUp(t *testing.T) {
	c := &pending{}
	c.cond = newCond(c)
	d := &lineReader{r: strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call"}` + "\n"), c: c,
		ctx: context.Background(), grace: 10 * time.Millisecond, max: MaxRequestBytes}
	if _, err := io.ReadAll(d); err != nil {
		t.Fatal(err)
	}
	if c.requests != 1 || c.responses != 0 {
		t.Fatalf("requests %d responses %d", c.requests, c.responses)
	}
}

// TestDrainReaderWaitsForAnswer checks that EOF comes after the answer.
func TestDrainReaderWaitsForAnswer(t *testing.T) {
	c := &pending{}
	c.cond = newCond(c)
	pr, pw := io.Pipe()
	d := &lineReader{r: pr, c: c, ctx: context.Background(), grace: time.Hour, max: MaxRequestBytes}
	w := &countWriter{w: io.Discard, c: c}
	go func() {
		pw.Write([]byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call"}` + "\n" + `{"jsonrpc":"2.0","method":"notifications/x"}` + "\n"))
		pw.Close()
	}()
	eof := make(chan struct{})
	go func() {
		io.ReadAll(d)
		close(eof)
	}()
	// A notification from the server is not an answer.
	w.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/progress"}` + "\n"))
	select {
	case <-eof:
		// Possible only if the request had not been read yet; then the
		// answer below is simply early. Either way nothing hangs.
	default:
	}
	w.Write([]byte(`{"jsonrpc":"2.0","id":7,"result":{}}` + "\n"))
	select {
	case <-eof:
	case <-time.After(30 * time.Second):
		t.Fatal("EOF held back after the answer")
	}
}
