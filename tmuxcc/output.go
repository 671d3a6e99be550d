package tmuxcc

import (
	"sync"
	"time"
)

// PaneOutput keeps the last bytes a pane printed, as delivered by %output,
// in a ring of bounded size. It is filled by the connection's reader
// goroutine, which never waits for a consumer: when the ring is full the
// oldest bytes are dropped and counted. All methods are safe for concurrent
// use.
type PaneOutput struct {
	pane   string
	notify chan struct{} // 1-buffered; signalled without blocking on new output

	mu      sync.Mutex // guards the fields below; held only for copies
	limit   int
	ring    []byte // len(ring) == limit once full; start is the oldest byte
	start   int
	size    int
	total   int64
	dropped int64
	pauses  int64
	last    time.Time
}

// DefaultOutputLimit is the ring size used by WatchOutput for a limit <= 0.
const DefaultOutputLimit = 1 << 20

func newPaneOutput(pane string, limit int) *PaneOutput {
	if limit <= 0 {
		limit = DefaultOutputLimit
	}
	return &PaneOutput{pane: pane, limit: limit, notify: make(chan struct{}, 1)}
}

// Pane returns the pane id ("%N") this buffer belongs to.
func (p *PaneOutput) Pane() string { return p.pane }

// write appends data, dropping the oldest bytes past the limit. Called by
// the reader goroutine only.
func (p *PaneOutput) write(data []byte, now time.Time) {
	if len(data) == 0 {
		return
	}
	p.mu.Lock()
	p.total += int64(len(data))
	p.last = now
	if len(data) >= p.limit {
		p.dropped += int64(p.size) + int64(len(data)-p.limit)
		if len(p.ring) < p.limit {
			p.ring = make([]byte, p.limit)
		}
		copy(p.ring, data[len(data)-p.limit:])
		p.start, p.size = 0, p.limit
	} else {
		if over := p.size + len(data) - p.limit; over > 0 {
			p.dropped += int64(over)
			p.start = (p.start + over) % p.limit
			p.size -= over
		}
		p.grow(p.size + len(data))
		end := (p.start + p.size) % len(p.ring)
		n := copy(p.ring[end:], data)
		copy(p.ring, data[n:])
		p.size += len(data)
	}
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// grow makes the ring able to hold n bytes (n <= limit), keeping contents.
// The ring grows lazily so that idle panes cost little.
func (p *PaneOutput) grow(n int) {
	if n <= len(p.ring) {
		return
	}
	c := 2 * len(p.ring)
	if c < 4096 {
		c = 4096
	}
	if c < n {
		c = n
	}
	if c > p.limit {
		c = p.limit
	}
	nr := make([]byte, c)
	p.copyOut(nr)
	p.ring, p.start = nr, 0
}

// copyOut copies the contents in order into dst (len(dst) >= size).
func (p *PaneOutput) copyOut(dst []byte) {
	if p.size == 0 {
		return
	}
	first := p.ring[p.start:]
	if len(first) > p.size {
		first = first[:p.size]
	}
	n := copy(dst, first)
	copy(dst[n:], p.ring[:p.size-n])
}

// pause records a %pause gap. Called by the reader goroutine only.
func (p *PaneOutput) pause() {
	p.mu.Lock()
	p.pauses++
	p.mu.Unlock()
}

// Snapshot returns a copy of the last bytes received (at most the limit),
// raw, escape sequences included.
func (p *PaneOutput) Snapshot() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]byte, p.size)
	p.copyOut(out)
	return out
}

// Total returns the number of bytes received for the pane.
func (p *PaneOutput) Total() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Dropped returns the number of bytes dropped from the ring (oldest first).
// Bytes tmux itself dropped during a %pause cannot be counted; Pauses
// counts those gaps.
func (p *PaneOutput) Dropped() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

// Pauses returns how many times tmux paused the pane and dropped its
// backlog (%pause, see Config.PauseAfter).
func (p *PaneOutput) Pauses() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pauses
}

// LastActivity returns when the last %output for the pane arrived (zero if
// none yet).
func (p *PaneOutput) LastActivity() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// Notify returns a 1-buffered channel that receives a value (without the
// reader ever blocking) after new output arrives.
func (p *PaneOutput) Notify() <-chan struct{} { return p.notify }
