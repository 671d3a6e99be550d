package supervisor

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// leadNote is one message for the lead's inbox, from a teammate.
type leadNote struct {
	from, color, summary, text string
}

// notifier writes lead notifications in order from its own goroutine, so
// that an inbox lock held by someone else never stalls the owner loop. Its
// queue is unbounded: a notification is never dropped (the policy decides
// what is worth sending; the notifier only delivers).
type notifier struct {
	store *protocol.Store
	team  string
	log   *zap.Logger

	mu     sync.Mutex
	queue  []leadNote
	closed bool
	wake   chan struct{} // 1-buffered
	done   chan struct{} // closed when loop returns
}

// notifyDrainTimeout bounds how long close waits for queued notes.
const notifyDrainTimeout = 5 * time.Second

func newNotifier(store *protocol.Store, team string, log *zap.Logger) *notifier {
	n := &notifier{store: store, team: team, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go n.loop()
	return n
}

// push queues a note for the lead.
func (n *notifier) push(note leadNote) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		n.log.Warn("lead notification after close", zap.String("agent", note.from), zap.String("summary", note.summary))
		return
	}
	n.queue = append(n.queue, note)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// close delivers what is queued (waiting up to notifyDrainTimeout) and stops.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
	select {
	case <-n.done:
	case <-time.After(notifyDrainTimeout):
		n.log.Warn("lead notifications still pending at shutdown")
	}
}

func (n *notifier) loop() {
	defer close(n.done)
	for range n.wake {
		for {
			n.mu.Lock()
			if len(n.queue) == 0 {
				closed := n.closed
				n.mu.Unlock()
				if closed {
					return
				}
				break
			}
			note := n.queue[0]
			n.queue = n.queue[1:]
			n.mu.Unlock()
			n.deliver(note)
		}
	}
}

func (n *notifier) deliver(note leadNote) {
	_, err := n.store.Send(n.team, protocol.LeadName, protocol.Message{
		From:    note.from,
		Text:    note.text,
		Summary: note.summary,
		Color:   note.color,
	})
	if err != nil {
		n.log.Error("lead notification failed", zap.String("agent", note.from), zap.String("summary", note.summary), zap.Error(err))
		return
	}
	n.log.Info("lead notified", zap.String("agent", note.from), zap.String("summary", note.summary))
}

// leadEvent starts a LeadEvent about m at now with the context the lead
// needs: pane, tasks in progress and unread messages (as the work watcher
// last read them).
func (t *team) leadEvent(m *mate, now time.Time) policy.LeadEvent {
	return policy.LeadEvent{
		Agent:  m.name,
		At:     now,
		PaneID: m.paneID,
		Tasks:  t.work.tasks[m.name],
		Unread: t.work.unread[m.name],
	}
}

// tellLead passes ev through the notification policy (dedup, rate limit,
// deliberate transitions dropped) and queues what it releases.
func (t *team) tellLead(ev policy.LeadEvent) {
	if ev.At.IsZero() {
		ev.At = t.now()
	}
	t.sendLead(t.lead.Notify(ev))
}

// flushLead releases held-back notifications once the rate limit allows.
func (t *team) flushLead() { t.sendLead(t.lead.Flush(t.now())) }

// flushLeadAll releases every held-back notification at once (the owner
// loop is ending; a later owner would not know about them).
func (t *team) flushLeadAll() { t.sendLead(t.lead.Drain(t.now())) }

// sendLead queues messages for the lead's inbox, each in the colour of the
// teammate it comes from.
func (t *team) sendLead(msgs []policy.LeadMessage) {
	for _, msg := range msgs {
		note := leadNote{from: msg.From, summary: msg.Summary, text: msg.Text}
		if m := t.mates[msg.From]; m != nil {
			note.color = m.color
		}
		t.notes.push(note)
	}
}
