package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap/zaptest"

	"github.com/f9449b24/claude-teams/mcp"
	"github.com/f9449b24/claude-teams/protocol"
)

// harness is one MCP session: our server's Listen on one end of two pipes
// and mcp-go's client on the other, so every call takes the real
// JSON-RPC path (framing, dispatch, _meta, result encoding).
type harness struct {
	t      *testing.T
	root   string
	cwd    string
	store  *protocol.Store
	srv    *mcp.Server
	client *client.Client
	sup    *fakeSupervisor
}

type harnessOpts struct {
	root       string          // data root ("" = a new temp dir)
	sup        *fakeSupervisor // nil = no pane tools
	legacy     bool            // initialize handshake instead of 2026-07-28 stateless requests
	clientName string          // clientInfo name (default "claude-code")
	pollEvery  time.Duration
	agent      string // the teammate this server serves ("" = a lead's server)
	agentTeam  string
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	if o.root == "" {
		o.root = t.TempDir()
	}
	if o.clientName == "" {
		o.clientName = "claude-code"
	}
	h := &harness{t: t, root: o.root, cwd: t.TempDir(), store: protocol.NewStore(o.root), sup: o.sup}
	cfg := mcp.Config{
		Store:        h.store,
		Logger:       zaptest.NewLogger(t),
		Version:      "test",
		Cwd:          h.cwd,
		LeadPaneID:   "%0",
		PollInterval: o.pollEvery,
		Agent:        o.agent,
		AgentTeam:    o.agentTeam,
		Backends:     testBackends,
	}
	if o.sup != nil {
		o.sup.store = h.store
		cfg.Supervisor = o.sup
	}
	h.srv = mcp.New(cfg)

	c2sR, c2sW := io.Pipe()
	s2cR, s2cW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := h.srv.Listen(ctx, c2sR, s2cW)
		s2cW.Close()
		done <- err
	}()
	var opts []client.ClientOption
	if o.legacy {
		opts = append(opts, client.WithLegacyProtocolOnly())
	}
	h.client = client.NewClient(transport.NewIO(s2cR, c2sW, nil), opts...)
	if err := h.client.Start(ctx); err != nil {
		t.Fatalf("client start: %v", err)
	}
	req := mcpgo.InitializeRequest{}
	req.Params.ClientInfo = mcpgo.Implementation{Name: o.clientName, Version: "1.0"}
	if _, err := h.client.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	t.Cleanup(func() {
		h.client.Close() // closes the server's stdin: Listen sees EOF
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("listen: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("server did not stop after stdin closed")
		}
		cancel()
		c2sR.Close()
	})
	return h
}

// call invokes a tool; a JSON-RPC error fails the test (user-caused
// failures must be isError results).
func (h *harness) call(name string, args map[string]any) *mcpgo.CallToolResult {
	h.t.Helper()
	return h.callCtx(context.Background(), name, args)
}

func (h *harness) callCtx(ctx context.Context, name string, args map[string]any) *mcpgo.CallToolResult {
	h.t.Helper()
	req := mcpgo.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := h.client.CallTool(ctx, req)
	if err != nil {
		h.t.Fatalf("%s: JSON-RPC error %v (user failures must be isError results)", name, err)
	}
	return res
}

// ok calls a tool that must succeed and returns its structured content,
// checking that the text content is the same JSON.
func (h *harness) ok(name string, args map[string]any) map[string]any {
	h.t.Helper()
	res := h.call(name, args)
	text := resultText(res)
	if res.IsError {
		h.t.Fatalf("%s(%v): unexpected error: %s", name, args, text)
	}
	structured := toMap(h.t, res.StructuredContent)
	var fromText any
	if err := json.Unmarshal([]byte(text), &fromText); err != nil {
		h.t.Fatalf("%s: text content is not JSON: %v\n%s", name, err, text)
	}
	want := any(structured)
	if list, isList := fromText.([]any); isList {
		want, fromText = structured["result"], list
	}
	if !jsonEqual(want, fromText) {
		h.t.Fatalf("%s: text content differs from structured content\ntext:       %s\nstructured: %s", name, text, mustJSON(want))
	}
	return structured
}

// list calls a tool that returns an array.
func (h *harness) list(name string, args map[string]any) []map[string]any {
	h.t.Helper()
	out := h.ok(name, args)
	items, _ := out["result"].([]any)
	var res []map[string]any
	for _, it := range items {
		res = append(res, it.(map[string]any))
	}
	return res
}

// fail calls a tool that must be refused with an isError result whose
// text contains every want.
func (h *harness) fail(name string, args map[string]any, want ...string) string {
	h.t.Helper()
	res := h.call(name, args)
	text := resultText(res)
	if !res.IsError {
		h.t.Fatalf("%s(%v): want an error containing %q, got success: %s", name, args, want, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			h.t.Errorf("%s(%v): error %q does not contain %q", name, args, text, w)
		}
	}
	return text
}

func resultText(res *mcpgo.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return parts[0]
}

func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(mustJSON(v)), &m); err != nil {
		t.Fatalf("structured content is not an object: %v (%s)", err, mustJSON(v))
	}
	return m
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func jsonEqual(a, b any) bool { return mustJSON(a) == mustJSON(b) }

// createTeam makes team with the lead and the given teammates (added
// straight through the store, as a supervisor would).
func (h *harness) createTeam(team string, teammates ...string) {
	h.t.Helper()
	h.ok("team_create", map[string]any{"team_name": team})
	for _, name := range teammates {
		h.addTeammate(team, name)
	}
}

func (h *harness) addTeammate(team, name string) protocol.Member {
	h.t.Helper()
	m, err := h.store.AddMember(team, protocol.Member{Name: name, AgentType: "general-purpose", Model: "sonnet",
		Prompt: "do " + name, TmuxPaneID: "%" + name, Cwd: h.cwd, BackendType: "claude"})
	if err != nil {
		h.t.Fatalf("add member %s: %v", name, err)
	}
	return m
}

// inbox reads an inbox without marking it read.
func (h *harness) inbox(team, agent string) []protocol.Message {
	h.t.Helper()
	res, err := h.store.ReadInbox(team, agent, protocol.ReadOptions{UnreadOnly: true})
	if err != nil {
		h.t.Fatalf("read inbox %s: %v", agent, err)
	}
	return res.Messages
}

// fakeSupervisor records calls and keeps the config as a real one would.
type fakeSupervisor struct {
	store *protocol.Store

	mu       sync.Mutex
	calls    []string
	status   map[string]protocol.TeammateStatus
	capture  string
	spawnErr error
	stopErr  error
}

func newFakeSupervisor() *fakeSupervisor {
	return &fakeSupervisor{status: map[string]protocol.TeammateStatus{}, capture: "line 1\nline 2"}
}

func (f *fakeSupervisor) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeSupervisor) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeSupervisor) Spawn(ctx context.Context, team string, m protocol.Member, restart protocol.RestartPolicy) (protocol.Member, error) {
	f.record("spawn " + team + " " + m.Name + " " + m.BackendType + " " + string(restart))
	if f.spawnErr != nil {
		return protocol.Member{}, f.spawnErr
	}
	m.TmuxPaneID = "%42"
	got, err := f.store.AddMember(team, m)
	if err != nil {
		return protocol.Member{}, err
	}
	if _, err := f.store.Send(team, m.Name, protocol.Message{From: protocol.LeadName, Text: m.Prompt}); err != nil {
		return protocol.Member{}, err
	}
	return got, nil
}

func (f *fakeSupervisor) Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error {
	f.record("stop " + team + " " + agent + " " + string(reason))
	return f.stopErr
}

// Remove stops (records the stop) and removes the member as the owner does.
func (f *fakeSupervisor) Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error) {
	if err := f.Stop(ctx, team, agent, reason); err != nil {
		return protocol.Removal{}, err
	}
	return f.store.RemoveTeammate(team, agent)
}

func (f *fakeSupervisor) Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error) {
	call := "restart " + team + " " + agent
	if fresh {
		call += " fresh"
	}
	f.record(call)
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status[agent]
	st.Restarts++
	return st, nil
}

func (f *fakeSupervisor) Status(ctx context.Context, team string) (protocol.TeamStatus, error) {
	f.record("status " + team)
	f.mu.Lock()
	defer f.mu.Unlock()
	ts := protocol.TeamStatus{Name: team, Supervised: true, SupervisorPID: 4242}
	for _, s := range f.status {
		ts.Teammates = append(ts.Teammates, s)
	}
	return ts, nil
}

func (f *fakeSupervisor) Capture(ctx context.Context, team, agent string, lines int) (string, error) {
	f.record("capture " + team + " " + agent)
	return f.capture, nil
}

func (f *fakeSupervisor) Teardown(ctx context.Context, team string) error {
	f.record("teardown " + team)
	return nil
}

func callReq(name string, args map[string]any) mcpgo.CallToolRequest {
	req := mcpgo.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return req
}

func textOf(c mcpgo.Content) string {
	if tc, ok := c.(mcpgo.TextContent); ok {
		return tc.Text
	}
	return ""
}

func listToolsReq() mcpgo.ListToolsRequest { return mcpgo.ListToolsRequest{} }

// corruptInbox writes bad JSON over agent's inbox.
func (h *harness) corruptInbox(team, agent string) {
	h.t.Helper()
	if err := os.WriteFile(h.store.InboxPath(team, agent), []byte(`[{"from":`), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// wantCorruptNote fails unless res succeeded and its second text block
// says that agent's inbox was not valid JSON and was set aside.
func (h *harness) wantCorruptNote(res *mcpgo.CallToolResult, agent string) {
	h.t.Helper()
	if res.IsError || len(res.Content) != 2 {
		h.t.Fatalf("result = %+v, want success with a corrupt-inbox note", res)
	}
	if note := textOf(res.Content[1]); !strings.Contains(note, "not valid JSON") || !strings.Contains(note, "inbox of "+agent) {
		h.t.Errorf("note = %q, want one about %s's inbox", note, agent)
	}
}
