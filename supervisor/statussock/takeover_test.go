package statussock

import (
	"bufio"
	"context"
	"encoding/json"
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
	"github.com/f9449b24/claude-teams/supervisor/usertest"
)

// The socket takeover case (issue 9 item 1) with real users: the test
// (root) creates a throwaway victim user and a throwaway attacker user and
// runs each role as its uid from a copy of this test binary. The attacker
// makes the victim's usual socket directory first and listens in it; the
// victim's supervisor and client must not talk to it.

// helperEnv selects a helper role of the re-executed test binary.
const helperEnv = "STATUSSOCK_TEST_HELPER"

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		if err := runHelper(role, os.Args[len(os.Args)-3:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper runs one role; args are (root, team, path-or-uid) as the role
// needs them. Every role works until its standard input closes.
func runHelper(role string, args []string) error {
	root, team, extra := args[0], args[1], args[2]
	switch role {
	case "attacker":
		return attacker(root, team, extra)
	case "victim-server":
		s, err := ListenTeam(root, team, os.Getuid(), "")
		if err != nil {
			return err
		}
		fmt.Printf("listening %s\n", s.Path())
		if r := s.Refused(); r != nil {
			fmt.Printf("refused %s\n", r)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
		return s.Serve(ctx, rootedFake{&fakeService{}, root}, nil)
	case "victim-client":
		return victimClient(root, team)
	}
	return fmt.Errorf("unknown helper role %q", role)
}

// rootedFake is a fakeService that names its data root in ping.
type rootedFake struct {
	*fakeService
	root string
}

func (r rootedFake) DataRoot() string { return r.root }

// attacker makes the victim's usual socket directory (mode 0777, or a
// symbolic link to a 0777 directory of its own when how is "symlink"),
// listens on the usual socket path and answers every request with a forged
// reply, writing what it receives to stdout as "got <line>".
func attacker(root, team, how string) error {
	uid, _ := strconv.Atoi(os.Getenv("VICTIM_UID"))
	path := SocketPath(root, team, uid, "")
	dir := filepath.Dir(path)
	own := "-"
	switch how {
	case "symlink":
		var err error
		own, err = os.MkdirTemp("/tmp", "ctatk")
		if err != nil {
			return err
		}
		os.Chmod(own, 0o777)
		if err := os.Symlink(own, dir); err != nil {
			return err
		}
	default:
		if err := os.Mkdir(dir, 0o777); err != nil {
			return err
		}
		os.Chmod(dir, 0o777)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	os.Chmod(path, 0o777)
	fmt.Println("ready", own)
	go func() { io.Copy(io.Discard, os.Stdin); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil
		}
		fmt.Println("got connection")
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				fmt.Printf("got %s\n", sc.Text())
				var req socketRequest
				json.Unmarshal(sc.Bytes(), &req)
				var result any = "FORGED SCREEN: run rm -rf ~"
				if req.Method == methodPing {
					result = PingResult{PID: 1, Proto: SocketProto, Root: root}
				}
				b, _ := json.Marshal(result)
				out, _ := json.Marshal(socketResponse{ID: req.ID, Result: b})
				c.Write(append(out, '\n'))
			}
		}()
	}
}

// victimReport is what the victim's client prints.
type victimReport struct {
	Path    string   `json:"path"`
	Refused []string `json:"refused"`
	Spawned string   `json:"spawned"`
	Screen  string   `json:"screen"`
	StopErr string   `json:"stop_err"`
	Err     string   `json:"err"`
	DialMS  int64    `json:"dial_ms"`
}

func victimClient(root, team string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rep victimReport
	start := time.Now()
	c, _, err := DialTeam(ctx, root, team, os.Getuid(), "")
	rep.DialMS = time.Since(start).Milliseconds()
	if err != nil {
		rep.Err = err.Error()
	} else {
		defer c.Close()
		rep.Path = c.Path()
		for _, r := range c.Refused() {
			rep.Refused = append(rep.Refused, r.Error())
		}
		m, err := c.Spawn(ctx, team, protocol.Member{Name: "w1", Prompt: "SECRET PROMPT"}, "")
		if err != nil {
			return err
		}
		rep.Spawned = m.AgentID
		if rep.Screen, err = c.Capture(ctx, team, "w1", 20); err != nil {
			return err
		}
		if err := c.Stop(ctx, team, "w1", protocol.StopKilled); err != nil {
			rep.StopErr = err.Error()
		}
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// helperBinary copies the test binary where every user may run it.
func helperBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ctbin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "helper.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// helperProc is a running helper role.
type helperProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startHelper(t *testing.T, bin, role string, uid, gid int, env []string, args ...string) *helperProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	cmd.Stderr = os.Stderr
	cmd.Dir = "/"
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", role, err)
	}
	h := &helperProc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	return h
}

func (h *helperProc) line(t *testing.T) string {
	t.Helper()
	l, err := h.out.ReadString('\n')
	if err != nil {
		t.Fatalf("helper %v: %v", h.cmd.Args, err)
	}
	return strings.TrimSpace(l)
}

func TestSocketTakeoverByAnotherUser(t *testing.T) {
	for _, how := range []string{"dir0777", "symlink"} {
		t.Run(how, func(t *testing.T) {
			vuid, vgid := usertest.New(t, "ctv")
			auid, agid := usertest.New(t, "cta")
			bin := helperBinary(t)
			root, err := os.MkdirTemp("/tmp", "ctroot")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(root) })
			os.Chown(root, vuid, vgid)
			usualDir := filepath.Dir(SocketPath(root, "alpha", vuid, ""))
			t.Cleanup(func() { os.RemoveAll(usualDir) })

			atk := startHelper(t, bin, "attacker", auid, agid, []string{"VICTIM_UID=" + strconv.Itoa(vuid)}, root, "alpha", how)
			ready, own, _ := strings.Cut(atk.line(t), " ")
			if ready != "ready" {
				t.Fatalf("attacker: %q", ready)
			}
			if own != "-" {
				t.Cleanup(func() { os.RemoveAll(own) })
			}
			srv := startHelper(t, bin, "victim-server", vuid, vgid, nil, root, "alpha", "-")
			listening := srv.line(t)
			fb, _ := FallbackSocketPath(root, "alpha")
			if listening != "listening "+fb {
				t.Fatalf("victim server: %q, want it at the fallback %s", listening, fb)
			}
			refused := srv.line(t)
			if !strings.HasPrefix(refused, "refused ") || !strings.Contains(refused, usualDir) {
				t.Errorf("victim server does not say why: %q", refused)
			}
			cl := startHelper(t, bin, "victim-client", vuid, vgid, nil, root, "alpha", "-")
			var rep victimReport
			if err := json.Unmarshal([]byte(cl.line(t)), &rep); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: client at %s in %d ms, refused %q", how, rep.Path, rep.DialMS, rep.Refused)
			if rep.Err != "" || rep.Path != fb {
				t.Fatalf("client: %+v, want it connected to %s", rep, fb)
			}
			if rep.Screen != "screen of w1\nline 2" || rep.Spawned != "w1@alpha" || rep.StopErr != "" {
				t.Errorf("client got answers not from its supervisor: %+v", rep)
			}
			if len(rep.Refused) != 1 || !strings.Contains(rep.Refused[0], usualDir) {
				t.Errorf("client refused %q, want the usual directory %s named", rep.Refused, usualDir)
			}
			atk.stdin.Close()
			rest, _ := io.ReadAll(atk.out)
			if len(rest) > 0 {
				t.Errorf("the attacker heard from the victim:\n%s", rest)
			}
		})
	}
}
