package statussock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// fakeService records calls and answers from its fields. A non-nil block
// channel makes Capture wait for it (or for ctx).
type fakeService struct {
	mu    sync.Mutex
	calls []string
	err   error
	block chan struct{}
	panic bool
	// deadline of the last Capture ctx, if any
	sawDeadline bool
}

func (f *fakeService) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	if f.panic {
		panic("boom")
	}
	return f.err
}

func (f *fakeService) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeService) Spawn(ctx context.Context, team string, m protocol.Member, restart protocol.RestartPolicy) (protocol.Member, error) {
	if err := f.record(fmt.Sprintf("spawn %s %s %s", team, m.Name, restart)); err != nil {
		return protocol.Member{}, err
	}
	m.AgentID = m.Name + "@" + team
	m.TmuxPaneID = "%7"
	return m, nil
}

func (f *fakeService) Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error {
	return f.record(fmt.Sprintf("stop %s %s %s", team, agent, reason))
}

func (f *fakeService) Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error) {
	call := fmt.Sprintf("restart %s %s", team, agent)
	if fresh {
		call += " fresh"
	}
	if err := f.record(call); err != nil {
		return protocol.TeammateStatus{}, err
	}
	return protocol.TeammateStatus{Name: agent, AgentID: agent + "@" + team, State: "restarting", Restarts: 1}, nil
}

func (f *fakeService) Status(ctx context.Context, team string) (protocol.TeamStatus, error) {
	if err := f.record("status " + team); err != nil {
		return protocol.TeamStatus{}, err
	}
	es := 3
	return protocol.TeamStatus{Name: team, Supervised: true, SupervisorPID: os.Getpid(), Teammates: []protocol.TeammateStatus{
		{Name: "w1", AgentID: "w1@" + team, State: "crashed", ExitStatus: &es, Tasks: []string{"1", "4"}},
	}}, nil
}

func (f *fakeService) Capture(ctx context.Context, team, agent string, lines int) (string, error) {
	if err := f.record(fmt.Sprintf("capture %s %s %d", team, agent, lines)); err != nil {
		return "", err
	}
	if _, ok := ctx.Deadline(); ok {
		f.mu.Lock()
		f.sawDeadline = true
		f.mu.Unlock()
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return fmt.Sprintf("screen of %s\nline 2", agent), nil
}

func (f *fakeService) Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error) {
	if err := f.record(fmt.Sprintf("remove %s %s %s", team, agent, reason)); err != nil {
		return protocol.Removal{}, err
	}
	return protocol.Removal{Member: protocol.Member{Name: agent, AgentID: agent + "@" + team}, Released: []protocol.Task{{ID: "4"}}}, nil
}

func (f *fakeService) Teardown(ctx context.Context, team string) error {
	return f.record("teardown " + team)
}

// sockDir is a short temporary directory (unix socket paths must stay
// under ~100 bytes, and t.TempDir() paths can be longer).
func sockDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "cts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// startServer serves svc on a fresh socket and returns its path. The server
// is stopped (and its return checked) at cleanup.
func startServer(t *testing.T, svc Service) string {
	t.Helper()
	path := filepath.Join(sockDir(t), "run", "alpha.sock")
	s, err := ListenSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, svc, zaptest.NewLogger(t)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return path
}

func dial(t *testing.T, path string) *SocketClient {
	t.Helper()
	c, err := DialSocket(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSocketPath(t *testing.T) {
	long := strings.Repeat("a", 64)
	root := "/home/u/.claude"
	h := "-" + tmuxconv.RootHash(root) + ".sock"
	tests := []struct {
		team, runtime, want string
	}{
		{"alpha", "/run/user/1000", "/run/user/1000/claude-teams/alpha" + h},
		{"alpha", "", "/tmp/claude-teams-1000/alpha" + h},
		{long[:50], "", "/tmp/claude-teams-1000/" + long[:50] + h},
		{long, "", "/tmp/claude-teams-1000/" + hashedName(root, long)},
		{long, "/run/user/1000000", "/run/user/1000000/claude-teams/" + hashedName(root, long)},
		{"alpha", "/" + strings.Repeat("r", 90), "/tmp/claude-teams-1000/" + hashedName(root, "alpha")},
	}
	for _, tt := range tests {
		got := SocketPath(root, tt.team, 1000, tt.runtime)
		if got != tt.want {
			t.Errorf("SocketPath(%q, 1000, %q) = %q, want %q", tt.team, tt.runtime, got, tt.want)
		}
		if len(got) >= 100 {
			t.Errorf("SocketPath(%q, 1000, %q) is %d bytes", tt.team, tt.runtime, len(got))
		}
	}
	if hashedName(root, long) == hashedName(root, long[:63]+"b") {
		t.Error("hashedName collides for names sharing a prefix")
	}
	if hashedName(root, long) == hashedName("/other", long) {
		t.Error("hashedName ignores the root")
	}
	if got := SocketPath(root, long, 4294967295, ""); len(got) >= 100 {
		t.Errorf("largest uid: %q is %d bytes", got, len(got))
	}
	// Two roots, one team name: two paths; one root however it is
	// spelled (trailing slash, symbolic link): one path.
	if SocketPath(root, "alpha", 1000, "") == SocketPath("/other", "alpha", 1000, "") {
		t.Error("two data roots share a socket path")
	}
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if a, b, c := SocketPath(dir, "alpha", 1000, ""), SocketPath(dir+"/", "alpha", 1000, ""), SocketPath(link, "alpha", 1000, ""); a != b || a != c {
		t.Errorf("one root, three paths: %q %q %q", a, b, c)
	}
}

func TestSocketRoundTrip(t *testing.T) {
	f := &fakeService{}
	c := dial(t, startServer(t, f))
	ctx := context.Background()

	ping, err := c.Ping(ctx)
	if err != nil || ping.PID != os.Getpid() || ping.Proto != SocketProto {
		t.Fatalf("Ping = %+v, %v", ping, err)
	}
	st, err := c.Status(ctx, "alpha")
	if err != nil || st.Name != "alpha" || !st.Supervised || len(st.Teammates) != 1 ||
		*st.Teammates[0].ExitStatus != 3 || strings.Join(st.Teammates[0].Tasks, ",") != "1,4" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	out, err := c.Capture(ctx, "alpha", "w1", 20)
	if err != nil || out != "screen of w1\nline 2" {
		t.Fatalf("Capture = %q, %v", out, err)
	}
	ts, err := c.Restart(ctx, "alpha", "w1", false)
	if err != nil || ts.AgentID != "w1@alpha" || ts.State != "restarting" {
		t.Fatalf("Restart = %+v, %v", ts, err)
	}
	if _, err := c.Restart(ctx, "alpha", "w1", true); err != nil {
		t.Fatalf("Restart fresh: %v", err)
	}
	if err := c.Stop(ctx, "alpha", "w1", "shutdown"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx, "alpha", "w2", ""); err != nil {
		t.Fatal(err)
	}
	m, err := c.Spawn(ctx, "alpha", protocol.Member{Name: "w3", Prompt: "do it", Cwd: "/tmp"}, "on-failure")
	if err != nil || m.AgentID != "w3@alpha" || m.TmuxPaneID != "%7" || m.Prompt != "do it" {
		t.Fatalf("Spawn = %+v, %v", m, err)
	}
	rm, err := c.Remove(ctx, "alpha", "w3", "shutdown")
	if err != nil || rm.Member.AgentID != "w3@alpha" || len(rm.Released) != 1 || rm.Released[0].ID != "4" {
		t.Fatalf("Remove = %+v, %v", rm, err)
	}
	if _, err := c.Remove(ctx, "alpha", "w3", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Teardown(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"status alpha", "capture alpha w1 20", "restart alpha w1", "restart alpha w1 fresh", "stop alpha w1 shutdown",
		"stop alpha w2 killed", "spawn alpha w3 on-failure", "remove alpha w3 shutdown", "remove alpha w3 killed",
		"teardown alpha",
	}
	if got := f.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
}

func TestSocketServiceErrors(t *testing.T) {
	f := &fakeService{err: errors.New("restart w1: no such teammate")}
	c := dial(t, startServer(t, f))
	ctx := context.Background()
	calls := map[string]func() error{
		"status":   func() error { _, err := c.Status(ctx, "alpha"); return err },
		"capture":  func() error { _, err := c.Capture(ctx, "alpha", "w1", 5); return err },
		"restart":  func() error { _, err := c.Restart(ctx, "alpha", "w1", false); return err },
		"stop":     func() error { return c.Stop(ctx, "alpha", "w1", "killed") },
		"spawn":    func() error { _, err := c.Spawn(ctx, "alpha", protocol.Member{Name: "w1"}, ""); return err },
		"teardown": func() error { return c.Teardown(ctx, "alpha") },
		"remove":   func() error { _, err := c.Remove(ctx, "alpha", "w1", "killed"); return err },
	}
	for name, call := range calls {
		err := call()
		var re *RemoteError
		if !errors.As(err, &re) || re.Code != errCodeService || err.Error() != "restart w1: no such teammate" {
			t.Errorf("%s: err = %#v", name, err)
		}
	}
}

func TestSocketBadRequests(t *testing.T) {
	f := &fakeService{}
	c := dial(t, startServer(t, f))
	ctx := context.Background()
	calls := map[string]func() error{
		"team dots":    func() error { _, err := c.Status(ctx, "../etc"); return err },
		"team upper":   func() error { _, err := c.Status(ctx, "Alpha"); return err },
		"team empty":   func() error { return c.Teardown(ctx, "") },
		"agent slash":  func() error { _, err := c.Capture(ctx, "alpha", "w/1", 5); return err },
		"agent NUL":    func() error { _, err := c.Restart(ctx, "alpha", "w\x001", false); return err },
		"agent empty":  func() error { return c.Stop(ctx, "alpha", "", "killed") },
		"bad reason":   func() error { return c.Stop(ctx, "alpha", "w1", "because") },
		"remove agent": func() error { _, err := c.Remove(ctx, "alpha", "../w1", "killed"); return err },
		"remove why":   func() error { _, err := c.Remove(ctx, "alpha", "w1", "because"); return err },
		"neg lines":    func() error { _, err := c.Capture(ctx, "alpha", "w1", -1); return err },
		"member name":  func() error { _, err := c.Spawn(ctx, "alpha", protocol.Member{Name: ".."}, ""); return err },
		"restart word": func() error { _, err := c.Spawn(ctx, "alpha", protocol.Member{Name: "w1"}, "sometimes"); return err },
	}
	for name, call := range calls {
		err := call()
		var re *RemoteError
		if !errors.As(err, &re) || re.Code != errCodeBadRequest || !strings.HasPrefix(err.Error(), "supervisor: ") {
			t.Errorf("%s: err = %#v", name, err)
		}
	}
	if got := f.Calls(); len(got) != 0 {
		t.Errorf("service called for bad requests: %q", got)
	}
	var re *RemoteError
	if err := c.call(ctx, socketRequest{Method: "explode", Team: "alpha"}, nil); !errors.As(err, &re) || re.Code != errCodeMethod {
		t.Errorf("unknown method: %#v", err)
	}
}

func TestSocketPanicIsInternalError(t *testing.T) {
	f := &fakeService{panic: true}
	c := dial(t, startServer(t, f))
	_, err := c.Status(context.Background(), "alpha")
	var re *RemoteError
	if !errors.As(err, &re) || re.Code != errCodeInternal {
		t.Fatalf("err = %#v", err)
	}
	f.mu.Lock()
	f.panic = false
	f.mu.Unlock()
	if _, err := c.Status(context.Background(), "alpha"); err != nil {
		t.Fatalf("server did not survive a panic: %v", err)
	}
}

func TestSocketNoSupervisor(t *testing.T) {
	dir := sockDir(t)
	_, err := DialSocket(context.Background(), filepath.Join(dir, "none.sock"))
	if !errors.Is(err, ErrNoSupervisor) {
		t.Fatalf("missing file: %v", err)
	}
	// A stale socket file (nobody listening) is "no supervisor" too.
	stale := staleSocket(t, dir, "beta.sock")
	if _, err := DialSocket(context.Background(), stale); !errors.Is(err, ErrNoSupervisor) {
		t.Fatalf("stale file: %v", err)
	}
	_, _, err = DialTeam(context.Background(), "/data", "gamma", os.Getuid(), dir)
	if !errors.Is(err, ErrNoSupervisor) || err.Error() != "supervisor: no supervisor for team gamma" {
		t.Fatalf("DialTeam: %v", err)
	}
}

type rootedService struct{ *fakeService }

func (rootedService) DataRoot() string { return "/data/root" }
func (rootedService) Version() string  { return "v1.2.3" }

func TestSocketPingReporters(t *testing.T) {
	c := dial(t, startServer(t, rootedService{&fakeService{}}))
	p, err := c.Ping(context.Background())
	if err != nil || p.Root != "/data/root" || p.Version != "v1.2.3" || p.PID != os.Getpid() || p.Proto != SocketProto {
		t.Fatalf("Ping = %+v, %v", p, err)
	}
}
