package layout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/f9449b24/claude-teams/tmuxcc"
)

// Commander runs one tmux command and returns its output lines; a
// *tmuxcc.Conn is one.
type Commander interface {
	Command(ctx context.Context, args ...string) ([]string, error)
}

// Liner is a Commander that also sends several commands on one line: tmux
// runs them back to back, so a person's screen is redrawn once, not after
// each. A *tmuxcc.Conn is one; a Commander without it gets the commands
// one by one.
type Liner interface {
	CommandLine(ctx context.Context, cmds ...[]string) ([][]string, error)
}

// run sends cmds, on one line when the Commander can.
func (l *Layout) run(ctx context.Context, cmds ...[]string) error {
	return runAll(ctx, l.c, cmds...)
}

func runAll(ctx context.Context, c Commander, cmds ...[]string) error {
	if len(cmds) == 0 {
		return nil
	}
	if ln, ok := c.(Liner); ok {
		_, err := ln.CommandLine(ctx, cmds...)
		return err
	}
	for _, cmd := range cmds {
		if _, err := c.Command(ctx, cmd...); err != nil {
			return err
		}
	}
	return nil
}

// Defaults of Config.
const (
	// DefaultLeadShare is the lead's percent of its window's width, as in
	// Claude Code's own tmux backend.
	DefaultLeadShare = 30
	// DefaultMinWidth is the narrowest teammate pane, in columns: two fit
	// side by side in an 80-column window.
	DefaultMinWidth = 39
	// DefaultMinHeight is the lowest teammate pane, in rows, its title
	// line included: two fit one above the other in an 80×24 terminal
	// with tmux's status line.
	DefaultMinHeight = 10
	// MinLeadShare and MaxLeadShare bound Config.LeadShare.
	MinLeadShare = 10
	MaxLeadShare = 90
)

// Config says whose window is laid out and how. Zero values take the
// defaults above.
type Config struct {
	// LeadPane is the lead's pane ("%N", from $TMUX_PANE). Required.
	LeadPane string
	// Team names overflow windows: "<team>-2", "<team>-3", …
	Team string
	// OwnSession is the session our control client attaches to (a name or
	// "$N"): never taken for the lead's session, though the lead's window
	// is linked into it.
	OwnSession string
	// LeadShare is the lead's percent of its window's width
	// (DefaultLeadShare), MinLeadShare to MaxLeadShare.
	LeadShare int
	// MinWidth and MinHeight are the smallest teammate pane worth placing
	// (DefaultMinWidth × DefaultMinHeight); below that a teammate goes to
	// an overflow window.
	MinWidth, MinHeight int
}

func (c Config) withDefaults() (Config, error) {
	if !isPaneID(c.LeadPane) {
		return c, fmt.Errorf("layout: lead pane %q is not a tmux pane id like %%3", c.LeadPane)
	}
	if err := checkName("team", c.Team); err != nil {
		return c, err
	}
	if c.LeadShare == 0 {
		c.LeadShare = DefaultLeadShare
	}
	if c.LeadShare < MinLeadShare || c.LeadShare > MaxLeadShare {
		return c, fmt.Errorf("layout: lead share %d%%: must be from %d to %d", c.LeadShare, MinLeadShare, MaxLeadShare)
	}
	if c.MinWidth <= 0 {
		c.MinWidth = DefaultMinWidth
	}
	if c.MinHeight <= 0 {
		c.MinHeight = DefaultMinHeight
	}
	return c, nil
}

// ParseLeadShare reads a lead share setting ("30" or "30%").
func ParseLeadShare(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if err != nil || n < MinLeadShare || n > MaxLeadShare {
		return 0, fmt.Errorf("lead share %q: must be a whole percent from %d to %d", s, MinLeadShare, MaxLeadShare)
	}
	return n, nil
}

// Mate is a teammate's pane as the layout knows it.
type Mate struct {
	Name   string // the teammate's name: the pane's title
	Color  string // Claude Code's colour name ("purple"); unknown ones show uncoloured
	Pane   string // "%N"
	Window string // "@N", filled in by Add
}

// Slot says where the next teammate pane goes. Exactly one of Target and
// Name is set.
type Slot struct {
	// Window and Target: split pane Target of window Window with Flags
	// (split-window -d -t Target Flags… -P -F … -- argv…).
	Window, Target string
	Flags          []string
	// Name: make a new window named Name; when Session is set, link it
	// into Session (the lead's session), where the person sees it. A
	// restart's new pane (ReplaceSlot) goes into a window of the caller's
	// own session, not linked anywhere, until Replace swaps it in.
	Name, Session string
}

// Layout places one team's teammate panes beside its lead. It is owned by
// one goroutine (the team's owner loop): no method is safe for concurrent
// use.
type Layout struct {
	cfg Config
	c   Commander

	leadWindow  string   // "@N", resolved on first use
	leadSession string   // "$N": a session of the lead's window other than OwnSession
	mates       []*Mate  // in placement order
	overflow    []string // our overflow windows, in creation order
}

// New returns the layout of cfg's lead window, driven through c.
func New(cfg Config, c Commander) (*Layout, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("layout: no tmux connection")
	}
	return &Layout{cfg: cfg, c: c}, nil
}

// Mates are the teammates placed, in placement order.
func (l *Layout) Mates() []Mate {
	out := make([]Mate, len(l.mates))
	for i, m := range l.mates {
		out[i] = *m
	}
	return out
}

// LeadWindow is the lead's window ("@N"), once resolved.
func (l *Layout) LeadWindow() string { return l.leadWindow }

// resolve learns the lead's window and session.
func (l *Layout) resolve(ctx context.Context) error {
	if l.leadWindow != "" {
		return nil
	}
	out, err := l.c.Command(ctx, "display-message", "-p", "-t", l.cfg.LeadPane, "#{window_id}")
	if err != nil || len(out) == 0 || !strings.HasPrefix(out[0], "@") {
		return fmt.Errorf("layout: find the lead's pane %s: %w", l.cfg.LeadPane, orNoReply(err))
	}
	w := strings.TrimSpace(out[0])
	rows, err := l.c.Command(ctx, "list-windows", "-a", "-F", "#{window_id} #{session_id} #{session_name}")
	if err != nil {
		return fmt.Errorf("layout: list sessions of the lead's window: %w", err)
	}
	for _, r := range rows {
		f := strings.Fields(r)
		if len(f) == 3 && f[0] == w && f[1] != l.cfg.OwnSession && f[2] != l.cfg.OwnSession {
			l.leadSession = f[1]
			break
		}
	}
	if l.leadSession == "" {
		return fmt.Errorf("layout: the lead's window %s is in no session but ours", w)
	}
	l.leadWindow = w
	return nil
}

// pane is a row of list-panes.
type pane struct {
	id        string
	w, h      int
	dead      bool
	left, top int
	windowW   int
	windowH   int
	zoomed    bool
}

const paneRow = "#{pane_id} #{pane_width} #{pane_height} #{pane_dead} #{pane_left} #{pane_top} #{window_width} #{window_height} #{window_zoomed_flag}"

// panes lists window w's panes in the window's order.
func (l *Layout) panes(ctx context.Context, w string) ([]pane, error) {
	out, err := l.c.Command(ctx, "list-panes", "-t", w, "-F", paneRow)
	if err != nil {
		return nil, fmt.Errorf("layout: list panes of %s: %w", w, err)
	}
	var ps []pane
	for _, r := range out {
		f := strings.Fields(r)
		if len(f) != 9 {
			return nil, fmt.Errorf("layout: unexpected pane row %q", r)
		}
		n := make([]int, 0, 6)
		for _, s := range []string{f[1], f[2], f[4], f[5], f[6], f[7]} {
			v, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("layout: unexpected pane row %q", r)
			}
			n = append(n, v)
		}
		ps = append(ps, pane{id: f[0], w: n[0], h: n[1], dead: f[3] == "1", left: n[2], top: n[3], windowW: n[4], windowH: n[5], zoomed: f[8] == "1"})
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("layout: window %s has no panes", w)
	}
	return ps, nil
}

// mate returns the teammate named name.
func (l *Layout) mate(name string) *Mate {
	for _, m := range l.mates {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func (l *Layout) byPane(id string) *Mate {
	for _, m := range l.mates {
		if m.Pane == id {
			return m
		}
	}
	return nil
}

func (l *Layout) countIn(w string) int {
	n := 0
	for _, m := range l.mates {
		if m.Window == w {
			n++
		}
	}
	return n
}

// ours reports whether every pane of window w is the lead's or one of our
// teammates': only then may the window be laid out.
func (l *Layout) ours(w string, ps []pane) bool {
	for _, p := range ps {
		if p.id != l.cfg.LeadPane && l.byPane(p.id) == nil {
			return false
		}
	}
	return true
}

func isPaneID(s string) bool {
	_, ok := tmuxcc.PaneNumber(s)
	return ok
}

func orNoReply(err error) error {
	if err == nil {
		return errors.New("no reply")
	}
	return err
}
