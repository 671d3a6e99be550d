package tmuxcc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// checkNoLeak fails the test if goroutines started after it are still
// running once the other cleanups (Close) have run.
func checkNoLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestConnectionEnds(t *testing.T) {
	cases := []struct {
		name   string
		end    func(t *testing.T, s *testServer, c *Conn)
		reason string
	}{
		{"kill-server", func(t *testing.T, s *testServer, c *Conn) { s.tmux("kill-server") }, ""},
		{"kill-session", func(t *testing.T, s *testServer, c *Conn) { s.tmux("kill-session", "-t", "main") }, ""},
		{"server-sigkill", func(t *testing.T, s *testServer, c *Conn) {
			out, err := c.Command(ctxT(t), "display-message", "-p", "#{pid}")
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(out[0])
			syscall.Kill(pid, syscall.SIGKILL)
		}, "server exited unexpectedly"},
		{"client-killed", func(t *testing.T, s *testServer, c *Conn) {
			syscall.Kill(c.ClientPID(), syscall.SIGKILL)
		}, "-"},
	}
	for _, m := range modes {
		for _, tc := range cases {
			t.Run(m.String()+"/"+tc.name, func(t *testing.T) {
				checkNoLeak(t)
				s := newTestServer(t)
				c := s.dial(m)
				newWindow(t, c, nil, "sh", "-c", "while :; do echo tick; sleep 0.01; done")
				tc.end(t, s, c)
				select {
				case <-c.Done():
				case <-time.After(20 * time.Second):
					t.Fatal("connection did not end")
				}
				err := c.Err()
				var ee *ExitError
				if !errors.Is(err, ErrClosed) {
					t.Fatalf("Err = %v", err)
				}
				if tc.reason == "-" {
					if errors.As(err, &ee) {
						t.Fatalf("Err = %v, want a plain EOF", err)
					}
				} else if !errors.As(err, &ee) || ee.Reason != tc.reason {
					t.Fatalf("Err = %v, want %%exit %q", err, tc.reason)
				}
				t.Logf("Err: %v", err)
				if _, err := c.Command(ctxT(t), "display-message", "-p", "x"); !errors.Is(err, ErrClosed) {
					t.Fatalf("command after end: %v", err)
				}
				for range c.Events() { // drains, then closed
				}
				c.Close()
			})
		}
	}
}

// dialerHelper runs in a child process: it dials, starts a pane that
// prints without pause, reads its output, says READY and waits to be
// killed.
func dialerHelper() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mode := ModeCC
	if os.Getenv("TMUXCC_MODE") == "-C" {
		mode = ModeC
	}
	c, err := Dial(ctx, Config{SocketPath: os.Getenv("TMUXCC_SOCKET"), ConfigFile: "/dev/null",
		Session: "main", Create: true, Mode: mode, Tag: "dialer"})
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	counter := os.Getenv("TMUXCC_COUNTER")
	_, _, err = c.CreatePane(ctx, 0, []string{"new-window", "-d", "-P", "-F", "#{pane_id}", "--",
		"sh", "-c", `i=0; while :; do i=$((i+1)); echo $i > ` + counter + `; echo line $i; done`})
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	time.Sleep(300 * time.Millisecond) // output flowing
	fmt.Println("READY", c.ClientPID())
	time.Sleep(time.Minute)
}

// TestProcessDeathFreesPanes: our process is SIGKILLed while output flows;
// its tmux client must not stay behind and freeze the panes.
func TestProcessDeathFreesPanes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			s := newTestServer(t)
			exe, _ := os.Executable()
			counter := filepath.Join(s.dir, "counter")
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(s.env, "TMUXCC_HELPER=dialer", "TMUXCC_SOCKET="+s.socket,
				"TMUXCC_COUNTER="+counter, "TMUXCC_MODE="+m.String())
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			f := strings.Fields(line)
			if len(f) != 2 || f[0] != "READY" {
				cmd.Process.Kill()
				t.Fatalf("helper said %q", line)
			}
			clientPID, _ := strconv.Atoi(f[1])
			cmd.Process.Kill()
			cmd.Wait()
			// The client process goes away (Pdeathsig) and leaves the server.
			waitFor(t, "tmux client gone", func() bool {
				out, _ := s.tmux("list-clients", "-F", "#{client_pid}")
				return syscall.Kill(clientPID, 0) != nil && strings.TrimSpace(out) == ""
			})
			// The pane keeps running.
			read := func() int {
				b, _ := os.ReadFile(counter)
				n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				return n
			}
			n0 := read()
			waitFor(t, "pane progress", func() bool { return read() > n0+1000 })
			// And kill-server works.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			kill := exec.CommandContext(ctx, "tmux", "-S", s.socket, "kill-server")
			if out, err := kill.CombinedOutput(); err != nil {
				t.Fatalf("kill-server: %v %s", err, out)
			}
		})
	}
}

// TestStaleClientKilled: a control client of ours left behind by an earlier
// process is killed by Dial; clients with another tag or none are not.
func TestStaleClientKilled(t *testing.T) {
	s := newTestServer(t)
	c0 := s.dial(ModeC) // creates the server and session
	start := func(tag string) *exec.Cmd {
		// sh is our child, tmux its child: like a client of a dead process.
		cmd := exec.Command("sh", "-c", `sleep 600 | tmux -S "$1" -C attach -t main >/dev/null`, "sh", s.socket)
		cmd.Env = s.env
		if tag != "" {
			cmd.Env = append(cmd.Env, tagEnv+"="+tag)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	start("mine")
	start("other")
	start("")
	count := func() int {
		out, _ := s.tmux("list-clients", "-F", "#{client_pid}")
		return len(strings.Fields(out))
	}
	waitFor(t, "4 clients", func() bool { return count() == 4 })
	cfg := s.config(ModeCC)
	cfg.Tag = "mine"
	c, err := Dial(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, "stale client killed", func() bool {
		out, _ := s.tmux("list-clients", "-F", "#{client_pid}")
		for _, f := range strings.Fields(out) {
			pid, _ := strconv.Atoi(f)
			if hasTag(pid, "mine") && pid != c.ClientPID() {
				return false
			}
		}
		return true
	})
	if n := count(); n != 4 { // c0, "other", untagged, c
		t.Fatalf("%d clients, want 4", n)
	}
	c0.Close()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTagStaysOnOurClient: the tag marks our control client only. A server
// started by our client copies the client's environment into its global
// environment, so without care every pane (and every control client run
// from one, e.g. another supervisor) would carry the tag and could be
// killed as stale by the tag's owner. An inherited tag of someone else is
// replaced by ours in our client (os/exec keeps the last duplicate).
func TestTagStaysOnOurClient(t *testing.T) {
	s := newTestServer(t)
	cfg := s.config(ModeCC)
	cfg.Tag = "mine"
	cfg.Env = append(cfg.Env[:len(cfg.Env):len(cfg.Env)], tagEnv+"=inherited")
	c, err := Dial(ctxT(t), cfg) // starts the server
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !hasTag(c.ClientPID(), "mine") || hasTag(c.ClientPID(), "inherited") {
		t.Errorf("client tags: mine %v, inherited %v", hasTag(c.ClientPID(), "mine"), hasTag(c.ClientPID(), "inherited"))
	}
	_, _, po := createWindow(t, c, 0, nil, "sh", "-c", `echo "tag=[$`+tagEnv+`]"; sleep 30`)
	waitFor(t, "pane output", func() bool { return strings.Contains(string(po.Snapshot()), "tag=") })
	if got := string(po.Snapshot()); !strings.Contains(got, "tag=[]") {
		t.Fatalf("pane environment carries the tag: %q", got)
	}
}

// TestCloseWedgedServer: Close returns, and every caller gets an answer,
// when tmux stops reading our input while callers are blocked writing long
// commands (a stopped or wedged server; tmux's server reads a control
// client's input itself, the client passes it its descriptors). With -CC
// the pty master must be non-blocking, or the stuck write can be neither
// timed out nor interrupted.
func TestCloseWedgedServer(t *testing.T) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			checkNoLeak(t)
			s := newTestServer(t)
			c := s.dial(m)
			pid := c.panes.serverPID
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			long := strings.Repeat("x", 64<<10)
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.Command(context.Background(), "display-message", "-p", long)
					if !errors.Is(err, ErrClosed) {
						t.Errorf("blocked caller: %v", err)
					}
				}()
			}
			time.Sleep(200 * time.Millisecond) // let the writers fill the buffers
			closed := make(chan struct{})
			go func() { c.Close(); close(closed) }()
			select {
			case <-closed:
			case <-time.After(60 * time.Second):
				buf := make([]byte, 1<<20)
				t.Fatalf("Close hangs:\n%s", buf[:runtime.Stack(buf, true)])
			}
			wg.Wait()
		})
	}
}

// TestPlaceholderWindow: the first window of a session Dial creates runs
// Config.PlaceholderArgv (not a shell) and does not carry our tag, so a
// control client run from it is never taken for a stale one of ours.
func TestPlaceholderWindow(t *testing.T) {
	s := newTestServer(t)
	cfg := s.config(ModeC)
	cfg.Tag = "mine"
	cfg.PlaceholderArgv = []string{"sleep", "2147483647"}
	c, err := Dial(ctxT(t), cfg) // starts the server
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Command(ctxT(t), "list-panes", "-s", "-F", "#{pane_pid}")
	if err != nil || len(out) != 1 {
		t.Fatalf("list-panes: %q %v", out, err)
	}
	pid, _ := strconv.Atoi(out[0])
	var cmdline []byte
	waitFor(t, "placeholder exec", func() bool {
		cmdline, _ = os.ReadFile("/proc/" + out[0] + "/cmdline")
		return strings.HasPrefix(string(cmdline), "sleep\x00")
	})
	if string(cmdline) != "sleep\x002147483647\x00" {
		t.Errorf("placeholder runs %q", cmdline)
	}
	if hasTag(pid, "mine") {
		t.Errorf("placeholder pane %d carries the tag", pid)
	}
}
