package tmuxcc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDialCommandClose(t *testing.T) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			s := newTestServer(t)
			c := s.dial(m)
			if !strings.HasPrefix(c.SessionID(), "$") || c.SessionName() != "main" || c.ClientPID() <= 0 {
				t.Fatalf("session = %q %q pid %d", c.SessionID(), c.SessionName(), c.ClientPID())
			}
			size, err := c.Command(ctxT(t), "display-message", "-p", "#{window_width}x#{window_height} #{client_flags}")
			if err != nil || !strings.HasPrefix(size[0], "200x50 ") || !strings.Contains(size[0], "ignore-size") {
				t.Fatalf("size and flags: %q %v", size, err)
			}
			t.Logf("window size and client flags: %s", size[0])
			out, err := c.Command(ctxT(t), "display-message", "-p", "#{session_name} it's é")
			if err != nil || len(out) != 1 || out[0] != "main it's é" {
				t.Fatalf("display = %q, %v", out, err)
			}
			_, err = c.Command(ctxT(t), "no-such-command")
			var ce *CommandError
			if !errors.As(err, &ce) || !strings.Contains(ce.Message, "unknown command") {
				t.Fatalf("err = %v", err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(c.Err(), ErrClosed) {
				t.Fatalf("Err = %v", c.Err())
			}
			if _, err := c.Command(ctxT(t), "display-message", "-p", "x"); !errors.Is(err, ErrClosed) {
				t.Fatalf("after close: %v", err)
			}
			c.Close()
			<-c.Done()
			// The client is gone from the server.
			out2, _ := s.tmux("list-clients", "-F", "#{client_pid}")
			if strings.TrimSpace(out2) != "" {
				t.Fatalf("clients left: %q", out2)
			}
		})
	}
}

func TestDialErrors(t *testing.T) {
	s := newTestServer(t)
	if _, err := Dial(ctxT(t), Config{}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("no session: %v", err)
	}
	s.dial(ModeC) // starts the server with session main
	cfg := s.config(ModeCC)
	cfg.Create, cfg.Session = false, "missing"
	_, err := Dial(ctxT(t), cfg)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("attach to a missing session: %v", err)
	}
	t.Logf("attach error: %v", err)
}

func TestRealConcurrentCommands(t *testing.T) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			s := newTestServer(t)
			c := s.dial(m)
			var wg sync.WaitGroup
			for g := 0; g < 20; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < 25; j++ {
						want := fmt.Sprintf("g%d-%d", g, j)
						var out []string
						var err error
						if j%5 == 0 { // list-panes replies start with %
							var blocks [][]string
							blocks, err = c.CommandLine(ctxT(t), []string{"list-panes", "-F", "#{pane_id} " + want},
								[]string{"display-message", "-p", want})
							if err == nil && (len(blocks) != 2 || len(blocks[0]) != 1 || !strings.HasPrefix(blocks[0][0], "%") ||
								!strings.HasSuffix(blocks[0][0], " "+want)) {
								err = fmt.Errorf("blocks %q", blocks)
							}
							if err == nil {
								out = blocks[1]
							}
						} else {
							out, err = c.Command(ctxT(t), "display-message", "-p", want)
						}
						if err != nil || len(out) != 1 || out[0] != want {
							t.Errorf("got %q, %v; want %q", out, err, want)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// TestCommandLineRuntimeError: "a ; b ; c" with b failing gives a's block,
// b's error and no block for c; the connection stays in sync.
func TestCommandLineRuntimeError(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeCC)
	blocks, err := c.CommandLine(ctxT(t), []string{"display-message", "-p", "a"},
		[]string{"select-window", "-t", ":99"}, []string{"display-message", "-p", "c"})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Index != 1 || len(blocks) != 1 || blocks[0][0] != "a" {
		t.Fatalf("CommandLine = %q, %v", blocks, err)
	}
	out, err := c.Command(ctxT(t), "display-message", "-p", "next")
	if err != nil || out[0] != "next" {
		t.Fatalf("next: %q %v", out, err)
	}
}

// TestEventsNeverDropped: thousands of notifications while nobody reads
// Events all arrive, in order.
func TestEventsNeverDropped(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	const n = 2000
	for i := 0; i < n; i++ {
		if _, err := c.Command(ctxT(t), "rename-window", "-t", "main:0", fmt.Sprintf("w%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	next := 0
	timeout := time.After(30 * time.Second)
	for next < n {
		select {
		case ev := <-c.Events():
			// tmux's own automatic-rename (to the pane's command, e.g.
			// "tmux" or "sh") may interleave: only our names count.
			if r, ok := ev.(WindowRenamed); ok && strings.HasPrefix(r.Name, "w") {
				if r.Name != fmt.Sprintf("w%d", next) {
					t.Fatalf("event %d is %q", next, r.Name)
				}
				next++
			}
		case <-timeout:
			t.Fatalf("only %d of %d renames", next, n)
		}
	}
}

func TestSessionRenamed(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	if _, err := c.Command(ctxT(t), "rename-session", "-t", "main", "renamed"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "new session name", func() bool { return c.SessionName() == "renamed" })
}

// TestServerInfo: Dial asks the server its pid and socket path once, and
// the Conn reports them (the supervisor does not ask again).
func TestServerInfo(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	out, err := s.tmux("display-message", "-p", "#{pid} #{socket_path}")
	if err != nil {
		t.Fatal(err)
	}
	pid, path, _ := strings.Cut(strings.TrimSpace(out), " ")
	if got := strconv.Itoa(c.ServerPID()); got != pid {
		t.Errorf("ServerPID = %s, want %s", got, pid)
	}
	if got := c.ServerSocket(); got != path || got != s.socket {
		t.Errorf("ServerSocket = %q, want %q (%q)", got, path, s.socket)
	}
}
