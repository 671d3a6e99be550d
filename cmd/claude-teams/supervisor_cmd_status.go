package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/offline"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// socketCallTimeout bounds each status call to a supervisor's socket; one
// that does not answer in time is reported and the team read offline.
const socketCallTimeout = 3 * time.Second

// statusSource collects teams' status: from each team's supervisor over
// its socket, else from the files and tmux (offline.Reader).
type statusSource struct {
	cfg   Config
	store *protocol.Store
	uid   int
	run   tmuxconv.Runner // tmux runner for the offline reader (nil = exec)
}

func newStatusSource(cfg Config) *statusSource {
	return &statusSource{cfg: cfg, store: protocol.NewStore(cfg.DataRoot), uid: os.Getuid()}
}

// tmuxServers are the servers the offline reader looks in (after the one a
// team's state file records): the private server, then the enclosing one.
func (s *statusSource) tmuxServers() []tmuxconv.TmuxServer {
	servers := []tmuxconv.TmuxServer{{Name: s.cfg.TmuxSocket}}
	if sock, _, _ := strings.Cut(s.cfg.Tmux, ","); sock != "" {
		servers = append(servers, tmuxconv.TmuxServer{Socket: sock})
	}
	return servers
}

// teams returns the team names to report: only, when given (which must
// exist), else every team under the data root with a config.json.
func (s *statusSource) teams(only string) ([]string, error) {
	if only != "" {
		if err := protocol.ValidateTeamName(only); err != nil {
			return nil, err
		}
		if _, err := os.Stat(s.store.ConfigPath(only)); err != nil {
			return nil, fmt.Errorf("team %s not found (no %s)", only, s.store.ConfigPath(only))
		}
		return []string{only}, nil
	}
	entries, err := os.ReadDir(filepath.Join(s.store.Root(), "teams"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() || protocol.ValidateTeamName(e.Name()) != nil {
			continue
		}
		if fi, err := os.Stat(s.store.ConfigPath(e.Name())); err == nil && fi.Mode().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// collect reports every team of names, socket first, offline otherwise.
// One offline reader serves the whole round, so tmux is asked once per
// server however many teams there are.
func (s *statusSource) collect(ctx context.Context, names []string) []teamView {
	off := offline.NewReader(offline.Config{Store: s.store, Servers: s.tmuxServers(), Run: s.run})
	views := make([]teamView, 0, len(names))
	for _, team := range names {
		v := teamView{}
		if state, err := statefile.LoadTeamState(s.store, team); err == nil {
			v.Mode, v.Socket, v.Session = state.Server.Mode, state.Server.SocketPath, state.Server.Session
		}
		st, note, err := s.fromSocket(ctx, team)
		v.Note = note
		if err != nil {
			if !errors.Is(err, statussock.ErrNoSupervisor) {
				v.Note = fmt.Sprintf("supervisor not usable: %v; showing files and tmux", err)
			}
			st, err = off.Status(ctx, team)
			if err != nil {
				st = protocol.TeamStatus{Name: team}
				v.Note = err.Error()
			} else if terr := off.TmuxErr(); terr != nil && v.Note == "" {
				v.Note = "tmux: " + terr.Error()
			}
		}
		if st.Teammates == nil {
			st.Teammates = []protocol.TeammateStatus{}
		}
		for i := range st.Teammates {
			if st.Teammates[i].Tasks == nil {
				st.Teammates[i].Tasks = []string{}
			}
		}
		v.Status = st
		views = append(views, v)
	}
	return views
}

// fromSocket asks team's supervisor for its status. The answer is marked
// supervised, with the supervisor's pid from ping if the status lacks it.
// note says where the socket was found when the usual place was refused.
func (s *statusSource) fromSocket(ctx context.Context, team string) (st protocol.TeamStatus, note string, err error) {
	ctx, cancel := context.WithTimeout(ctx, socketCallTimeout)
	defer cancel()
	c, ping, err := dialSupervisor(ctx, s.cfg, s.uid, team)
	if err != nil {
		return protocol.TeamStatus{}, "", err
	}
	defer c.Close()
	st, err = c.Status(ctx, team)
	if err != nil {
		return protocol.TeamStatus{}, "", err
	}
	if r := c.Refused(); len(r) > 0 {
		note = fmt.Sprintf("status socket at %s; refused %v", c.Path(), errors.Join(r...))
	}
	if st.SupervisorPID == 0 {
		st.SupervisorPID = ping.PID
	}
	st.Name = team
	st.Supervised = true
	return st, note, nil
}

// dialSupervisor connects to team's supervisor and pings it; a supervisor
// that serves another data root is refused (statussock.DialTeam).
func dialSupervisor(ctx context.Context, cfg Config, uid int, team string) (*statussock.SocketClient, statussock.PingResult, error) {
	return statussock.DialTeam(ctx, cfg.DataRoot, team, uid, cfg.Getenv("XDG_RUNTIME_DIR"))
}

// statusJSON is the --json document.
type statusJSON struct {
	Teams []protocol.TeamStatus `json:"teams"`
}

// statusFlags are the status subcommand's options.
type statusFlags struct {
	team     string
	json     bool
	watch    bool
	interval time.Duration
}

// runStatus prints the status once, or every interval with --watch until
// ctx ends (a clean exit).
func runStatus(ctx context.Context, src *statusSource, f statusFlags, stdout io.Writer) error {
	names, err := src.teams(f.team)
	if err != nil {
		return err
	}
	tty := isTerminal(stdout)
	opt := renderOptions{Color: tty && src.cfg.Getenv("NO_COLOR") == "", TmuxSocket: src.cfg.TmuxSocket}
	for frame := 0; ; frame++ {
		if f.watch && f.team == "" && frame > 0 {
			// Teams come and go while we watch.
			if n, err := src.teams(""); err == nil {
				names = n
			}
		}
		views := src.collect(ctx, names)
		if ctx.Err() != nil {
			return nil
		}
		opt.Now = time.Now()
		var buf bytes.Buffer
		switch {
		case f.json:
			writeStatusJSON(&buf, views, !f.watch)
		case f.watch:
			renderWatchFrame(&buf, views, opt, f.interval, tty, frame == 0)
		default:
			if len(views) == 0 {
				fmt.Fprintf(&buf, "no teams under %s\n", filepath.Join(src.store.Root(), "teams"))
			}
			renderTeams(&buf, views, opt)
		}
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return err
		}
		if !f.watch {
			return nil
		}
		t := time.NewTimer(f.interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// writeStatusJSON writes the --json document: indented once, or one
// compact line per frame under --watch (JSON lines).
func writeStatusJSON(w io.Writer, views []teamView, indent bool) {
	doc := statusJSON{Teams: make([]protocol.TeamStatus, 0, len(views))}
	for _, v := range views {
		doc.Teams = append(doc.Teams, v.Status)
	}
	enc := json.NewEncoder(w)
	if indent {
		enc.SetIndent("", "  ")
	}
	enc.Encode(doc) // plain structs: cannot fail
}

// ANSI sequences for redrawing in place.
const (
	ansiHome        = "\x1b[H"
	ansiClearScreen = "\x1b[2J"
	ansiClearLine   = "\x1b[K"
	ansiClearBelow  = "\x1b[J"
)

// renderWatchFrame renders one --watch frame. On a terminal it redraws in
// place: cursor home (the first frame also clears the screen), every line
// cleared to its end, the rest of the screen cleared. Piped, frames are
// plain text appended one after the other, each under a time header.
func renderWatchFrame(w io.Writer, views []teamView, opt renderOptions, interval time.Duration, tty, first bool) {
	var body bytes.Buffer
	fmt.Fprintf(&body, "claude-teams supervisor status — %s — every %s, Ctrl-C to quit\n\n",
		opt.Now.Format("15:04:05"), interval)
	if len(views) == 0 {
		fmt.Fprintln(&body, "no teams")
	}
	renderTeams(&body, views, opt)
	if !tty {
		body.WriteString("\n")
		w.Write(body.Bytes())
		return
	}
	if first {
		io.WriteString(w, ansiClearScreen)
	}
	io.WriteString(w, ansiHome)
	for line := range strings.SplitSeq(strings.TrimSuffix(body.String(), "\n"), "\n") {
		io.WriteString(w, line+ansiClearLine+"\n")
	}
	io.WriteString(w, ansiClearBelow)
}

// isTerminal reports whether w is a terminal: an *os.File that answers
// the termios ioctl (a character device like /dev/null does not).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), ioctlReadTermios)
	return err == nil
}
