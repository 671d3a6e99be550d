package mcp

import (
	"bytes"
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
	// stdioWorkers is how many tool calls run at once. mcp-go's default of
	// 5 would let five waiting poll_inbox calls hold up every other call.
	stdioWorkers = 32
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
	return stdio.Listen(ctx, &drainReader{r: in, c: c, ctx: ctx, grace: drainGrace}, &countWriter{w: out, c: c})
}

// pending counts requests read and responses written.
type pending struct {
	mu                  sync.Mutex
	cond                *sync.Cond
	requests, responses int
}

// jsonrpcHead is what tells a request (method and id) from a notification
// (no id) and a response (id, no method).
type jsonrpcHead struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

func newCond(c *pending) *sync.Cond { return sync.NewCond(&c.mu) }

func hasID(h jsonrpcHead) bool { return len(h.ID) > 0 && string(h.ID) != "null" }

// lines calls fn for every complete line in buf+p and keeps the rest.
func lines(buf *[]byte, p []byte, fn func(line []byte)) {
	*buf = append(*buf, p...)
	for {
		i := bytes.IndexByte(*buf, '\n')
		if i < 0 {
			return
		}
		fn((*buf)[:i])
		*buf = (*buf)[i+1:]
	}
}

// drainReader passes stdin through, counting requests; at EOF it waits
// until every request read has been answered, the grace period ends or ctx
// is done, then reports EOF.
type drainReader struct {
	r     io.Reader
	c     *pending
	ctx   context.Context
	grace time.Duration
	buf   []byte // partial line; owned by the reading goroutine
}

func (d *drainReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	lines(&d.buf, p[:n], func(line []byte) {
		var h jsonrpcHead
		if json.Unmarshal(line, &h) == nil && h.Method != "" && hasID(h) {
			d.c.mu.Lock()
			d.c.requests++
			d.c.mu.Unlock()
		}
	})
	if err == io.EOF {
		d.drain()
	}
	return n, err
}

func (d *drainReader) drain() {
	c := d.c
	expired := false // guarded by c.mu
	wake := func() {
		c.mu.Lock()
		expired = true
		c.cond.Broadcast()
		c.mu.Unlock()
	}
	timer := time.AfterFunc(d.grace, wake)
	defer timer.Stop()
	stop := context.AfterFunc(d.ctx, wake)
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.responses < c.requests && !expired {
		c.cond.Wait()
	}
}

// countWriter passes stdout through, counting responses.
type countWriter struct {
	w   io.Writer
	c   *pending
	buf []byte // partial line; writes are serialised by mcp-go
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	lines(&w.buf, p[:n], func(line []byte) {
		var h jsonrpcHead
		if json.Unmarshal(line, &h) == nil && h.Method == "" && hasID(h) {
			w.c.mu.Lock()
			w.c.responses++
			w.c.cond.Broadcast()
			w.c.mu.Unlock()
		}
	})
	return n, err
}
