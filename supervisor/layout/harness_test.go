package layout

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"go.uber.org/zap/zaptest"

	"github.com/f9449b24/claude-teams/tmuxcc"
	"github.com/f9449b24/claude-teams/tmuxcc/tmuxtest"
)

// world is one test's tmux: a private server (short TMUX_TMPDIR,
// -f /dev/null, killed at cleanup) with a person's session "person" whose
// first window holds the lead's pane and a second window, a person's
// client attached to it through a pty of the window's size (so tmux sizes
// windows as for a person), and our control client attached to our own
// session with the lead's window linked in, as the supervisor does.
type world struct {
	t            testing.TB
	socket       string
	env          []string
	conn         *tmuxcc.Conn
	lead         string // the lead's pane
	leadWin      string
	second       string // the person's second window
	secondSize   string
	own          string // our session
	ctx          context.Context
	w, h         int
	personClient *exec.Cmd
}

const ownSession = "claude-teams-alpha"

// newWorld starts the server with a person's w×h window and the person's
// client attached.
func newWorld(t testing.TB, w, h int) *world {
	t.Helper()
	return newWorldWith(t, w, h, true)
}

// newWorldWith is newWorld; without person, no client but ours is
// attached (tmux then redraws no screen).
func newWorldWith(t testing.TB, w, h int, person bool) *world {
	t.Helper()
	srv := tmuxtest.New(t, "tl")
	x := &world{t: t, socket: srv.Socket, own: ownSession, w: w, h: h}
	for _, kv := range srv.Env {
		if !strings.HasPrefix(kv, "TERM=") {
			x.env = append(x.env, kv)
		}
	}
	x.env = append(x.env, "TERM=xterm-256color")
	ctx := tmuxtest.Ctx(t, 60*time.Second)
	x.ctx = ctx
	x.must("new-session", "-d", "-s", "person", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "cat")
	x.must("new-window", "-d", "-t", "=person:", "cat")
	x.lead = x.get("display-message", "-p", "-t", "=person:0.0", "#{pane_id}")
	x.leadWin = x.get("display-message", "-p", "-t", x.lead, "#{window_id}")
	x.second = x.get("display-message", "-p", "-t", "=person:1", "#{window_id}")
	if person {
		x.attachPerson()
	}
	x.secondSize = x.get("display-message", "-p", "-t", x.second, "#{window_width}x#{window_height}")

	c, err := tmuxcc.Dial(ctx, tmuxcc.Config{
		SocketPath: x.socket, ConfigFile: "/dev/null", Session: ownSession, Create: true,
		PlaceholderArgv: []string{"sleep", "2147483647"}, Env: x.env, Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	x.conn = c
	if _, err := c.Command(ctx, "link-window", "-d", "-s", x.leadWin, "-t", "="+ownSession+":"); err != nil {
		t.Fatal(err)
	}
	return x
}

// attachPerson attaches a person's client to "person" through a pty of
// the window's size plus tmux's status line, and waits until it is in.
func (x *world) attachPerson() {
	cmd := exec.Command("tmux", "-S", x.socket, "-f", "/dev/null", "attach-session", "-t", "=person")
	cmd.Env = x.env
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(x.w), Rows: uint16(x.h + 1)})
	if err != nil {
		x.t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, f) }()
	x.personClient = cmd
	x.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = f.Close() })
	for i := 0; ; i++ {
		if out, _ := x.tmux("list-clients", "-t", "=person", "-F", "#{client_tty}"); strings.TrimSpace(out) != "" {
			return
		}
		if i == 500 {
			x.t.Fatal("the person's client did not attach")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tmux runs a tmux subprocess against the server (test-side checks only).
func (x *world) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-S", x.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = x.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (x *world) must(args ...string) {
	x.t.Helper()
	if out, err := x.tmux(args...); err != nil {
		x.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
}

func (x *world) get(args ...string) string {
	x.t.Helper()
	out, err := x.tmux(args...)
	if err != nil {
		x.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(out)
}

// layout is a Layout of the lead's window over our control connection.
func (x *world) layout(mod ...func(*Config)) *Layout {
	x.t.Helper()
	cfg := Config{LeadPane: x.lead, Team: "alpha", OwnSession: ownSession}
	for _, f := range mod {
		f(&cfg)
	}
	l, err := New(cfg, x.conn)
	if err != nil {
		x.t.Fatal(err)
	}
	return l
}

// agentArgv is a teammate: it prints its name and waits for input.
func agentArgv(name string) []string {
	return []string{"sh", "-c", "echo " + name + " is up; exec cat"}
}

// create makes a pane at slot s the way the supervisor does: created
// through our session (its output reaches us from the first byte),
// remain-on-exit on the pane, a new window linked into the lead's session.
func (x *world) create(s Slot, name string) string {
	x.t.Helper()
	var args []string
	if s.Target != "" {
		args = append([]string{"split-window", "-d", "-t", s.Target}, s.Flags...)
	} else {
		args = []string{"new-window", "-d", "-t", "=" + ownSession + ":", "-n", escape(s.Name)}
	}
	args = append(args, "-P", "-F", "#{pane_id} #{window_id}", "--")
	args = append(args, agentArgv(name)...)
	blocks, _, err := x.conn.CreatePane(x.ctx, 1<<16, args)
	if err != nil {
		x.t.Fatalf("create %s at %+v: %v", name, s, err)
	}
	f := strings.Fields(blocks[0][0])
	x.conn.UnwatchOutput(f[0])
	if _, err := x.conn.Command(x.ctx, "set-option", "-p", "-t", f[0], "remain-on-exit", "on"); err != nil {
		x.t.Fatal(err)
	}
	if s.Target == "" && s.Session != "" {
		if _, err := x.conn.Command(x.ctx, "link-window", "-d", "-s", f[1], "-t", s.Session+":"); err != nil {
			x.t.Fatal(err)
		}
	}
	return f[0]
}

// spawn places a new teammate: Slot, create, Add.
func (x *world) spawn(l *Layout, name, colour string) {
	x.t.Helper()
	s, err := l.Slot(x.ctx)
	if err != nil {
		x.t.Fatalf("slot for %s: %v", name, err)
	}
	p := x.create(s, name)
	if err := l.Add(x.ctx, Mate{Name: name, Color: colour, Pane: p}); err != nil {
		x.t.Fatalf("add %s: %v", name, err)
	}
}

// crash ends a teammate's process with status 3; its pane stays dead.
func (x *world) crash(l *Layout, name string) string {
	x.t.Helper()
	m := l.mate(name)
	pid := x.get("display-message", "-p", "-t", m.Pane, "#{pane_pid}")
	n, _ := strconv.Atoi(pid)
	if p, err := os.FindProcess(n); err == nil {
		_ = p.Kill()
	}
	for i := 0; x.get("display-message", "-p", "-t", m.Pane, "#{pane_dead}") != "1"; i++ {
		if i == 500 {
			x.t.Fatalf("%s's pane %s did not die", name, m.Pane)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return m.Pane
}

// restart replaces a teammate's dead pane in place.
func (x *world) restart(l *Layout, name string) {
	x.t.Helper()
	s, err := l.ReplaceSlot(name)
	if err != nil {
		x.t.Fatal(err)
	}
	p := x.create(s, name)
	if err := l.Replace(x.ctx, name, p); err != nil {
		x.t.Fatalf("replace %s: %v", name, err)
	}
}

// paneRows lists every pane of the server: id, window, title, dead, size.
type paneFacts struct {
	id, window, title string
	dead              bool
	left, top, w, h   int
	winW, winH        int
}

func (x *world) allPanes() []paneFacts {
	x.t.Helper()
	out := x.get("list-panes", "-a", "-F", "#{pane_id}\t#{window_id}\t#{pane_title}\t#{pane_dead}\t#{pane_left}\t#{pane_top}\t#{pane_width}\t#{pane_height}\t#{window_width}\t#{window_height}")
	seen := map[string]bool{}
	var ps []paneFacts
	for _, r := range strings.Split(out, "\n") {
		f := strings.Split(r, "\t")
		if len(f) != 10 || seen[f[0]] {
			continue // a window linked into two sessions is listed twice
		}
		seen[f[0]] = true
		n := make([]int, 6)
		for i := range n {
			n[i], _ = strconv.Atoi(f[4+i])
		}
		ps = append(ps, paneFacts{id: f[0], window: f[1], title: f[2], dead: f[3] == "1",
			left: n[0], top: n[1], w: n[2], h: n[3], winW: n[4], winH: n[5]})
	}
	return ps
}

func (x *world) capture(w string) string {
	return x.get("capture-pane", "-p", "-t", w)
}

func (p paneFacts) String() string {
	return fmt.Sprintf("%s %s %q dead=%v %dx%d@%d,%d in %dx%d", p.id, p.window, p.title, p.dead, p.w, p.h, p.left, p.top, p.winW, p.winH)
}
