package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/supervisor/layout"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// Placement (issue 11). In split mode every teammate pane goes where
// supervisor/layout says (beside the lead, or in an overflow window of the
// lead's session), is titled and laid out again; in windows mode and on
// the private server each teammate's window is titled the same way. The
// layout is owned by the owner loop like the connection it drives, and is
// made again on every new connection (what it must keep across owners, the
// lead window's saved options, lives in tmux).

// newLayout makes the layout of the lead's window for connection c (split
// mode with a known lead pane; nil otherwise).
func (t *team) newLayout(c layout.Commander) *layout.Layout {
	if t.topo.mode != statefile.ModeSplit || t.topo.leadPane == "" {
		return nil
	}
	l, err := layout.New(layout.Config{
		LeadPane: t.topo.leadPane, Team: t.name, OwnSession: t.topo.session, LeadShare: t.cfg.LeadShare,
	}, c)
	if err != nil {
		t.log.Warn("no layout for the lead's window", zap.Error(err))
		return nil
	}
	return l
}

// splitPane creates a teammate pane in split mode at the layout's next
// slot, then lays it out.
func (t *team) splitPane(ctx context.Context, name, color, agentID string, args []string) (paneInfo, error) {
	if t.layout == nil {
		return paneInfo{}, errors.New("split the lead's window: the lead's pane is unknown ($TMUX_PANE unset)")
	}
	s, err := t.layout.Slot(ctx)
	if err != nil {
		return paneInfo{}, fmt.Errorf("place pane: %w", err)
	}
	var p paneInfo
	if s.Target != "" {
		p, err = t.splitAt(ctx, s, name, agentID, args)
	} else {
		p, err = t.overflowPane(ctx, s, name, agentID, args)
	}
	if err != nil {
		return paneInfo{}, err
	}
	if err := t.layout.Add(ctx, layout.Mate{Name: name, Color: color, Pane: p.pane}); err != nil {
		t.log.Warn("lay out teammate pane", zap.String("agent", name), zap.String("pane", p.pane), zap.Error(err))
	}
	return p, nil
}

// splitAt places a new pane at slot s: it is made in a window of our own
// session (tagged and remain-on-exit on its creating line, windowPane) and
// joined into window s.Window beside pane s.Target with the slot's flags.
// A split-window there could tag its pane only on a second line, and an
// owner dying in between would leave an untagged pane we could not tell
// from the person's own. Its hidden window goes with its only pane.
func (t *team) splitAt(ctx context.Context, s layout.Slot, name, agentID string, args []string) (paneInfo, error) {
	// Linked first, so that tmux goes on sending us the pane's output
	// once it is moved there.
	if err := t.linkWindow(ctx, s.Window); err != nil {
		return paneInfo{}, err
	}
	p, err := t.windowPane(ctx, name, agentID, args)
	if err != nil {
		return paneInfo{}, fmt.Errorf("split window: %w", err)
	}
	if paneMadeHook != nil {
		paneMadeHook(name, "spawn-hidden")
	}
	hidden := p.window
	join := append([]string{"join-pane", "-d", "-s", p.pane, "-t", s.Target}, s.Flags...)
	_, err = t.conn.Command(ctx, join...)
	delete(t.topo.linked, hidden)
	if err != nil {
		t.conn.UnwatchOutput(p.pane)
		t.killPane(ctx, p.pane)
		return paneInfo{}, fmt.Errorf("split window: move the new pane beside %s: %w", s.Target, err)
	}
	p.window = s.Window
	return p, nil
}

// overflowPane creates the teammate's pane as a new window of our session
// named s.Name and shows it in the lead's session (s.Session).
func (t *team) overflowPane(ctx context.Context, s layout.Slot, name, agentID string, args []string) (paneInfo, error) {
	p, err := t.windowPane(ctx, s.Name, agentID, args)
	if err != nil {
		return paneInfo{}, err
	}
	if _, err := t.conn.Command(ctx, "link-window", "-d", "-s", p.window, "-t", s.Session+":"); err != nil {
		t.conn.UnwatchOutput(p.pane)
		t.killPane(ctx, p.pane)
		return paneInfo{}, fmt.Errorf("show %s's window in the lead's session: %w", name, err)
	}
	return p, nil
}

// replaceInPlace is replacePane in split mode: the new pane is made out of
// sight, in a window of our own session, and swapped into the dead pane's
// cell once it exists; the dead pane is then killed. The dead pane keeps
// its last screen until then, and a restart needs no room. ok is false
// when the layout does not know the teammate (the caller then replaces the
// pane as a spawn would).
func (t *team) replaceInPlace(ctx context.Context, oldPane, name, agentID string, args []string) (p paneInfo, ok bool, err error) {
	s, err := t.layout.ReplaceSlot(name)
	if err != nil {
		return paneInfo{}, false, nil
	}
	if p, err = t.windowPane(ctx, s.Name, agentID, args); err != nil {
		return paneInfo{}, true, err
	}
	if paneMadeHook != nil {
		paneMadeHook(name, "restart-hidden")
	}
	hidden := p.window
	rerr := t.layout.Replace(ctx, name, p.pane)
	placed := false
	for _, m := range t.layout.Mates() {
		if m.Name == name && m.Pane == p.pane {
			placed, p.window = true, m.Window
		}
	}
	if !placed {
		// Not swapped in: the dead pane keeps its cell; the restart
		// failed and will be tried again.
		t.conn.UnwatchOutput(p.pane)
		t.killPane(ctx, p.pane)
		delete(t.topo.linked, hidden)
		return paneInfo{}, true, fmt.Errorf("swap the new pane into %s's cell: %w", name, orUnknown(rerr))
	}
	if rerr != nil {
		t.log.Warn("lay out restarted pane", zap.String("agent", name), zap.String("pane", p.pane), zap.Error(rerr))
	}
	// The dead pane went with the hidden window (Replace killed it), or
	// is killed here if it was left behind. When the dead pane was gone
	// already, the layout may have made the hidden window an overflow
	// window: then it stays ours.
	t.killPane(ctx, oldPane)
	if p.window != hidden {
		delete(t.topo.linked, hidden)
	}
	return p, true, nil
}

func orUnknown(err error) error {
	if err == nil {
		return errors.New("the pane stayed out of sight")
	}
	return err
}

// decorate titles a teammate's window pane in windows mode and on the
// private server (split mode does it through the layout).
func (t *team) decorate(ctx context.Context, name, color string, p paneInfo) {
	if t.topo.mode == statefile.ModeSplit {
		return
	}
	if err := layout.Decorate(ctx, t.conn, layout.Mate{Name: name, Color: color, Pane: p.pane, Window: p.window}); err != nil {
		t.log.Warn("title teammate pane", zap.String("agent", name), zap.String("pane", p.pane), zap.Error(err))
	}
}

// placed reports whether the layout holds pane as name's.
func (t *team) placed(name, pane string) bool {
	if t.layout == nil || t.conn == nil {
		return false
	}
	for _, m := range t.layout.Mates() {
		if m.Name == name && m.Pane == pane {
			return true
		}
	}
	return false
}

// unplace tells the layout that name's pane is gone for good.
func (t *team) unplace(ctx context.Context, name string) {
	if t.layout == nil {
		return
	}
	if err := t.layout.Remove(ctx, name); err != nil {
		t.log.Warn("lay out after removal", zap.String("agent", name), zap.Error(err))
	}
}

// placeAdopted records, in a layout made for a new connection, every
// teammate whose pane we hold (alive, or dead and keeping its cell), in
// the order they started.
func (t *team) placeAdopted(ctx context.Context) {
	if t.layout == nil || t.conn == nil {
		return
	}
	var ms []*mate
	for _, m := range t.mates {
		if m.paneID != "" && t.panes[m.paneID] == m {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].startedAt.Equal(ms[j].startedAt) {
			return ms[i].startedAt.Before(ms[j].startedAt)
		}
		return ms[i].name < ms[j].name
	})
	var in []layout.Mate
	for _, m := range ms {
		in = append(in, layout.Mate{Name: m.name, Color: m.color, Pane: m.paneID})
	}
	if len(in) == 0 {
		return
	}
	if err := t.layout.Add(ctx, in...); err != nil {
		t.log.Warn("lay out adopted teammates", zap.Error(err))
	}
}

// windowName is the name of pane's window ("" when tmux does not say).
func (t *team) windowName(ctx context.Context, pane string) string {
	out, err := t.conn.Command(ctx, "display-message", "-p", "-t", pane, "#{window_name}")
	if err != nil || len(out) == 0 {
		return ""
	}
	return strings.TrimSpace(out[0])
}

// windowLabel is how status shows a teammate's window: "alpha-2 (@7)".
func windowLabel(name, id string) string {
	switch {
	case id == "":
		return ""
	case name == "":
		return id
	}
	return name + " (" + id + ")"
}

// A teammate's working directory travels to tmux in -c, which tmux 3.3a
// expands as a format (issue 10, item 6). escapeFormat's doubling of '#'
// is right for "#{", "#(" and the like, but a run of '#' that ends in '['
// is copied as it is (it could be a style, "#[fg=red]"): doubled, "/srv/x#[y]"
// became "/srv/x##[y]", a directory that does not exist, and tmux silently
// started the teammate in its own directory. escapeDir leaves those runs
// alone, and every created pane's start path (#{pane_start_path}, what tmux
// made of -c) is compared with the request: what tmux would not honour is
// refused, never run elsewhere.

// escapeDir protects a working directory given to tmux's -c.
func escapeDir(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '#' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '#' {
			j++
		}
		run := s[i:j]
		b.WriteString(run)
		if j == len(s) || s[j] != '[' {
			b.WriteString(run) // "##" is one literal '#'
		}
		i = j
	}
	return b.String()
}

// checkDirText refuses a working directory tmux cannot be given: a control
// character (a newline would end the command line) is never passed on.
func checkDirText(dir string) error {
	for _, r := range dir {
		if unicode.IsControl(r) {
			return fmt.Errorf("working directory %q holds control character %q: tmux cannot start a pane there", dir, r)
		}
	}
	return nil
}

// checkStartPath compares where tmux started a pane with the request.
func checkStartPath(p paneInfo, dir string) error {
	if p.startPath == "" || p.startPath == dir {
		return nil
	}
	return fmt.Errorf("working directory %q: tmux would start the teammate in %q instead; refused", dir, p.startPath)
}
