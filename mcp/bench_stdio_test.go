package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// BenchmarkPingAfterHugeLine writes a 30 MB send_message request line and
// then a ping, and measures from the first byte of the big line to the
// ping's answer: how long the server is deaf to a client that sent one
// huge request. (With the old reader this grew with the square of the
// line length.)
func BenchmarkPingAfterHugeLine(b *testing.B) {
	root := b.TempDir()
	s := New(Config{Store: protocol.NewStore(root), Cwd: root})
	if _, err := s.cfg.Store.CreateTeam("bench", "", protocol.Member{Cwd: root}); err != nil {
		b.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		s.Listen(ctx, inR, outW)
		outW.Close()
	}()
	ids := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var m struct {
				ID json.RawMessage `json:"id"`
			}
			_ = json.Unmarshal(sc.Bytes(), &m)
			ids <- string(m.ID)
		}
		close(ids)
	}()
	write := func(line string) {
		if _, err := io.WriteString(inW, line+"\n"); err != nil {
			b.Fatal(err)
		}
	}
	write(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	write(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for id := range ids {
		if id == `"init"` {
			break
		}
	}
	big := `{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"send_message","arguments":{"team_name":"bench","type":"message","recipient":"team-lead","summary":"s","content":"` +
		strings.Repeat("x", 30<<20) + `"}}}`
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		go func() {
			write(big)
			write(`{"jsonrpc":"2.0","id":"ping","method":"ping"}`)
		}()
		gotBig := false
		for id := range ids {
			gotBig = gotBig || id == `"big"`
			if id == `"ping"` {
				break
			}
		}
		total += time.Since(start)
		for !gotBig { // the big request's answer, if it came after
			gotBig = <-ids == `"big"`
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ping-ms")
	inW.Close()
}
