package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
	"github.com/f9449b24/claude-teams/supervisor/usertest"
)

// The socket takeover of issue 9 item 1 through the CLI, with two real
// local users made by the test: the attacker makes the victim's usual
// socket directory (0777) and listens in it; the victim's `supervisor run`
// and `supervisor status` must use the private fallback, say so, and send
// the attacker nothing.

// TestAttackerHelper is the attacker when the test binary is re-executed
// with CT_ATTACKER set (it returns at once otherwise): it makes the
// directory of the socket path CT_ATTACKER, listens there, prints "ready"
// and then every line it receives, until its standard input closes.
func TestAttackerHelper(t *testing.T) {
	path := os.Getenv("CT_ATTACKER")
	if path == "" {
		return
	}
	if err := os.Mkdir(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(path), 0o777)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o777)
	fmt.Println("ready")
	go func() { io.Copy(io.Discard, os.Stdin); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				fmt.Printf("got %s\n", sc.Text())
				c.Write([]byte(`{"id":1,"result":{"pid":1,"proto":1}}` + "\n"))
			}
		}()
	}
}

// publicCopy copies the file at src into a new directory every user may
// read and run.
func publicCopy(t *testing.T, src string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ctpub")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// asUser is a command run as uid:gid.
func asUser(uid, gid int, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return cmd
}

func TestSocketTakeoverThroughCLI(t *testing.T) {
	vuid, vgid := usertest.New(t, "ctv")
	auid, agid := usertest.New(t, "cta")
	bin := publicCopy(t, binary(t))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	testBin := publicCopy(t, self)

	root, err := os.MkdirTemp("/tmp", "ctroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	store := protocol.NewStore(root)
	if _, err := store.CreateTeam("alpha", "", protocol.Member{Name: protocol.LeadName, Cwd: "/"}); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", vuid, vgid), root).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	usual := statussock.SocketPath(root, "alpha", vuid, "")
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(usual)) })
	fallback, _ := statussock.FallbackSocketPath(root, "alpha")

	atk := asUser(auid, agid, append(os.Environ(), "CT_ATTACKER="+usual), testBin, "-test.run=^TestAttackerHelper$")
	atkIn, _ := atk.StdinPipe()
	atkOut, _ := atk.StdoutPipe()
	atk.Stderr = os.Stderr
	if err := atk.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { atkIn.Close(); atk.Wait() })
	atkLines := bufio.NewReader(atkOut)
	if l, err := atkLines.ReadString('\n'); err != nil || l != "ready\n" {
		t.Fatalf("attacker: %q, %v", l, err)
	}

	env := testEnv(root)
	env = append(env, "CLAUDE_TEAMS_TMUX_SOCKET=ct-none-"+strconv.Itoa(os.Getpid()))
	run := asUser(vuid, vgid, env, bin, "supervisor", "run", "--team", "alpha")
	runIn, _ := run.StdinPipe()
	runOut, _ := run.StdoutPipe()
	runErr := &lockedBuffer{}
	run.Stderr = runErr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		run.Process.Signal(syscall.SIGTERM)
		runIn.Close()
		run.Wait()
	})
	line, err := bufio.NewReader(runOut).ReadString('\n')
	if err != nil || !strings.Contains(line, "(socket "+fallback+")") {
		t.Fatalf("supervisor run said %q (%v), want the fallback %s\n%s", line, err, fallback, runErr)
	}

	start := time.Now()
	out, err := asUser(vuid, vgid, env, bin, "supervisor", "status", "--team", "alpha").CombinedOutput()
	took := time.Since(start)
	t.Logf("supervisor status through the fallback in %v:\n%s", took, out)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, "status socket at "+fallback) || !strings.Contains(s, filepath.Dir(usual)) ||
		!strings.Contains(s, fmt.Sprintf("owned by uid %d", auid)) {
		t.Errorf("status does not say where the socket is and why:\n%s", s)
	}
	var told []string
	deadline := time.Now().Add(10 * time.Second)
	for len(told) == 0 && time.Now().Before(deadline) {
		res, _ := store.ReadInbox("alpha", protocol.LeadName, protocol.ReadOptions{})
		for _, m := range res.Messages {
			if m.From == "claude-teams" {
				told = append(told, m.Text)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(told) != 1 || !strings.Contains(told[0], fallback) {
		t.Errorf("lead messages from claude-teams = %q, want one naming %s", told, fallback)
	}

	atkIn.Close()
	rest, _ := io.ReadAll(atkLines)
	for _, l := range strings.Split(string(rest), "\n") {
		if strings.HasPrefix(l, "got ") {
			t.Errorf("the attacker heard from the victim: %s", l)
		}
	}
}
