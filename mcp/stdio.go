package mcp

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
)

// Stdio serving limits.
const (
	// stdioWorkers is how many tool calls other than poll_inbox run at
	// once. poll_inbox calls have their own pool (MaxConcurrentPolls), so
	// waiting polls never hold these workers.
	stdioWorkers = 32
	// MaxRequestBytes is the longest JSON-RPC request line accepted
	// (8 MiB: a send_message of MaxMessageBytes with every character
	// escaped still fits). A longer line is never held in memory; it is
	// answered with a JSON-RPC error naming its size and this limit.
	MaxRequestBytes = 8 << 20
	// MaxConcurrentPolls is how many poll_inbox calls may wait at once;
	// one more is refused with an error naming this limit.
	MaxConcurrentPolls = 64
	// drainGrace is how long, after stdin ends, the server still finishes
	// the requests it has read. A client that pipes a script and closes
	// stdin gets every answer; one that went away does not keep the
	// process alive (poll_inbox may wait for minutes).
	drainGrace = 5 * time.Second
)

// Listen serves newline-delimited JSON-RPC on in and out until in reaches
// EOF (nil) or ctx ends (ctx.Err()). Requests read before EOF are answered
// (for up to drainGrace). Nothing but JSON-RPC is written to out.
func (s *Server) Listen(ctx context.Context, in io.Reader, out io.Writer) error {
	stdio := server.NewStdioServer(s.mcp)
	stdio.SetErrorLogger(zap.NewStdLog(s.log.Named("stdio")))
	server.WithWorkerPoolSize(stdioWorkers)(stdio)
	c := &pending{}
	c.cond = newCond(c)
	w := &countWriter{w: out, c: c}
	pollCtx, cancelPolls := context.WithCancel(ctx)
	r := &lineReader{
		r: in, w: w, c: c, ctx: ctx, grace: drainGrace,
		srv: s, max: MaxRequestBytes, pollCtx: pollCtx,
		pollSem: make(chan struct{}, MaxConcurrentPolls),
	}
	// mcp-go calls this once, with the context that carries its stdio
	// session, before it reads: polls served beside it run in that session.
	stdio.SetContextFunc(func(sess context.Context) context.Context {
		r.setSession(sess)
		return sess
	})
	err := stdio.Listen(ctx, r, w)
	r.closing.Store(true)
	cancelPolls()
	r.polls.Wait()
	return err
}

// pending counts requests read and responses written.
type pending struct {
	mu                  sync.Mutex
	cond                *sync.Cond
	requests, responses int
}

func newCond(c *pending) *sync.Cond { return sync.NewCond(&c.mu) }

func (c *pending) request() {
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
}

// answered counts a request that is done without a response written.
func (c *pending) answered() {
	c.mu.Lock()
	c.responses++
	c.cond.Broadcast()
	c.mu.Unlock()
}

// jsonrpcHead is what tells a request (method and id) from a notification
// (no id) and a response (id, no method).
type jsonrpcHead struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

func hasID(id json.RawMessage) bool { return len(id) > 0 && string(id) != "null" }

// drain waits, at EOF, until every request read has been answered, the
// grace period ends or ctx is done.
func (c *pending) drain(ctx context.Context, grace time.Duration) {
	expired := false // guarded by c.mu
	wake := func() {
		c.mu.Lock()
		expired = true
		c.cond.Broadcast()
		c.mu.Unlock()
	}
	timer := time.AfterFunc(grace, wake)
	defer timer.Stop()
	stop := context.AfterFunc(ctx, wake)
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.responses < c.requests && !expired {
		c.cond.Wait()
	}
}

// countWriter passes stdout through, one whole write at a time (mcp-go
// writes each message with one Write; so do we), counting responses.
type countWriter struct {
	mu    sync.Mutex // serialises writes: mcp-go's and the line reader's
	w     io.Writer
	c     *pending
	split splitter // partial line; guarded by mu
}

func (w *countWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.w.Write(p)
	w.split.feed(p[:n], func(line []byte) {
		var h jsonrpcHead
		if json.Unmarshal(line, &h) == nil && h.Method == "" && hasID(h.ID) {
			w.c.answered()
		}
	})
	return n, err
}
