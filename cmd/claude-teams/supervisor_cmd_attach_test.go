package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// fakeTmux puts a tmux on PATH that appends its argv to a log and answers
// list-panes with the given rows.
func fakeTmux(t *testing.T, panes string) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	log = filepath.Join(dir, "argv.log")
	script := "#!/bin/sh\necho \"$*\" >> " + log + "\ncase \"$*\" in *list-panes*) printf '%s' \"$FAKE_PANES\";; esac\n"
	if err := os.WriteFile(filepath.Join(dir, "tmux"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, log
}

// attachTeam makes team alpha with teammate w1 in pane %7, and a state
// file recording server when it is set.
func attachTeam(t *testing.T, server statefile.ServerInfo) *protocol.Store {
	t.Helper()
	store := protocol.NewStore(t.TempDir())
	if _, err := store.CreateTeam("alpha", "", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddMember("alpha", protocol.Member{Name: "w1", TmuxPaneID: "%7"}); err != nil {
		t.Fatal(err)
	}
	if server.SocketPath != "" {
		if err := protocol.WriteJSONFile(statefile.StatePath(store, "alpha"), statefile.TeamState{Server: server}); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// withExec makes attachExec record what it would exec.
func withExec(t *testing.T) *[]string {
	var got []string
	old := attachExec
	attachExec = func(bin string, argv, env []string) error { got = argv; return nil }
	t.Cleanup(func() { attachExec = old })
	return &got
}

func TestAttachPlans(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "person")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	panes := "%7 @5 $2 claude-teams-alpha\n%7 @5 $0 person\n%0 @5 $0 person\n"
	tests := []struct {
		name   string
		server statefile.ServerInfo
		tmux   string
		args   []string
		exec   bool
		want   string
	}{
		{"private, outside tmux", statefile.ServerInfo{}, "", nil, true,
			"tmux -L claude-teams attach-session -t =alpha"},
		{"private, read-only", statefile.ServerInfo{Mode: "private", SocketPath: "/tmp/priv/s", Session: "alpha"}, "", []string{"--read-only"}, true,
			"tmux -S /tmp/priv/s attach-session -r -t =alpha"},
		{"split, inside tmux", statefile.ServerInfo{Mode: "split", SocketPath: sock, Session: "claude-teams-alpha"}, sock + ",99,0", nil, false,
			"tmux -S " + sock + " switch-client -t $0:@5"},
		{"split, outside tmux", statefile.ServerInfo{Mode: "split", SocketPath: sock, Session: "claude-teams-alpha"}, "", nil, true,
			"tmux -S " + sock + " attach-session -t =claude-teams-alpha:@5"},
		{"private, inside another tmux", statefile.ServerInfo{Mode: "private", SocketPath: "/tmp/priv/s", Session: "alpha"}, sock + ",99,0", []string{"--read-only"}, false,
			"tmux -S " + sock + " new-window -n alpha -- env -u TMUX -u TMUX_PANE tmux -S /tmp/priv/s attach-session -r -t =alpha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, log := fakeTmux(t, "")
			store := attachTeam(t, tt.server)
			execd := withExec(t)
			cfg := Config{DataRoot: store.Root(), TmuxSocket: "claude-teams", Tmux: tt.tmux,
				Environ: []string{"PATH=" + dir, "FAKE_PANES=" + panes}}
			out, errOut, err := runSup(t, cfg, append([]string{"attach"}, tt.args...)...)
			if err != nil || errOut != "" {
				t.Fatalf("err=%v stderr=%q", err, errOut)
			}
			if out != "running: "+shellWords(strings.Fields(tt.want))+"\n" {
				t.Errorf("printed %q, want running: %s", out, tt.want)
			}
			ran := ""
			if tt.exec {
				ran = strings.Join(*execd, " ")
			} else {
				data, _ := os.ReadFile(log)
				lines := strings.Split(strings.TrimSpace(string(data)), "\n")
				ran = "tmux " + lines[len(lines)-1]
			}
			if ran != tt.want {
				t.Errorf("ran %q, want %q", ran, tt.want)
			}
		})
	}
}

func TestAttachErrors(t *testing.T) {
	dir, _ := fakeTmux(t, "")
	store := attachTeam(t, statefile.ServerInfo{})
	if _, err := store.CreateTeam("beta", "", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataRoot: store.Root(), TmuxSocket: "claude-teams", Environ: []string{"PATH=" + dir}}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"attach"}, "teams alpha, beta: pass --team"},
		{[]string{"attach", "--team", "nope"}, "team nope not found"},
		{[]string{"attach", "--team", "Bad/x"}, "team name"},
	} {
		if _, _, err := runSup(t, cfg, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.args, err, tt.want)
		}
	}
	_, errOut, err := runSup(t, cfg, "attach", "extra")
	if !errors.Is(err, errUsage) || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: %v %q", err, errOut)
	}
	cfg.Environ = []string{"PATH=" + t.TempDir()}
	if _, _, err := runSup(t, cfg, "attach", "--team", "alpha"); err == nil || !strings.Contains(err.Error(), "tmux not found on PATH") {
		t.Errorf("no tmux: %v", err)
	}
}

// TestAttachSwitchesRealClient: inside tmux, attach switches the person's
// real client (a pty) to the teammates' window.
func TestAttachSwitchesRealClient(t *testing.T) {
	bin, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("tmux not installed")
	}
	dir, err := os.MkdirTemp("/tmp", "ta")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	env := []string{"PATH=" + filepath.Dir(bin) + ":/usr/bin:/bin", "TMUX_TMPDIR=" + dir, "TERM=xterm-256color", "HOME=" + dir}
	tm := func(args ...string) string {
		cmd := exec.Command(bin, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		c := exec.Command(bin, "-S", sock, "kill-server")
		c.Env = env
		_ = c.Run()
		_ = os.RemoveAll(dir)
	})
	tm("new-session", "-d", "-s", "person", "-x", "100", "-y", "30", "cat")
	lead := tm("display-message", "-p", "-t", "=person:0.0", "#{pane_id} #{session_id}")
	// The teammate's window: an overflow window of the person's session,
	// also linked into our own session.
	mate := tm("new-window", "-d", "-t", "=person:", "-P", "-F", "#{pane_id} #{window_id}", "cat")
	tm("new-session", "-d", "-s", "claude-teams-alpha", "sleep", "1000")
	tm("link-window", "-d", "-s", strings.Fields(mate)[1], "-t", "=claude-teams-alpha:")

	client := exec.Command(bin, "-S", sock, "-f", "/dev/null", "attach-session", "-t", "=person")
	client.Env = env
	f, err := pty.StartWithSize(client, &pty.Winsize{Cols: 100, Rows: 31})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, f) }()
	t.Cleanup(func() { _ = client.Process.Kill(); _ = client.Wait(); _ = f.Close() })
	for i := 0; tm("list-clients", "-F", "#{client_session}") != "person"; i++ {
		if i == 500 {
			t.Fatal("the person's client did not attach")
		}
		time.Sleep(10 * time.Millisecond)
	}

	store := protocol.NewStore(t.TempDir())
	if _, err := store.CreateTeam("alpha", "", protocol.Member{Name: protocol.LeadName}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddMember("alpha", protocol.Member{Name: "w1", TmuxPaneID: strings.Fields(mate)[0]}); err != nil {
		t.Fatal(err)
	}
	if err := protocol.WriteJSONFile(statefile.StatePath(store, "alpha"),
		statefile.TeamState{Server: statefile.ServerInfo{Mode: "split", SocketPath: sock, Session: "claude-teams-alpha", LeadPane: strings.Fields(lead)[0]}}); err != nil {
		t.Fatal(err)
	}
	sid := strings.TrimPrefix(strings.Fields(lead)[1], "$")
	cfg := Config{DataRoot: store.Root(), TmuxSocket: "claude-teams", Tmux: sock + ",1," + sid, TmuxPane: strings.Fields(lead)[0],
		Environ: append(env, "TMUX="+sock+",1,"+sid, "TMUX_PANE="+strings.Fields(lead)[0])}
	var out, errOut strings.Builder
	if err := runSupervisorCmd(context.Background(), []string{"attach", "--team", "alpha"}, &out, &errOut, cfg); err != nil {
		t.Fatalf("attach: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "switch-client") {
		t.Errorf("printed %q", out.String())
	}
	got := tm("list-clients", "-F", "#{client_session} #{window_id}")
	if want := "person " + strings.Fields(mate)[1]; got != want {
		t.Errorf("the person's client shows %q, want %q", got, want)
	}
}
