package tmuxcc

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// dispatcher routes parser items inside readLoop. It must never block: it
// only takes short locks and sends on buffered channels.
type dispatcher struct {
	c              *Conn
	attachBlock    bool // the first flag-0 block (the attach command) was seen
	sessionChanged bool
	now            time.Time // when the bytes being parsed were read (readLoop sets it)
}

func (d *dispatcher) handle(it item) {
	c := d.c
	switch it.kind {
	case itemReply:
		r := it.reply
		if r.flags == 0 {
			// Not ours: the attach command, or a hook run in our queue.
			if !d.attachBlock {
				d.attachBlock = true
				if r.failed {
					c.markReady(fmt.Errorf("attach %s: tmux: %s", c.cfg.Session, strings.Join(r.lines, "\n")))
				}
				d.checkReady()
			}
			return
		}
		for _, ev := range c.complete(r) {
			d.event(ev)
		}
	case itemOutput:
		c.outMu.RLock()
		po := c.outs[string(it.pane)] // no allocation: a map index
		c.outMu.RUnlock()
		if po != nil {
			po.write(it.data, d.now)
		}
	case itemEvent:
		d.event(it.event)
	case itemEcho:
		c.log.Debug("tmux echo", zap.ByteString("line", it.data))
	}
}

// checkReady marks the connection attached once both the attach block and
// %session-changed were seen.
func (d *dispatcher) checkReady() {
	if d.attachBlock && d.sessionChanged {
		d.c.markReady(nil)
	}
}

func (d *dispatcher) event(ev Event) {
	c := d.c
	switch e := ev.(type) {
	case SessionChanged:
		c.infoMu.Lock()
		c.sessionID, c.sessionName = e.ID, e.Name
		c.infoMu.Unlock()
		d.sessionChanged = true
		d.checkReady()
	case SessionRenamed:
		c.infoMu.Lock()
		if e.ID == c.sessionID {
			c.sessionName = e.Name
		}
		c.infoMu.Unlock()
	case Exit:
		reason := e.Reason
		c.exitReason = &reason
	case Pause:
		c.outMu.RLock()
		po := c.outs[e.Pane]
		c.outMu.RUnlock()
		if po != nil {
			po.pause()
		}
		c.resume(e.Pane)
	case SubscriptionChanged:
		if e.Name == deadSubscription {
			c.panes.subscription(e)
			return // internal: not for the consumer
		}
	case WindowClose:
		c.panes.poke("window-close")
	case UnlinkedWindowClose:
		c.panes.poke("window-close")
	case LayoutChange:
		c.panes.poke("layout-change")
	case HookOutput:
		c.log.Info("tmux hook output", zap.String("line", e.Line))
	}
	c.events.push(ev)
}

// resume continues a paused pane without blocking readLoop: the command is
// sent from its own goroutine, whose reply readLoop will deliver.
func (c *Conn) resume(pane string) {
	c.wg.Add(1)
	go func() { // owned by Conn; ends when the reply arrives or the connection ends
		defer c.wg.Done()
		pe, err := c.send([][]string{{"refresh-client", "-A", pane + ":continue"}}, nil)
		if err != nil {
			return
		}
		if r := <-pe.ch; r.err != nil {
			c.log.Debug("tmux continue", zap.String("pane", pane), zap.Error(r.err))
		}
	}()
}

// eventQueue is an unbounded FIFO between readLoop (push) and the consumer
// of Conn.Events (pump goroutine).
type eventQueue struct {
	out    chan Event
	mu     sync.Mutex
	q      []Event
	wake   chan struct{} // 1-buffered
	quit   chan struct{} // closed by stop
	stopMu sync.Once
}

func newEventQueue() *eventQueue {
	return &eventQueue{out: make(chan Event), wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (q *eventQueue) push(ev Event) {
	q.mu.Lock()
	q.q = append(q.q, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pump delivers queued events in order. After done is closed it delivers
// what is left and closes out; stop makes it close out at once.
func (q *eventQueue) pump(wg *sync.WaitGroup, done <-chan struct{}) {
	defer wg.Done()
	defer close(q.out)
	ending := false
	for {
		q.mu.Lock()
		var ev Event
		have := len(q.q) > 0
		if have {
			ev = q.q[0]
			q.q[0] = nil
			q.q = q.q[1:]
		}
		q.mu.Unlock()
		if have {
			select {
			case q.out <- ev:
			case <-q.quit:
				return
			}
			continue
		}
		if ending {
			return // everything pushed before the end was delivered
		}
		select {
		case <-q.wake:
		case <-done:
			ending = true
		case <-q.quit:
			return
		}
	}
}

func (q *eventQueue) stop() { q.stopMu.Do(func() { close(q.quit) }) }
