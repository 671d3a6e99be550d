package backends

// A check of an attached OpenCode teammate's session lookup and resume
// against a real `opencode serve` (OPENCODE_BIN; under CI=true it never
// skips) and the mock model. `opencode run --attach` needs no terminal
// without --interactive, so the turns run Launch's argv without it.

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// openCodeServe starts `opencode serve` on a free loopback port with env
// in dir, waits until it answers and returns its URL; the test's cleanup
// kills its process group.
func openCodeServe(t *testing.T, bin string, env []string, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "serve", "--port", strconv.Itoa(port), "--hostname", "127.0.0.1")
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf := filepath.Join(t.TempDir(), "serve.log")
	out, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		out.Close()
	})
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	probe := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ; i++ {
		resp, err := probe.Get(url + "/session?directory=" + dir)
		if err == nil {
			resp.Body.Close()
			return url
		}
		if i == 150 {
			log, _ := os.ReadFile(logf)
			t.Fatalf("opencode serve did not answer on %s: %v\n%s", url, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// serverCall sends method path to the opencode server and decodes its
// JSON answer into v (nil: ignored); it fails the test unless 200.
func serverCall(t *testing.T, method, url string, v any) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s: %s", method, url, resp.Status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, body)
		}
	}
}

// TestRealOpenCodeAttachedResume: for a teammate attached to a real
// opencode server, FindSession finds the session the server holds for its
// first turn (titled with its agent id; not for another teammate),
// Resumable confirms it, the resume's first model request carries the
// earlier turn and continues the same session, and once the session is
// deleted from the server a resume starts fresh and names the server.
func TestRealOpenCodeAttachedResume(t *testing.T) {
	w := newOpenCodeWorld(t)
	bin, dump, cwd := w.bin, w.dump, w.cwd
	url := openCodeServe(t, bin, w.withProvider(), cwd)
	c := w.config(w.environ)
	c.OpenCodeServerURL = url
	m := Teammate{Team: "alpha", Name: "w1", Cwd: cwd}
	run := func(l Launch) {
		t.Helper()
		argv := slices.DeleteFunc(slices.Clone(l.Argv), func(w string) bool { return w == "--interactive" })
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = l.Dir, l.Env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%q: %v\n%s", argv, err, out)
		}
	}
	var sessions []openCodeServerSession
	titled := func() []string {
		t.Helper()
		serverCall(t, http.MethodGet, url+"/session?roots=true&directory="+cwd, &sessions)
		var ids []string
		for _, s := range sessions {
			if s.Title == "w1@alpha" {
				ids = append(ids, s.ID)
			}
		}
		return ids
	}

	since := time.Now()
	first, err := c.Launch(OpenCode, m)
	if err != nil || !slices.Contains(first.Argv, "--attach") || !slices.Contains(first.Argv, "--title") {
		t.Fatalf("first launch: %q, %v", first.Argv, err)
	}
	run(first)
	ids := titled()
	if len(ids) != 1 {
		t.Fatalf("the server holds sessions %q titled w1@alpha (all: %+v)", ids, sessions)
	}
	id := ids[0]
	checkOpenCodeFound(t, c, m, since, id, "the server")
	before := len(dumpedMessages(t, dump, "/chat/completions"))

	m.SessionID, m.Resume = id, true
	again, err := c.Launch(OpenCode, m)
	if err != nil || !again.Resumed || again.SessionID != id || !slices.Contains(again.Argv, "--session") {
		t.Fatalf("resume launch: %+v, %v", again, err)
	}
	run(again)
	if ids := titled(); !slices.Equal(ids, []string{id}) {
		t.Errorf("after the resume the server holds %q titled w1@alpha, want %s", ids, id)
	}
	var msgs []json.RawMessage
	serverCall(t, http.MethodGet, url+"/session/"+id+"/message", &msgs)
	if len(msgs) < 4 {
		t.Errorf("session %s has %d messages after the resume, want both turns", id, len(msgs))
	}
	reqs := dumpedMessages(t, dump, "/chat/completions")[before:]
	if len(reqs) == 0 || !strings.Contains(reqs[0], "(agent id w1@alpha), a teammate") || !strings.Contains(reqs[0], "You were restarted") {
		t.Errorf("first request after the resume does not carry the earlier turn: %.3000s", reqs)
	}

	serverCall(t, http.MethodDelete, url+"/session/"+id, nil)
	gone, err := c.Launch(OpenCode, m)
	if err != nil || gone.Resumed || !strings.Contains(gone.FreshReason, "the opencode server at "+url+" has no session "+id) ||
		!slices.Contains(gone.Argv, "--title") || slices.Contains(gone.Argv, "--session") {
		t.Errorf("launch after the session was deleted: %+v, %v", gone, err)
	}
}
