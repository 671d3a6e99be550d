package statussock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

func TestSocketConcurrentClients(t *testing.T) {
	f := &fakeService{}
	path := startServer(t, f)
	const clients, calls = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, clients*calls)
	shared := dial(t, path)
	for i := range clients {
		own := dial(t, path)
		for j := range calls {
			c := own
			if j%2 == 0 {
				c = shared // half the calls multiplex on one connection
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				agent := fmt.Sprintf("w%d-%d", i, j)
				out, err := c.Capture(context.Background(), "alpha", agent, j)
				if err == nil && !strings.HasPrefix(out, "screen of "+agent+"\n") {
					err = fmt.Errorf("%s got %q", agent, out)
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(f.Calls()); n != clients*calls {
		t.Errorf("%d calls served, want %d", n, clients*calls)
	}
}

// A slow call does not hold up the others on the same connection.
func TestSocketSlowCallDoesNotBlock(t *testing.T) {
	f := &fakeService{block: make(chan struct{})}
	c := dial(t, startServer(t, f))
	slow := make(chan error, 1)
	go func() { _, err := c.Capture(context.Background(), "alpha", "w1", 1); slow <- err }()
	waitFor(t, func() bool { return len(f.Calls()) == 1 })
	if _, err := c.Status(context.Background(), "alpha"); err != nil {
		t.Fatal(err)
	}
	close(f.block)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

// A call ends with its context, the server sees the deadline, and the
// connection stays usable.
func TestSocketCallTimeout(t *testing.T) {
	f := &fakeService{block: make(chan struct{})}
	c := dial(t, startServer(t, f))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Capture(ctx, "alpha", "w1", 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.sawDeadline })
	if _, err := c.Status(context.Background(), "alpha"); err != nil {
		t.Fatalf("connection unusable after a timeout: %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := c.Status(cctx, "alpha"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

// rawConn is a plain connection to the socket for wire-level tests.
func rawConn(t *testing.T, path string) (*net.UnixConn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func readResponse(t *testing.T, r *bufio.Reader) socketResponse {
	t.Helper()
	line, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	var resp socketResponse
	if err := json.Unmarshal(line, &resp); err != nil {
		t.Fatalf("bad response %q: %v", line, err)
	}
	return resp
}

func TestSocketWire(t *testing.T) {
	f := &fakeService{}
	path := startServer(t, f)
	c, r := rawConn(t, path)
	// Blank lines are skipped, string ids are echoed, bad JSON is answered
	// (with the id when it can be found) and the connection goes on.
	fmt.Fprint(c, "\n  \r\n")
	fmt.Fprint(c, `{"id":"a","method":"ping"}`+"\n")
	if resp := readResponse(t, r); string(resp.ID) != `"a"` || resp.Error != nil {
		t.Fatalf("ping: %+v", resp)
	}
	fmt.Fprint(c, `{"id":7,"method":"status","team":42}`+"\n")
	if resp := readResponse(t, r); string(resp.ID) != "7" || resp.Error == nil || resp.Error.Code != errCodeBadRequest {
		t.Fatalf("bad team type: %+v", resp)
	}
	fmt.Fprint(c, "not json\n")
	if resp := readResponse(t, r); string(resp.ID) != "null" || resp.Error == nil {
		t.Fatalf("bad json: %+v", resp)
	}
	// A request written before a half-close is still answered.
	fmt.Fprint(c, `{"id":8,"method":"status","team":"alpha"}`)
	c.CloseWrite()
	resp := readResponse(t, r)
	var st struct {
		Name string `json:"name"`
	}
	if string(resp.ID) != "8" || resp.Error != nil || json.Unmarshal(resp.Result, &st) != nil || st.Name != "alpha" {
		t.Fatalf("after half-close: %+v", resp)
	}
}

func TestSocketOversizedLine(t *testing.T) {
	f := &fakeService{}
	path := startServer(t, f)
	c, r := rawConn(t, path)
	go func() {
		// Write more than the limit with no newline; the server stops
		// reading, so the write may fail once it has answered and closed.
		chunk := []byte(strings.Repeat("x", 1<<20))
		for range MaxSocketLine/len(chunk) + 2 {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	resp := readResponse(t, r)
	if resp.Error == nil || resp.Error.Code != errCodeTooLong {
		t.Fatalf("resp = %+v", resp)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("connection still open after an oversized line")
	}
	// The server itself is fine.
	if _, err := dial(t, path).Status(context.Background(), "alpha"); err != nil {
		t.Fatal(err)
	}
}

// The client fails every waiter when the server goes away mid-call, and
// refuses to send a request over the line limit.
func TestSocketClientFailures(t *testing.T) {
	dir := sockDir(t)
	path := dir + "/x.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c := dial(t, path)
	errc := make(chan error, 1)
	go func() { _, err := c.Status(context.Background(), "alpha"); errc <- err }()
	srv := <-accepted
	if _, err := bufio.NewReader(srv).ReadBytes('\n'); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := <-errc; !errors.Is(err, ErrSocketClosed) {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Status(context.Background(), "alpha"); !errors.Is(err, ErrSocketClosed) {
		t.Fatalf("after close: %v", err)
	}

	c2 := dial(t, startServer(t, &fakeService{}))
	_, err = c2.Spawn(context.Background(), "alpha", protocolMemberWithPrompt(MaxSocketLine), "")
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("huge request: %v", err)
	}
	if _, err := c2.Status(context.Background(), "alpha"); err != nil {
		t.Fatalf("client unusable after refusing a huge request: %v", err)
	}
}

func protocolMemberWithPrompt(n int) protocol.Member {
	return protocol.Member{Name: "w1", Prompt: strings.Repeat("p", n)}
}

// BenchmarkSocketStatus measures one status round trip over the socket
// (fake Service, one teammate): encode, write, serve, answer, decode.
//
//	go test ./supervisor -run '^$' -bench Socket -benchtime 2s
func BenchmarkSocketStatus(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Status(ctx, "alpha"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSocketStatusParallel is BenchmarkSocketStatus with concurrent
// callers multiplexed on one connection.
func BenchmarkSocketStatusParallel(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Status(ctx, "alpha"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchClient(b *testing.B) *SocketClient {
	dir, err := os.MkdirTemp("/tmp", "cts")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	s, err := ListenSocket(dir + "/alpha.sock")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, &fakeService{}, nil) }()
	c, err := DialSocket(context.Background(), s.Path())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(); cancel(); <-done })
	return c
}
