package backends

// A check of conversation resume against the real Claude Code and the mock
// model (shared/tools/mockllm), run only when claude is installed (PATH or
// CLAUDE_BIN) and the mock is found beside the repository. It runs the
// argv Launch builds, in -p mode, so that no terminal is needed.

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mockModel finds shared/tools/mockllm/mockllm.py in a parent directory
// and starts it on a free port, dumping whole requests to the returned
// file. It skips the test when python3 or the mock is missing.
func mockModel(t *testing.T) (baseURL, dump string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	script := ""
	for dir, _ := os.Getwd(); dir != "/" && script == ""; dir = filepath.Dir(dir) {
		if p := filepath.Join(dir, "shared", "tools", "mockllm", "mockllm.py"); fileExists(p) {
			script = p
		}
	}
	if script == "" {
		t.Skip("shared/tools/mockllm/mockllm.py not found in a parent directory")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dump = filepath.Join(t.TempDir(), "dump.jsonl")
	cmd := exec.Command(py, script, strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOCK_DUMP="+dump, "MOCK_LOG="+dump+".log")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			break
		}
		if i == 200 {
			t.Fatalf("mock model not listening on %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port), dump
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// dumpedMessages returns the messages of each request the mock model got
// at a path ending in suffix ("/messages": Anthropic's API;
// "/chat/completions": OpenAI's, which opencode speaks).
func dumpedMessages(t *testing.T, dump, suffix string) []string {
	t.Helper()
	f, err := os.Open(dump)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var d struct {
			Path string `json:"path"`
			Body struct {
				Messages json.RawMessage `json:"messages"`
			} `json:"body"`
		}
		if json.Unmarshal(sc.Bytes(), &d) == nil && strings.HasSuffix(d.Path, suffix) {
			out = append(out, string(d.Body.Messages))
		}
	}
	return out
}

// TestRealClaudeResume: a fresh launch records its conversation under the
// transcript path we compute; the resume launch's first model request
// carries the earlier turn; reusing --session-id is refused by Claude Code
// itself, and a session without transcript is not resumed.
func TestRealClaudeResume(t *testing.T) {
	bin := realCLI(t, "claude", "CLAUDE_BIN")
	base, dump := mockModel(t)
	home := t.TempDir()
	root := filepath.Join(home, "state")
	cwd := filepath.Join(home, "My proj.v2") // the slug rule on a real path
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	c := Config{Enabled: []string{Claude}, LookPath: func(string) (string, error) { return bin, nil },
		Environ: []string{"HOME=" + home, "CLAUDE_CONFIG_DIR=" + root, "PATH=" + os.Getenv("PATH"),
			"ANTHROPIC_BASE_URL=" + base, "ANTHROPIC_API_KEY=sk-ant-mock", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
			"DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "ENABLE_TOOL_SEARCH=false"}}
	m := Teammate{Team: "alpha", Name: "worker-1", Model: "sonnet", Cwd: cwd, DataRoot: root}
	run := func(l Launch, prompt string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		argv := append(l.Argv[1:len(l.Argv):len(l.Argv)], "-p", prompt)
		cmd := exec.CommandContext(ctx, l.Argv[0], argv...)
		cmd.Dir, cmd.Env = l.Dir, l.Env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	first, err := c.Launch(Claude, m)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(first, "RT-HELLO-first-turn"); err != nil {
		t.Fatalf("fresh launch %q: %v\n%s", first.Argv, err, out)
	}
	if !fileExists(ClaudeTranscript(root, cwd, first.SessionID)) {
		t.Fatalf("no transcript at %s", ClaudeTranscript(root, cwd, first.SessionID))
	}
	before := len(dumpedMessages(t, dump, "/messages"))

	m.SessionID, m.Resume = first.SessionID, true
	again, err := c.Launch(Claude, m)
	if err != nil || !again.Resumed {
		t.Fatalf("resume launch: %+v, %v", again, err)
	}
	if out, err := run(again, "RT-AGAIN-after-restart"); err != nil {
		t.Fatalf("resume launch %q: %v\n%s", again.Argv, err, out)
	}
	reqs := dumpedMessages(t, dump, "/messages")[before:]
	if len(reqs) == 0 || !strings.Contains(reqs[0], "RT-HELLO-first-turn") || !strings.Contains(reqs[0], "RT-AGAIN-after-restart") {
		t.Errorf("first request after the resume does not carry the earlier turn: %.2000s", reqs)
	}

	// The first launch's argv again: --session-id <the same id>.
	if out, err := run(first, "x"); err == nil || !strings.Contains(out, "already in use") {
		t.Errorf("reusing --session-id: %v\n%s", err, out)
	}

	m.SessionID = NewSessionID() // never started: no transcript
	fresh, err := c.Launch(Claude, m)
	if err != nil || fresh.Resumed || fresh.SessionID == m.SessionID || !strings.Contains(fresh.FreshReason, "no transcript") {
		t.Errorf("unknown session: %+v, %v", fresh, err)
	}
}
