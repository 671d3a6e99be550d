package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests and benchmarks of this file drive the real, built claude-teams
// binary over stdio, as an MCP client does.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// TestMain removes the binary built for the tests.
// Run as "claude", it is the fake claude of leadsig_e2e_test.go.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "claude" {
		os.Exit(fakeClaudeMain())
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds ./cmd/claude-teams once per test process (without -race,
// like a user's build) and returns its path.
func binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "claude-teams-bin-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "claude-teams")
		cmd := exec.Command("go", "build", "-o", builtBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return builtBin
}

// proc is a running claude-teams serve with a minimal JSON-RPC client on
// its stdin and stdout.
type proc struct {
	tb     testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr *lockedBuffer
	nextID int
	done   chan error
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers and readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testEnv is a clean environment for a server using root as its data root.
func testEnv(root string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + root,
		"CLAUDE_CONFIG_DIR=" + root,
		"CLAUDE_TEAMS_LOG_LEVEL=debug",
	}
}

func startProc(tb testing.TB, env []string, args ...string) *proc {
	tb.Helper()
	cmd := exec.Command(binary(tb), args...)
	cmd.Env = env
	cmd.Dir = tb.TempDir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	p := &proc{tb: tb, cmd: cmd, stdin: stdin, out: bufio.NewReaderSize(stdout, 1<<20), stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// send writes one JSON-RPC message.
func (p *proc) send(msg map[string]any) {
	p.tb.Helper()
	if err := p.sendErr(msg); err != nil {
		p.tb.Fatal(err)
	}
}

func (p *proc) sendErr(msg map[string]any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// rpcMessage is any JSON-RPC message the server writes.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// readMessage reads one line of stdout, which must be a JSON-RPC message.
func (p *proc) readMessage() (rpcMessage, error) {
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return rpcMessage{}, fmt.Errorf("read stdout: %w (stderr:\n%s)", err, p.stderr.String())
	}
	var m rpcMessage
	if err := json.Unmarshal(line, &m); err != nil || m.JSONRPC != "2.0" {
		return rpcMessage{}, fmt.Errorf("stdout line is not JSON-RPC: %q (%v)", line, err)
	}
	return m, nil
}

// request sends a request and returns its result (notifications that
// arrive first are skipped). A JSON-RPC error fails.
func (p *proc) request(method string, params any) json.RawMessage {
	p.tb.Helper()
	res, err := p.requestErr(method, params)
	if err != nil {
		p.tb.Fatal(err)
	}
	return res
}

// requestErr is request for any goroutine: it reports instead of failing.
// Requests of one proc must not overlap.
func (p *proc) requestErr(method string, params any) (json.RawMessage, error) {
	p.nextID++
	id := p.nextID
	if err := p.sendErr(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		return nil, err
	}
	for {
		m, err := p.readMessage()
		if err != nil {
			return nil, err
		}
		if m.Method != "" && len(m.ID) == 0 {
			continue // a notification
		}
		if string(m.ID) != fmt.Sprint(id) {
			return nil, fmt.Errorf("response id %s, want %d", m.ID, id)
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: JSON-RPC error %d %s", method, m.Error.Code, m.Error.Message)
		}
		return m.Result, nil
	}
}

func (p *proc) initialize(client string) {
	p.tb.Helper()
	p.request("initialize", map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": client, "version": "1.0"},
	})
	p.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
}

// toolResult is the part of a tools/call result the tests look at.
type toolResult struct {
	IsError bool `json:"isError"`
	Content []struct {
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent map[string]any `json:"structuredContent"`
}

func (p *proc) callTool(name string, args map[string]any) toolResult {
	p.tb.Helper()
	r, err := p.callToolErr(name, args)
	if err != nil {
		p.tb.Fatal(err)
	}
	return r
}

// callToolErr calls a tool from any goroutine; an isError result is an
// error too.
func (p *proc) callToolErr(name string, args map[string]any) (toolResult, error) {
	raw, err := p.requestErr("tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return toolResult{}, err
	}
	var r toolResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

func (p *proc) mustCall(name string, args map[string]any) toolResult {
	p.tb.Helper()
	r := p.callTool(name, args)
	if r.IsError {
		p.tb.Fatalf("%s: %s", name, r.Content[0].Text)
	}
	return r
}

// wait waits for the process to exit and returns its error.
func (p *proc) wait() error {
	p.tb.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for Cleanup
		return err
	case <-time.After(30 * time.Second):
		p.tb.Fatalf("claude-teams did not exit (stderr:\n%s)", p.stderr.String())
		return nil
	}
}

// logLines returns stderr's lines, each of which must be a JSON log event.
func (p *proc) logLines() []map[string]any {
	p.tb.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			p.tb.Errorf("stderr line is not a JSON log event: %q", line)
			continue
		}
		out = append(out, ev)
	}
	return out
}
