package tmuxconv

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/f9449b24/claude-teams/protocol"
)

// PaneAgentOption is the pane user option that records which agent id a
// pane belongs to, so panes can be recognised (and re-adopted) later.
const PaneAgentOption = "@claude-teams-agent"

// PaneRootOption is the pane user option that records which data root the
// pane's team lives in (8 hex digits, see SocketPath): teams of the same
// name in two data roots may share a tmux server, and neither may touch the
// other's panes.
const PaneRootOption = "@claude-teams-root"

// Runner runs argv (argv[0] looked up on PATH) and returns its standard
// output; a non-zero exit is an error that carries the standard error
// text. It is the exec seam of the offline status: tests assert the exact
// argv through it.
type Runner func(ctx context.Context, argv []string) ([]byte, error)

// ExecRunner is the Runner that really runs the command.
func ExecRunner(ctx context.Context, argv []string) ([]byte, error) {
	return RunEnv(ctx, argv, nil)
}

// RunEnv runs argv as ExecRunner does, in environment env (nil: ours).
func RunEnv(ctx context.Context, argv []string, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return out, fmt.Errorf("%s: %w: %s", argv[0], err, msg)
		}
		return out, fmt.Errorf("%s: %w", argv[0], err)
	}
	return out, nil
}

// TmuxServer names one tmux server: by socket path (-S), by socket name
// (-L), or neither (tmux's default server, which inside tmux is the
// enclosing one).
type TmuxServer struct {
	Socket string // -S path; wins over Name
	Name   string // -L name
}

// Args returns the tmux arguments that select the server.
func (s TmuxServer) Args() []string {
	switch {
	case s.Socket != "":
		return []string{"-S", s.Socket}
	case s.Name != "":
		return []string{"-L", s.Name}
	}
	return nil
}

func (s TmuxServer) String() string {
	if a := s.Args(); a != nil {
		return strings.Join(a, " ")
	}
	return "default server"
}

// Pane is one pane as tmux list-panes reports it.
type Pane struct {
	ID         string // %N
	Window     string // @N
	PID        int
	Dead       bool
	ExitStatus *int   // nil while alive, after a signal, or before tmux reaped the child
	Signal     string // "SIGKILL" when the process died by a signal, else ""
	Agent      string // the PaneAgentOption value, "" when not set
	Root       string // the PaneRootOption value, "" when not set
}

// PaneListFormat is the list-panes format of Pane, over the control
// connection and in a subprocess alike; tabs cannot occur in the fields.
const PaneListFormat = "#{pane_id}\t#{window_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{" +
	PaneAgentOption + "}\t#{" + PaneRootOption + "}"

// ParsePane parses one line in PaneListFormat.
func ParsePane(line string) (Pane, bool) {
	f := strings.Split(line, "\t")
	if len(f) != 8 || !strings.HasPrefix(f[0], "%") {
		return Pane{}, false
	}
	p := Pane{ID: f[0], Window: f[1], Dead: f[3] == "1", Agent: f[6], Root: f[7]}
	p.PID, _ = strconv.Atoi(f[2])
	if p.Dead {
		if n, err := strconv.Atoi(f[4]); err == nil {
			p.ExitStatus = &n
		}
		if n, err := strconv.Atoi(f[5]); err == nil && n > 0 {
			p.Signal = protocol.SignalName(n)
		}
	}
	return p, true
}

// Ours reports whether p may belong to agentID of the data root whose hash
// is root: not tagged as another agent's or another root's pane.
func (p Pane) Ours(agentID, root string) bool {
	return (p.Agent == "" || p.Agent == agentID) && (p.Root == "" || p.Root == root)
}

// listPanesArgv is the one command the offline status runs per server.
func listPanesArgv(tmux string, srv TmuxServer) []string {
	argv := append([]string{tmux}, srv.Args()...)
	return append(argv, "list-panes", "-a", "-F", PaneListFormat)
}

// ListPanes lists every pane of server srv with one tmux subprocess run by
// run (ExecRunner when nil); tmux is the tmux binary ("tmux" when empty).
// ok is false, with no error, when no server runs there.
func ListPanes(ctx context.Context, run Runner, tmux string, srv TmuxServer) (panes []Pane, ok bool, err error) {
	if run == nil {
		run = ExecRunner
	}
	if tmux == "" {
		tmux = "tmux"
	}
	out, err := run(ctx, listPanesArgv(tmux, srv))
	if err != nil {
		if isNoServer(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("list panes of tmux %s: %w", srv, err)
	}
	panes, err = parsePanes(out)
	if err != nil {
		return nil, false, fmt.Errorf("list panes of tmux %s: %w", srv, err)
	}
	return panes, true, nil
}

// isNoServer reports whether a tmux error means that no server runs on the
// socket (tmux says "no server running on …" or "error connecting to …").
func isNoServer(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no server running") || strings.Contains(msg, "error connecting to") ||
		strings.Contains(msg, "No such file or directory")
}

// parsePanes parses list-panes output in PaneListFormat.
func parsePanes(out []byte) ([]Pane, error) {
	var panes []Pane
	for line := range strings.SplitSeq(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		p, ok := ParsePane(line)
		if !ok {
			return nil, fmt.Errorf("unexpected list-panes line %q", line)
		}
		panes = append(panes, p)
	}
	return panes, nil
}
