package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"
)

// splitter cuts a byte stream into lines, looking at every byte once.
type splitter struct{ buf []byte }

// feed calls fn for every line p completes; the rest waits for the next
// call. fn must not keep the line.
func (s *splitter) feed(p []byte, fn func(line []byte)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.buf = append(s.buf, p...)
			return
		}
		line := p[:i]
		if len(s.buf) > 0 {
			s.buf = append(s.buf, line...)
			line = s.buf
		}
		fn(line)
		s.buf = s.buf[:0]
		p = p[i+1:]
	}
}

// idHeadBytes is how much of an over-long line is kept to find its id.
const idHeadBytes = 64 << 10

// lineReader stands between stdin and mcp-go. It reads each request line
// once, in O(length); answers itself a line that is too long (never
// holding more than its first idHeadBytes) or not JSON, with the id it
// can read; serves poll_inbox calls on a pool of their own; and passes
// every other line on. At EOF it holds EOF back until what was read is
// answered (pending.drain). Read is called by one goroutine at a time.
type lineReader struct {
	r     io.Reader
	w     *countWriter
	c     *pending
	ctx   context.Context
	grace time.Duration
	srv   *Server
	max   int // longest line accepted

	chunk []byte // read buffer
	line  []byte // current line (its first idHeadBytes once over max)
	size  int    // length of the current line so far
	out   []byte // accepted lines not yet read by mcp-go
	err   error  // error of the underlying reader, once seen

	sessMu  sync.Mutex
	sess    context.Context // mcp-go's session context; guarded by sessMu
	pollCtx context.Context // ends when Listen returns
	pollSem chan struct{}   // one token per running poll
	polls   sync.WaitGroup

	// running holds the polls being served, by request id, so that the
	// client's notifications/cancelled reaches them: mcp-go learns of a
	// poll only once its goroutine calls HandleMessage, which a
	// cancellation read right after the request can overtake.
	runningMu sync.Mutex
	running   map[string]*poll
	// closing: Listen is ending; polls still running are answered to no
	// one (nobody reads any more, and a write could block for ever).
	closing atomic.Bool
}

// poll is one poll_inbox call served beside mcp-go.
type poll struct {
	cancel    context.CancelFunc
	cancelled atomic.Bool // by the client: it gets no answer (MCP spec)
}

func (r *lineReader) setSession(ctx context.Context) {
	r.sessMu.Lock()
	r.sess = ctx
	r.sessMu.Unlock()
}

func (r *lineReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			if r.err == io.EOF {
				r.c.drain(r.ctx, r.grace)
			}
			return 0, r.err
		}
		if r.chunk == nil {
			r.chunk = make([]byte, 64<<10)
		}
		n, err := r.r.Read(r.chunk)
		r.feed(r.chunk[:n])
		if err != nil {
			if r.size > 0 { // a last line without its newline
				r.endLine()
			}
			r.err = err
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	if len(r.out) == 0 {
		r.out = nil // let a big accepted line go
	}
	return n, nil
}

// feed adds bytes to the current line, ending a line at each newline.
func (r *lineReader) feed(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		part := p
		if i >= 0 {
			part = p[:i]
		}
		if r.size+len(part) <= r.max {
			r.line = append(r.line, part...)
		} else if len(r.line) < idHeadBytes {
			r.line = append(r.line, part[:min(len(part), idHeadBytes-len(r.line))]...)
		}
		r.size += len(part)
		if i < 0 {
			return
		}
		r.endLine()
		p = p[i+1:]
	}
}

// endLine judges the current line and starts the next.
func (r *lineReader) endLine() {
	line, size := r.line, r.size
	r.line, r.size = r.line[:0], 0
	if cap(r.line) > 1<<20 {
		r.line = nil // do not keep a big buffer for small lines
	}
	if size > r.max {
		r.answerError(readableID(line), mcpgo.INVALID_REQUEST, fmt.Sprintf(
			"request line is %d bytes; the limit is %d bytes (%d MiB) per JSON-RPC message", size, r.max, r.max>>20))
		return
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	var head struct {
		jsonrpcHead
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); !ok {
			r.answerError(readableID(line), mcpgo.PARSE_ERROR, "Parse error: "+err.Error())
			return
		}
		// Valid JSON of an odd shape: mcp-go answers it.
	}
	if head.Method == string(mcpgo.MethodNotificationCancelled) && !hasID(head.ID) {
		r.cancelPoll(line)
	}
	if head.Method != "" && hasID(head.ID) {
		r.c.request()
		if head.Method == string(mcpgo.MethodToolsCall) && head.Params.Name == "poll_inbox" {
			r.startPoll(head.ID, bytes.Clone(line))
			return
		}
	}
	r.out = append(r.out, line...)
	r.out = append(r.out, '\n')
}

// readableID returns the id of a request that does not parse (or was cut
// at idHeadBytes), if a string or number id comes before the damage;
// else nil (JSON null).
func readableID(line []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		if k != "id" {
			continue
		}
		var id any
		if json.Unmarshal(v, &id) != nil {
			return nil
		}
		switch id.(type) {
		case string, float64:
			return v
		}
		return nil
	}
	return nil
}

// answer writes one JSON-RPC message to stdout.
func (r *lineReader) answer(msg any) {
	b, err := json.Marshal(msg)
	if err != nil {
		r.srv.log.Error("encode stdio answer: " + err.Error())
		return
	}
	if _, err := r.w.Write(append(b, '\n')); err != nil {
		r.srv.log.Warn("write stdio answer: " + err.Error())
	}
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcAnswer struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

func (r *lineReader) answerError(id json.RawMessage, code int, msg string) {
	if !hasID(id) {
		id = json.RawMessage("null")
	} else {
		r.c.request() // counted as read, so that draining waits for it
	}
	r.srv.log.Info("stdio request refused", zap.String("id", string(id)), zap.String("error", msg))
	r.answer(rpcAnswer{JSONRPC: "2.0", ID: id, Error: &rpcError{Code: code, Message: msg}})
}

// startPoll serves a poll_inbox call on its own goroutine, at most
// MaxConcurrentPolls at once; one more is a tool error naming the limit.
func (r *lineReader) startPoll(id json.RawMessage, line []byte) {
	select {
	case r.pollSem <- struct{}{}:
	default:
		msg := fmt.Sprintf("poll_inbox: %d poll_inbox calls are already waiting; the limit is %d at once (MaxConcurrentPolls): wait for one to return",
			cap(r.pollSem), cap(r.pollSem))
		r.srv.log.Info("tool refused", zap.String("tool", "poll_inbox"), zap.String("error", msg))
		r.answer(rpcAnswer{JSONRPC: "2.0", ID: id, Result: mcpgo.NewToolResultError(msg)})
		return
	}
	r.sessMu.Lock()
	base := r.sess
	r.sessMu.Unlock()
	if base == nil {
		base = r.pollCtx
	}
	// The poll ends with the session, when Listen returns, or when the
	// client cancels it.
	ctx, cancel := context.WithCancel(base)
	stop := context.AfterFunc(r.pollCtx, cancel)
	p := &poll{cancel: cancel}
	key := string(id)
	r.runningMu.Lock()
	if r.running == nil {
		r.running = map[string]*poll{}
	}
	r.running[key] = p
	r.runningMu.Unlock()
	r.polls.Add(1)
	go func() {
		defer r.polls.Done()
		defer cancel()
		defer stop()
		r.servePoll(ctx, key, p, line)
	}()
}

func (r *lineReader) servePoll(ctx context.Context, key string, p *poll, line []byte) {
	defer func() { <-r.pollSem }()
	resp := r.srv.mcp.HandleMessage(ctx, line)
	r.runningMu.Lock()
	if r.running[key] == p {
		delete(r.running, key)
	}
	r.runningMu.Unlock()
	switch {
	case p.cancelled.Load() || r.closing.Load():
		r.c.answered() // no answer is written, none is waited for
	case resp != nil:
		r.answer(resp)
	}
}

// cancelPoll ends the running poll a notifications/cancelled line names
// (mcp-go still gets the line, for the requests it serves itself).
func (r *lineReader) cancelPoll(line []byte) {
	var n struct {
		Params struct {
			RequestID json.RawMessage `json:"requestId"`
		} `json:"params"`
	}
	if json.Unmarshal(line, &n) != nil || !hasID(n.Params.RequestID) {
		return
	}
	r.runningMu.Lock()
	p := r.running[string(n.Params.RequestID)]
	r.runningMu.Unlock()
	if p != nil {
		p.cancelled.Store(true)
		p.cancel()
	}
}
