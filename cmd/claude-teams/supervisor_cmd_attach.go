package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

const attachHelp = `Usage: claude-teams supervisor attach [--team T] [--read-only]

Show a team's teammates. Outside tmux, this terminal attaches to the tmux
session that holds the team (tmux attach-session; detach with the prefix
key then d). Inside tmux, this client switches to the window that holds the
teammates (tmux switch-client); when they run on another tmux server (the
private one), a new window here attaches to it. The tmux command is printed
before it runs. Without --team, the only team under the data root.

Flags:
  --team T       the team to show
  --read-only    attach read-only: keys typed there do not reach teammates
`

func runAttachCmd(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) error {
	fs := flag.NewFlagSet("attach", flag.ContinueOnError)
	var team string
	var readOnly bool
	fs.StringVar(&team, "team", "", "the team to show")
	fs.BoolVar(&readOnly, "read-only", false, "attach read-only")
	pos, err := parseFlags(fs, attachHelp, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr(stderr, "attach", attachHelp, "unexpected argument %q", pos[0])
	}
	src := newStatusSource(cfg)
	if team == "" {
		names, err := src.teams("")
		if err != nil {
			return err
		}
		switch len(names) {
		case 0:
			return fmt.Errorf("attach: no team under %s", src.store.Root())
		case 1:
			team = names[0]
		default:
			return fmt.Errorf("attach: teams %s: pass --team", strings.Join(names, ", "))
		}
	} else if _, err := src.teams(team); err != nil {
		return err
	}
	bin, err := lookTmux(cfg)
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	a := attacher{cfg: cfg, store: src.store, bin: bin}
	plan, err := a.plan(ctx, team, readOnly)
	if err != nil {
		return fmt.Errorf("attach %s: %w", team, err)
	}
	fmt.Fprintf(stdout, "running: %s\n", shellWords(plan.argv))
	if plan.replace {
		return attachExec(bin, plan.argv, cfg.Environ)
	}
	cmd := exec.CommandContext(ctx, bin, plan.argv[1:]...)
	cmd.Env = cfg.Environ
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("attach %s: %s: %w: %s", team, plan.argv[1], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// attachExec replaces this process with tmux attach-session (a variable:
// the tests run it as a child instead).
var attachExec = func(bin string, argv, env []string) error {
	if err := syscall.Exec(bin, argv, env); err != nil {
		return fmt.Errorf("attach: exec %s: %w", bin, err)
	}
	return nil
}

// attachPlan is the tmux command attach runs; replace says it takes this
// process's place (attach-session needs the terminal).
type attachPlan struct {
	argv    []string
	replace bool
}

// attacher finds where a team's teammates are and how to show them.
type attacher struct {
	cfg   Config
	store *protocol.Store
	bin   string
}

// plan decides the tmux command: the server and session come from the
// team's state file (the private server's session named after the team
// when there is none), the teammates' window from their recorded panes.
func (a attacher) plan(ctx context.Context, team string, readOnly bool) (attachPlan, error) {
	st, err := statefile.LoadTeamState(a.store, team)
	if err != nil {
		return attachPlan{}, err
	}
	server := []string{"-L", a.cfg.TmuxSocket}
	session := team
	if st.Server.SocketPath != "" {
		server = []string{"-S", st.Server.SocketPath}
		if st.Server.Session != "" {
			session = st.Server.Session
		}
	}
	window, sessions, err := a.mateWindow(ctx, server, team)
	if err != nil {
		return attachPlan{}, err
	}
	mySock, mySession := tmuxOfCaller(a.cfg.Tmux)
	if mySock == "" {
		// Outside tmux: this terminal attaches to the team's session, at
		// the teammates' window when one is known.
		argv := append([]string{"tmux"}, server...)
		argv = append(argv, "attach-session")
		if readOnly {
			argv = append(argv, "-r")
		}
		target := "=" + session
		for _, s := range sessions[window] {
			if s.name == session {
				target += ":" + window
			}
		}
		return attachPlan{argv: append(argv, "-t", target), replace: true}, nil
	}
	if st.Server.SocketPath != "" && sameFile(mySock, st.Server.SocketPath) {
		if window == "" {
			return attachPlan{}, errors.New("no teammate pane found in tmux")
		}
		// The same server: switch this client to the teammates' window,
		// through the caller's own session when it holds that window.
		// (switch-client -r would toggle the caller's own client to
		// read-only: --read-only is for attaching only.)
		target := window
		for _, s := range sessions[window] {
			if s.id == mySession {
				target = s.id + ":" + window
			}
		}
		if target == window {
			for _, s := range sessions[window] {
				if s.name != session {
					target = s.id + ":" + window
					break
				}
			}
		}
		return attachPlan{argv: []string{"tmux", "-S", mySock, "switch-client", "-t", target}}, nil
	}
	// Inside another tmux server: a new window here attaches to the team's
	// server (never a client nested in the caller's pane).
	inner := append([]string{"env", "-u", "TMUX", "-u", "TMUX_PANE", "tmux"}, server...)
	inner = append(inner, "attach-session")
	if readOnly {
		inner = append(inner, "-r")
	}
	inner = append(inner, "-t", "="+session)
	argv := append([]string{"tmux", "-S", mySock, "new-window", "-n", team, "--"}, inner...)
	return attachPlan{argv: argv}, nil
}

// mateWindow is the window of the team's first teammate whose recorded
// pane exists on the server, and the sessions ("$N" and name) of every
// window of the server.
func (a attacher) mateWindow(ctx context.Context, server []string, team string) (string, map[string][]sessionRef, error) {
	cfg, err := a.store.ReadConfig(team)
	if err != nil {
		return "", nil, err
	}
	out, err := a.tmux(ctx, server, "list-panes", "-a", "-F", "#{pane_id} #{window_id} #{session_id} #{session_name}")
	if err != nil {
		return "", nil, err
	}
	windowOf := map[string]string{}
	sessions := map[string][]sessionRef{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) != 4 {
			continue
		}
		windowOf[f[0]] = f[1]
		ref := sessionRef{id: f[2], name: f[3]}
		if !slices.Contains(sessions[f[1]], ref) {
			sessions[f[1]] = append(sessions[f[1]], ref)
		}
	}
	for _, m := range cfg.Members {
		if m.Name == protocol.LeadName || !isPaneID(m.TmuxPaneID) {
			continue
		}
		if w := windowOf[m.TmuxPaneID]; w != "" {
			return w, sessions, nil
		}
	}
	return "", sessions, nil
}

// sessionRef is a session as tmux lists it.
type sessionRef struct{ id, name string }

// tmux runs a query on the team's server.
func (a attacher) tmux(ctx context.Context, server []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, a.bin, append(append([]string{}, server...), args...)...)
	cmd.Env = a.cfg.Environ
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("tmux %s: %s", strings.Join(server, " "), strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("tmux: %w", err)
	}
	return string(out), nil
}

// tmuxOfCaller splits $TMUX ("socket,pid,session") into the socket and
// the caller's session ("$N").
func tmuxOfCaller(env string) (sock, session string) {
	f := strings.Split(env, ",")
	if len(f) == 0 || f[0] == "" {
		return "", ""
	}
	if len(f) == 3 {
		if _, err := strconv.Atoi(f[2]); err == nil {
			session = "$" + f[2]
		}
	}
	return f[0], session
}

// lookTmux finds tmux on the configuration's PATH.
func lookTmux(cfg Config) (string, error) {
	for _, dir := range filepath.SplitList(cfg.Getenv("PATH")) {
		p := filepath.Join(dir, "tmux")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("tmux not found on PATH")
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func isPaneID(s string) bool {
	_, ok := tmuxcc.PaneNumber(s)
	return ok
}

// shellWords renders argv for a person to read (and paste): words with
// anything but safe characters in single quotes.
func shellWords(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		safe := a != ""
		for _, r := range a {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:%@,+", r)) {
				safe = false
			}
		}
		if safe {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
