package layout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Slot says where the next teammate pane goes: beside the lead while its
// window holds one more pane at the readable minimum, else in the first
// overflow window with room, else in a new overflow window. It never
// fails for lack of room. A window holding a pane that is neither the
// lead's nor a teammate's (the person's own split, another team's
// teammate) is never laid out and gets no teammate.
func (l *Layout) Slot(ctx context.Context) (Slot, error) {
	if err := l.resolve(ctx); err != nil {
		return Slot{}, err
	}
	lead, err := l.panes(ctx, l.leadWindow)
	if err != nil {
		return Slot{}, err
	}
	// Capacity counts in the lead's window size: what the person sees.
	W, H := lead[0].windowW, lead[0].windowH
	c := l.cfg
	if l.ours(l.leadWindow, lead) &&
		l.countIn(l.leadWindow) < capacity(W, H, true, c.LeadShare, c.MinWidth, c.MinHeight) {
		return l.splitSlot(l.leadWindow, lead, W), nil
	}
	for _, w := range l.overflow {
		ps, err := l.panes(ctx, w)
		if err != nil || !l.ours(w, ps) {
			continue
		}
		if l.countIn(w) < capacity(W, H, false, c.LeadShare, c.MinWidth, c.MinHeight) {
			return l.splitSlot(w, ps, W), nil
		}
	}
	name, err := l.freeName(ctx)
	if err != nil {
		return Slot{}, err
	}
	return Slot{Name: name, Session: l.leadSession}, nil
}

// splitSlot splits the window's last pane of ours (so new panes come last
// in the window's order), or the lead's pane beside which nothing runs
// yet, straight to the teammates' share.
func (l *Layout) splitSlot(w string, ps []pane, width int) Slot {
	var target *pane
	for i := range ps {
		if ps[i].id != l.cfg.LeadPane {
			target = &ps[i]
		}
	}
	if target == nil {
		right := width - leadWidth(width, l.cfg.LeadShare) - 1
		return Slot{Window: w, Target: l.cfg.LeadPane, Flags: []string{"-h", "-l", strconv.Itoa(right)}}
	}
	flag := "-v"
	if target.h < 3 {
		flag = "-h"
	}
	return Slot{Window: w, Target: target.id, Flags: []string{flag}}
}

// freeName is the first "<team>-N" (N ≥ 2) that no window of the lead's
// session is named.
func (l *Layout) freeName(ctx context.Context) (string, error) {
	out, err := l.c.Command(ctx, "list-windows", "-t", l.leadSession, "-F", "#{window_name}")
	if err != nil {
		return "", fmt.Errorf("layout: list the lead's windows: %w", err)
	}
	taken := map[string]bool{}
	for _, n := range out {
		taken[strings.TrimSpace(n)] = true
	}
	for i := 2; ; i++ {
		if n := l.cfg.Team + "-" + strconv.Itoa(i); !taken[n] {
			return n, nil
		}
	}
}

// Add records teammates whose panes exist (made at a Slot, or found again
// by a new owner), titles them and lays out their windows again. A window
// that is not the lead's becomes an overflow window. The teammates are
// recorded even when an error is returned: errors are about looks only
// (log them; the spawn stands).
func (l *Layout) Add(ctx context.Context, mates ...Mate) error {
	if err := l.resolve(ctx); err != nil {
		return err
	}
	var errs []error
	touched := []string{}
	pre := map[string][][]string{}
	for _, in := range mates {
		if err := checkName("teammate", in.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		if !isPaneID(in.Pane) {
			errs = append(errs, fmt.Errorf("layout: teammate %s: pane %q is not a tmux pane id", in.Name, in.Pane))
			continue
		}
		out, err := l.c.Command(ctx, "display-message", "-p", "-t", in.Pane, "#{window_id}")
		if err != nil || len(out) == 0 {
			errs = append(errs, fmt.Errorf("layout: find %s's pane %s: %w", in.Name, in.Pane, orNoReply(err)))
			continue
		}
		m := in
		m.Window = strings.TrimSpace(out[0])
		if old := l.mate(m.Name); old != nil {
			*old = m
		} else {
			l.mates = append(l.mates, &m)
		}
		if m.Window != l.leadWindow && !contains(l.overflow, m.Window) {
			l.overflow = append(l.overflow, m.Window)
		}
		cmds, err := l.decorate(ctx, m)
		if err != nil {
			errs = append(errs, err)
		}
		pre[m.Window] = append(pre[m.Window], cmds...)
		if !contains(touched, m.Window) {
			touched = append(touched, m.Window)
		}
	}
	for _, w := range touched {
		if err := l.apply(ctx, w, pre[w]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Remove forgets a teammate whose pane is gone (killed by the caller) and
// lays out what is left of its window; the lead's window gets its options
// back with its last teammate.
func (l *Layout) Remove(ctx context.Context, name string) error {
	m := l.mate(name)
	if m == nil {
		return nil
	}
	for i, x := range l.mates {
		if x == m {
			l.mates = append(l.mates[:i], l.mates[i+1:]...)
			break
		}
	}
	if l.countIn(m.Window) > 0 {
		return l.Relayout(ctx, m.Window)
	}
	if m.Window == l.leadWindow {
		return restoreWindow(ctx, l.c, l.leadWindow)
	}
	l.overflow = remove(l.overflow, m.Window)
	return nil
}

// ReplaceSlot is where a restart's new pane is made: a window of the
// caller's own session, seen by nobody, until Replace swaps the new pane
// into the dead one's place. So a restart needs no room in the person's
// window, and the dead pane shows its last screen until then.
func (l *Layout) ReplaceSlot(name string) (Slot, error) {
	if l.mate(name) == nil {
		return Slot{}, fmt.Errorf("layout: no teammate %q placed", name)
	}
	return Slot{Name: name}, nil
}

// Replace puts a restarted teammate's new pane in its dead pane's place
// (swap-pane), kills the dead pane and titles the new one: the teammate
// keeps one pane, in the same cell. When the dead pane is gone already,
// the new pane joins the teammate's window (or the lead's) like a new
// spawn.
func (l *Layout) Replace(ctx context.Context, name, newPane string) error {
	m := l.mate(name)
	if m == nil {
		return fmt.Errorf("layout: no teammate %q placed", name)
	}
	if !isPaneID(newPane) {
		return fmt.Errorf("layout: teammate %s: pane %q is not a tmux pane id", name, newPane)
	}
	old := m.Pane
	if _, err := l.c.Command(ctx, "swap-pane", "-d", "-s", newPane, "-t", old); err != nil {
		return l.rejoin(ctx, m, newPane, err)
	}
	m.Pane = newPane
	cmds, err := l.decorate(ctx, *m)
	if err != nil {
		return err
	}
	// The dead pane is now out of sight, in the new one's window.
	pre := append([][]string{{"kill-pane", "-t", old}}, cmds...)
	return l.apply(ctx, m.Window, pre)
}

// rejoin moves a restart's new pane into a slot when its dead pane is gone.
func (l *Layout) rejoin(ctx context.Context, m *Mate, newPane string, cause error) error {
	if !strings.Contains(cause.Error(), "can't find pane: "+m.Pane) {
		return fmt.Errorf("layout: swap %s into %s's pane %s: %w", newPane, m.Name, m.Pane, cause)
	}
	name := m.Name
	if err := l.Remove(ctx, name); err != nil {
		return err
	}
	s, err := l.Slot(ctx)
	if err != nil {
		return err
	}
	if s.Target != "" {
		args := append([]string{"join-pane", "-d", "-s", newPane, "-t", s.Target}, s.Flags...)
		if _, err := l.c.Command(ctx, args...); err != nil {
			return fmt.Errorf("layout: move %s's new pane %s beside %s: %w", name, newPane, s.Target, err)
		}
	} else {
		if _, err := l.c.Command(ctx, "rename-window", "-t", newPane, escape(s.Name)); err != nil {
			return fmt.Errorf("layout: name %s's window: %w", name, err)
		}
		if _, err := l.c.Command(ctx, "link-window", "-d", "-s", newPane, "-t", s.Session+":"); err != nil {
			return fmt.Errorf("layout: show %s's window in the lead's session: %w", name, err)
		}
	}
	return l.Add(ctx, Mate{Name: name, Color: m.Color, Pane: newPane})
}

// Relayout lays window w out again: the lead's window with the lead full
// height on the left and its teammates in the rest, an overflow window with
// its teammates alone. A window holding a pane that is not ours is left as
// it is (and gets no more teammates); so is a zoomed one.
func (l *Layout) Relayout(ctx context.Context, w string) error {
	return l.apply(ctx, w, nil)
}

// apply runs pre (commands that title panes, or remove a dead one) and
// the layout of window w on one line.
func (l *Layout) apply(ctx context.Context, w string, pre [][]string) error {
	cmd, err := l.layoutCommand(ctx, w, pre)
	if cmd != nil {
		pre = append(pre, cmd)
	}
	if rerr := l.run(ctx, pre...); rerr != nil {
		return errors.Join(err, fmt.Errorf("layout: %s: %w", w, rerr))
	}
	return err
}

// layoutCommand is the select-layout of window w, nil when it needs none.
// pre may kill a pane of w first: it is not counted.
func (l *Layout) layoutCommand(ctx context.Context, w string, pre [][]string) ([]string, error) {
	all, err := l.panes(ctx, w)
	if err != nil {
		return nil, err
	}
	var ps []pane
	for _, p := range all {
		killed := false
		for _, c := range pre {
			if len(c) == 3 && c[0] == "kill-pane" && c[2] == p.id {
				killed = true
			}
		}
		if !killed {
			ps = append(ps, p)
		}
	}
	if !l.ours(w, ps) {
		return nil, fmt.Errorf("layout: window %s holds a pane that is not ours: left as it is", w)
	}
	if len(ps) == 0 || ps[0].zoomed {
		return nil, nil
	}
	ids := make([]string, len(ps))
	leadAt := -1
	for i, p := range ps {
		ids[i] = p.id
		if p.id == l.cfg.LeadPane {
			leadAt = i
		}
	}
	W, H := ps[0].windowW, ps[0].windowH
	var root cell
	switch {
	case w == l.leadWindow && len(ps) == 1:
		return nil, nil // the lead alone: it has the whole window
	case w == l.leadWindow:
		if leadAt > 0 {
			// tmux gives the first leaf to the first pane.
			if _, err := l.c.Command(ctx, "swap-pane", "-d", "-s", l.cfg.LeadPane, "-t", ids[0]); err != nil {
				return nil, fmt.Errorf("layout: put the lead first in %s: %w", w, err)
			}
			ids[0], ids[leadAt] = ids[leadAt], ids[0]
		}
		root, err = leadTree(ids, W, H, l.cfg.LeadShare, l.cfg.MinHeight)
	default:
		root, err = overflowTree(ids, W, H, l.cfg.MinHeight)
	}
	if err != nil {
		return nil, fmt.Errorf("layout: %s: %w", w, err)
	}
	return []string{"select-layout", "-t", w, root.String()}, nil
}

// Teardown gives the lead's window its options back and forgets every
// teammate. Call it once the teammates' panes are killed: the lead then
// has its whole window again.
func (l *Layout) Teardown(ctx context.Context) error {
	l.mates, l.overflow = nil, nil
	if err := l.resolve(ctx); err != nil {
		return err
	}
	return restoreWindow(ctx, l.c, l.leadWindow)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}
