package tmuxcc

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"
)

// CommandError is a failure tmux reported for a command (%error block).
type CommandError struct {
	Args    []string // the failed command
	Index   int      // its position on a CommandLine line (0 for Command)
	Message string   // tmux's message, lines joined by "\n"
}

func (e *CommandError) Error() string {
	name := ""
	if len(e.Args) > 0 {
		name = e.Args[0]
	}
	return fmt.Sprintf("tmux %s: %s", name, e.Message)
}

// result is what a pending command completes with.
type result struct {
	blocks [][]string // output lines of each answered command
	err    error
}

// pending is one line written to tmux and not yet fully answered. It is
// owned by whoever removed it from Conn.pending (readLoop or shutdown),
// which completes it exactly once.
type pending struct {
	cmds    [][]string
	created func(pane string) *PaneOutput // CreatePane: run by readLoop on the first block
	po      *PaneOutput                   // what created returned
	blocks  [][]string
	ch      chan result // 1-buffered: completing never blocks
}

// add records one reply block; it reports whether the line is complete. A
// line is complete after one block per command or after the first %error
// (tmux runs nothing after a failed command of a line).
func (pe *pending) add(r *reply) bool {
	if r.failed {
		i := len(pe.blocks)
		pe.ch <- result{blocks: pe.blocks, err: &CommandError{
			Args: pe.cmds[min(i, len(pe.cmds)-1)], Index: i, Message: strings.Join(r.lines, "\n")}}
		return true
	}
	pe.blocks = append(pe.blocks, r.lines)
	if pe.created != nil && len(pe.blocks) == 1 && len(r.lines) > 0 {
		pe.po = pe.created(strings.SplitN(r.lines[0], " ", 2)[0])
	}
	if len(pe.blocks) == len(pe.cmds) {
		pe.ch <- result{blocks: pe.blocks}
		return true
	}
	return false
}

func (pe *pending) fail(err error) { pe.ch <- result{blocks: pe.blocks, err: err} }

// Command runs one tmux command over the connection and returns its output
// lines. Arguments are quoted (see Quote). A failure reported by tmux is a
// *CommandError; a lost connection an error wrapping ErrClosed and the
// cause. If ctx ends first, Command returns ctx's error; the reply, when it
// comes, is discarded. Never send commands that block tmux's queue
// (run-shell or if-shell without -b, wait-for, confirm-before,
// command-prompt), nor commands that insert further commands (source-file,
// if-shell): their extra reply blocks cannot be told apart.
func (c *Conn) Command(ctx context.Context, args ...string) ([]string, error) {
	blocks, err := c.CommandLine(ctx, args)
	if len(blocks) > 0 {
		return blocks[0], err
	}
	return nil, err
}

// CommandLine sends several commands on one line ("a ; b ; c"), so that tmux
// runs them back to back with nothing in between — e.g. new-window followed
// by set-option -w remain-on-exit on, set before a fast process can exit.
// It returns the output of each command that ran. When command i fails, the
// blocks of commands 0..i-1 are returned with a *CommandError whose Index is
// i; the commands after it did not run. (A parse error anywhere fails the
// whole line with Index 0.)
func (c *Conn) CommandLine(ctx context.Context, cmds ...[]string) ([][]string, error) {
	pe, err := c.send(cmds, nil)
	if err != nil {
		return nil, err
	}
	var expired <-chan time.Time
	if d := c.cfg.commandTimeout(); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	select {
	case r := <-pe.ch:
		return r.blocks, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-expired:
		// The reply, if it ever comes, is discarded like one after ctx.
		return nil, fmt.Errorf("tmux %s: no answer within %s (server stopped or wedged?): %w",
			cmdName(cmds), c.cfg.commandTimeout(), ErrCommandTimeout)
	}
}

// cmdName is the name of the first command of a line, for errors.
func cmdName(cmds [][]string) string {
	if len(cmds) == 0 || len(cmds[0]) == 0 {
		return "command"
	}
	return cmds[0][0]
}

// CreatePane is CommandLine for a line whose first command creates a pane
// and prints its id as the first word of its output, e.g.
//
//	new-window -d -a -t S:{end} -P -F '#{pane_id} #{pane_pid}' -- argv… ;
//	set-option -w -t S:{end} remain-on-exit on
//
// It keeps the new pane's output (as WatchOutput with limit) from the very
// first byte: readLoop creates the ring when it reads the reply, before it
// reads any %output that follows. The ring is nil when the first command
// failed or printed nothing.
//
// A ctx that has ended before the call sends nothing. Once the line is
// written, CreatePane waits for tmux's answer whatever ctx does (until the
// connection ends): if ctx ended meanwhile and a pane was created, it kills
// that pane and drops its ring before returning ctx's error, so a
// cancelled call leaves nothing behind that its caller cannot know of.
func (c *Conn) CreatePane(ctx context.Context, limit int, cmds ...[]string) ([][]string, *PaneOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	pe, err := c.send(cmds, func(pane string) *PaneOutput {
		if !validPaneID(pane) {
			return nil
		}
		return c.WatchOutput(pane, limit)
	})
	if err != nil {
		return nil, nil, err
	}
	r := <-pe.ch // completed by readLoop, or failed by shutdown
	if ctx.Err() == nil {
		return r.blocks, pe.po, r.err
	}
	if pe.po != nil {
		pane := pe.po.Pane()
		c.UnwatchOutput(pane)
		if _, kerr := c.Command(context.Background(), "kill-pane", "-t", pane); kerr != nil {
			c.log.Warn("kill pane of a cancelled creation", zap.String("pane", pane), zap.Error(kerr))
		}
	}
	return nil, nil, ctx.Err()
}

// send writes one line and enqueues its pending entry under one lock, so the
// queue order is the write order, which is the order tmux answers in.
func (c *Conn) send(cmds [][]string, created func(string) *PaneOutput) (*pending, error) {
	line, err := commandLine(cmds)
	if err != nil {
		return nil, err
	}
	pe := &pending{cmds: cmds, created: created, ch: make(chan result, 1)}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.qmu.Lock()
	if c.ended {
		c.qmu.Unlock()
		return nil, c.errOrClosed()
	}
	c.pending = append(c.pending, pe)
	c.qmu.Unlock()
	if _, err := io.WriteString(c.wr, line); err != nil {
		// The line may be half written: the connection cannot be trusted.
		c.shutdown(fmt.Errorf("write: %w", err))
		return pe, nil // shutdown failed pe (it was queued) with the cause
	}
	return pe, nil
}

// errOrClosed returns the end cause, or ErrClosed while shutdown is running.
func (c *Conn) errOrClosed() error {
	if err := c.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// complete hands a reply block (flags != 0) to the oldest pending line. It
// returns the %continue/%pause notifications tmux 3.3a put inside the block
// of a refresh-client command. Called by readLoop only.
func (c *Conn) complete(r *reply) []Event {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if len(c.pending) == 0 {
		c.log.Warn("tmux reply without a pending command")
		return nil
	}
	pe := c.pending[0]
	var evs []Event
	if isRefresh(pe.cmds[min(len(pe.blocks), len(pe.cmds)-1)][0]) {
		r.lines, evs = extractFlowEvents(r.lines)
	}
	done := pe.add(r)
	if done {
		c.pending[0] = nil
		c.pending = c.pending[1:]
	}
	return evs
}

// isRefresh reports whether a command name is refresh-client (or its alias):
// tmux 3.3a puts %continue/%pause inside its reply block.
func isRefresh(name string) bool { return name == "refresh-client" || name == "refresh" }

// extractFlowEvents removes "%continue %N" and "%pause %N" lines from a
// refresh-client reply and returns them as events.
func extractFlowEvents(lines []string) ([]string, []Event) {
	var evs []Event
	kept := lines[:0:0]
	for _, l := range lines {
		name, rest, _ := strings.Cut(l, " ")
		if (name == "%continue" || name == "%pause") && strings.HasPrefix(rest, "%") && !strings.Contains(rest, " ") {
			evs = append(evs, parseNotification(name, rest, l))
			continue
		}
		kept = append(kept, l)
	}
	return kept, evs
}
