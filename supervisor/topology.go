package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// placeholderName names the first window of our own session, which keeps
// the session (and our control connection) alive while no teammate runs.
const placeholderName = "claude-teams-keep"

// placeholderArgv is the inert command of that window (sleep takes no input
// and lasts about 68 years).
var placeholderArgv = []string{"sleep", "2147483647"}

// paneFormat is what new-window/split-window print for the created pane:
// its start path last (it may hold spaces), the working directory tmux
// made of -c (checked against the request, see checkDir).
const paneFormat = "#{pane_id} #{window_id} #{pane_pid} #{pane_start_path}"

// topology says where a team's panes live and how our control client
// reaches them (DESIGN.md "tmux topology").
type topology struct {
	mode       string // statefile.ModePrivate, statefile.ModeSplit or statefile.ModeWindows
	socketName string // -L (private server), "" when socketPath is set
	socketPath string // -S
	configFile string // -f, only for a private server we may start
	session    string // the session our control client attaches to
	leadPane   string // split and windows modes: the lead's pane

	// Resolved after dialing (see resolve).
	serverPID   int    // the tmux server's pid (signals only reach its local children)
	leadSession string // windows mode: the lead's session id
	linked      map[string]bool
}

// ownTopology is the topology this process's configuration asks for.
func ownTopology(c Config, team string) topology {
	if c.TMUX == "" {
		return topology{mode: statefile.ModePrivate, socketName: c.TmuxSocket, configFile: c.TmuxConfigFile, session: team}
	}
	mode := statefile.ModeSplit
	if c.UseWindows {
		mode = statefile.ModeWindows
	}
	sock, _, _ := strings.Cut(c.TMUX, ",")
	return topology{mode: mode, socketPath: sock, session: "claude-teams-" + team, leadPane: c.TMUXPane}
}

// recordedTopology is the topology a previous owner recorded; ok is false
// when nothing usable was recorded.
func recordedTopology(team string, s statefile.ServerInfo) (topology, bool) {
	if s.SocketPath == "" || s.Session == "" {
		return topology{}, false
	}
	switch s.Mode {
	case statefile.ModePrivate, statefile.ModeSplit, statefile.ModeWindows:
	default:
		return topology{}, false
	}
	return topology{mode: s.Mode, socketPath: s.SocketPath, session: s.Session, leadPane: s.LeadPane}, true
}

// dialConfig is the tmuxcc configuration of the topology. create says
// whether our session may be created: always in the lead's server (the
// session is ours alone), and in a private server only when we are about
// to put a teammate there.
func (tp topology) dialConfig(c Config, team string, create bool) tmuxcc.Config {
	return tmuxcc.Config{
		Tmux:       c.Tmux,
		SocketName: tp.socketName,
		SocketPath: tp.socketPath,
		ConfigFile: tp.configFile,
		Session:    tp.session,
		Create:     create || tp.mode != statefile.ModePrivate,
		// The window that keeps a created session alive runs nothing a
		// person could type into.
		PlaceholderArgv: placeholderArgv,
		Width:           c.PaneWidth,
		Height:          c.PaneHeight,
		Mode:            c.TmuxMode,
		Env:             c.TmuxEnv,
		// Per team and data root: two roots' teams of one name on one
		// server must not take each other's clients for stale ones.
		Tag:    "claude-teams/" + team + "/" + tmuxconv.RootHash(tmuxconv.CanonicalRoot(c.Store.Root())),
		Logger: c.Logger.Named("tmuxcc").With(zap.String("team", team)),
	}
}

// info is what the state file records of the topology.
func (tp topology) info() statefile.ServerInfo {
	return statefile.ServerInfo{Mode: tp.mode, SocketPath: tp.socketPath, Session: tp.session, LeadPane: tp.leadPane}
}

// resolve learns, over a fresh connection, what the topology needs: the
// server's socket path, the lead's session, and sets our session's
// history-limit before any pane is created through it.
func (t *team) resolve(ctx context.Context, conn *tmuxcc.Conn) error {
	tp := &t.topo
	// Dial asked the server once; its answer is on the connection.
	tp.serverPID = conn.ServerPID()
	if path := conn.ServerSocket(); path != "" {
		tp.socketPath, tp.socketName = path, ""
	}
	if tp.mode == statefile.ModeWindows {
		// Without the lead's pane we can still watch and stop teammates;
		// only a new window has nowhere to go (windowPane says so).
		tp.leadSession = ""
		if tp.leadPane != "" {
			out, err := conn.Command(ctx, "display-message", "-p", "-t", tp.leadPane, "#{session_id}")
			if err == nil && len(out) > 0 {
				tp.leadSession = strings.TrimSpace(out[0])
			}
		}
	}
	tp.linked = map[string]bool{}
	wins, err := conn.Command(ctx, "list-windows", "-t", "="+tp.session, "-F",
		"#{window_id} #{window_linked} #{window_name} #{"+tmuxconv.PaneAgentOption+"}")
	if err != nil {
		return fmt.Errorf("resolve session: %w", err)
	}
	for _, w := range wins {
		f := strings.Fields(w)
		if len(f) == 0 {
			continue
		}
		tp.linked[f[0]] = true
		if len(f) == 3 && f[1] == "0" && f[2] != placeholderName {
			// The window that keeps our session alive (its first one,
			// running a shell): named for what it is in `tmux ls` and
			// choose-tree.
			if _, err := conn.Command(ctx, "rename-window", "-t", f[0], placeholderName); err != nil {
				t.log.Debug("name placeholder window", zap.Error(err))
			}
		}
	}
	// A session option of our own session (never the person's): panes
	// created through it get it, splits of the lead's window included
	// (splitPane targets the lead's pane through our session).
	if _, err := conn.Command(ctx, "set-option", "-t", "="+tp.session+":",
		"history-limit", strconv.Itoa(t.cfg.HistoryLimit)); err != nil {
		return fmt.Errorf("set history-limit: %w", err)
	}
	t.layout = t.newLayout(conn)
	return nil
}

// paneInfo is a created pane.
type paneInfo struct {
	pane, window string
	pid          int
	windowName   string // filled in once the pane is placed
	startPath    string // the working directory tmux started it in
}

func parsePaneInfo(lines []string) (paneInfo, error) {
	if len(lines) == 0 {
		return paneInfo{}, errors.New("no pane reported")
	}
	f := strings.SplitN(lines[0], " ", 4)
	if len(f) < 3 {
		return paneInfo{}, fmt.Errorf("unexpected pane line %q", lines[0])
	}
	pid, err := strconv.Atoi(f[2])
	if err != nil {
		return paneInfo{}, fmt.Errorf("unexpected pane line %q", lines[0])
	}
	p := paneInfo{pane: f[0], window: f[1], pid: pid}
	if len(f) == 4 {
		p.startPath = f[3]
	}
	return p, nil
}

// escapeFormat protects a value that tmux expands as a format (new-window
// and split-window expand -c, new-window -n): "#(cmd)" in a working
// directory would otherwise run cmd. "##" is a literal "#". Values given
// to set-option (without -F) and -e are not expanded.
func escapeFormat(s string) string { return strings.ReplaceAll(s, "#", "##") }

// spawnArgs are the options and argv shared by new-window and
// split-window: the agent runs as separate argv words, never a shell
// string.
func spawnArgs(l backends.Launch) ([]string, error) {
	if len(l.Argv) == 0 || l.Argv[0] == "" {
		return nil, errors.New("empty command")
	}
	if !strings.HasPrefix(l.Dir, "/") {
		return nil, fmt.Errorf("working directory %q is not absolute", l.Dir)
	}
	argv := l.Argv
	if len(argv) == 1 {
		// tmux runs a single-word command through the shell (sh -c word);
		// env execs it as it is.
		if strings.Contains(argv[0], "=") {
			return nil, fmt.Errorf("command %q: a lone word holding '=' cannot be run", argv[0])
		}
		argv = []string{"env", "--", argv[0]}
	}
	if err := checkDirText(l.Dir); err != nil {
		return nil, err
	}
	a := []string{"-P", "-F", paneFormat, "-c", escapeDir(l.Dir)}
	for _, kv := range l.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("environment entry %q is not KEY=VALUE", kv)
		}
		a = append(a, "-e", kv)
	}
	a = append(a, "--")
	return append(a, argv...), nil
}

// newPane starts the agent of l in a new pane, with remain-on-exit set
// before the process can exit and the agent id recorded on the pane.
func (t *team) newPane(ctx context.Context, name, color, agentID string, l backends.Launch) (paneInfo, error) {
	args, err := spawnArgs(l)
	if err != nil {
		return paneInfo{}, err
	}
	if t.topo.mode == statefile.ModeSplit {
		return t.splitPane(ctx, name, color, agentID, args)
	}
	if t.topo.mode == statefile.ModeWindows && t.topo.leadSession == "" {
		return paneInfo{}, fmt.Errorf("new window: the lead's pane %q is not in this tmux server", t.topo.leadPane)
	}
	p, err := t.windowPane(ctx, name, agentID, args)
	if err != nil {
		return paneInfo{}, err
	}
	t.decorate(ctx, name, color, p)
	return p, nil
}

// windowPane creates the pane as a new window of our own session at a
// free index, so that the same command line can set remain-on-exit and
// our tags on exactly that window's pane (a pane of ours is never seen
// untagged, whenever the owner dies: orphans.go); in windows mode the
// window is then linked into the lead's session, where the person sees it.
// An index taken meanwhile is tried again.
func (t *team) windowPane(ctx context.Context, name, agentID string, args []string) (paneInfo, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		idx, err := t.freeIndex(ctx)
		if err != nil {
			return paneInfo{}, err
		}
		p, err := t.windowPaneAt(ctx, name, agentID, args, idx, false)
		if err == nil {
			return p, nil
		}
		lastErr = err
		var ce *tmuxcc.CommandError
		if !errors.As(err, &ce) || ce.Index != 0 || !strings.Contains(ce.Message, "index") {
			break // only an index taken meanwhile is worth another try
		}
	}
	return paneInfo{}, lastErr
}

// windowPaneAt is windowPane at index idx of our session; replace (-k)
// destroys the window that holds the index in our session first.
func (t *team) windowPaneAt(ctx context.Context, name, agentID string, args []string, idx int, replace bool) (paneInfo, error) {
	target := "=" + t.topo.session + ":" + strconv.Itoa(idx)
	// -n is format-expanded like -c (names are validated; escaped anyway).
	create := []string{"new-window", "-d", "-t", target, "-n", escapeFormat(name)}
	if replace {
		create = append(create, "-k")
	}
	create = append(create, args...)
	blocks, _, err := t.conn.CreatePane(ctx, t.cfg.OutputLimit, create,
		[]string{"set-option", "-w", "-t", target, "remain-on-exit", "on"},
		// On the pane too: a restart's pane keeps it when it is swapped
		// into the lead's window (placement.go).
		[]string{"set-option", "-p", "-t", target, "remain-on-exit", "on"},
		[]string{"set-option", "-p", "-t", target, tmuxconv.PaneAgentOption, agentID},
		[]string{"set-option", "-p", "-t", target, tmuxconv.PaneRootOption, t.rootTag})
	if len(blocks) == 0 {
		return paneInfo{}, fmt.Errorf("new window: %w", err)
	}
	p, perr := parsePaneInfo(blocks[0])
	if err == nil {
		err = perr
	}
	if err != nil {
		if perr == nil {
			t.conn.UnwatchOutput(p.pane)
			t.killPane(ctx, p.pane)
		} else {
			_, _ = t.conn.Command(ctx, "kill-window", "-t", target)
		}
		return paneInfo{}, fmt.Errorf("new window: %w", err)
	}
	t.topo.linked[p.window] = true
	if t.topo.mode == statefile.ModeWindows {
		if _, err := t.conn.Command(ctx, "link-window", "-d", "-s", p.window, "-t", t.topo.leadSession+":"); err != nil {
			t.conn.UnwatchOutput(p.pane)
			t.killPane(ctx, p.pane)
			return paneInfo{}, fmt.Errorf("link window into the lead's session: %w", err)
		}
	}
	return p, nil
}

// freeIndex returns a window index not used in our session.
func (t *team) freeIndex(ctx context.Context) (int, error) {
	out, err := t.conn.Command(ctx, "list-windows", "-t", "="+t.topo.session, "-F", "#{window_index}")
	if err != nil {
		return 0, fmt.Errorf("list windows: %w", err)
	}
	max := 0
	for _, l := range out {
		if n, err := strconv.Atoi(strings.TrimSpace(l)); err == nil && n > max {
			max = n
		}
	}
	return max + 1, nil
}

// linkWindow links window w into our session (tmux sends %output only for
// windows of the attached session). In split mode that is the lead's window:
// the lead's own pane is then muted for us with refresh-client -A.
func (t *team) linkWindow(ctx context.Context, w string) error {
	if t.topo.linked[w] {
		return nil
	}
	if _, err := t.conn.Command(ctx, "link-window", "-d", "-s", w, "-t", "="+t.topo.session+":"); err != nil {
		return fmt.Errorf("link window %s into our session: %w", w, err)
	}
	t.topo.linked[w] = true
	if t.topo.mode == statefile.ModeSplit && t.topo.leadPane != "" {
		if _, err := t.conn.Command(ctx, "refresh-client", "-A", t.topo.leadPane+":off"); err != nil {
			t.log.Debug("mute lead pane output", zap.Error(err))
		}
	}
	return nil
}

// killPane removes a pane (its window goes with its last pane). A pane that
// is already gone is not an error.
func (t *team) killPane(ctx context.Context, pane string) {
	if t.conn == nil || pane == "" {
		return
	}
	killPaneOn(ctx, t.conn, pane)
}

func killPaneOn(ctx context.Context, conn *tmuxcc.Conn, pane string) {
	_, _ = conn.Command(ctx, "kill-pane", "-t", pane)
}
