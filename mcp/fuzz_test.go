package mcp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/f9449b24/claude-teams/protocol"
)

// FuzzToolArguments calls every tool with arbitrary argument objects: a
// call may succeed or be refused, but must never panic or become a
// JSON-RPC error, and a refusal must say something.
func FuzzToolArguments(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"team_name":"alpha"}`,
		`{"team_name":"alpha","type":"message","recipient":"w1","content":"c","summary":"s"}`,
		`{"team_name":"alpha","type":"shutdown_response","sender":"w1","request_id":"r","approve":true}`,
		`{"team_name":"alpha","task_id":1,"status":"in_progress","add_blocks":["2"],"metadata":{"k":null}}`,
		`{"team_name":"alpha","agent_name":"w1","timeout_ms":0}`,
		`{"team_name":"../x","agent_name":"..","task_id":"0"}`,
		`{"team_name":7,"approve":"yes","add_blocks":{}}`,
	} {
		for tool := range 10 {
			f.Add(uint8(tool), seed)
		}
	}
	root := f.TempDir()
	store := protocol.NewStore(root)
	if _, err := store.CreateTeam("alpha", "", protocol.Member{Cwd: root}); err != nil {
		f.Fatal(err)
	}
	if _, err := store.AddMember("alpha", protocol.Member{Name: "w1", Cwd: root, Prompt: "p"}); err != nil {
		f.Fatal(err)
	}
	if _, err := store.CreateTask("alpha", protocol.TaskInput{Subject: "t"}); err != nil {
		f.Fatal(err)
	}
	s := New(Config{Store: store, Cwd: root})
	tools := s.tools()
	f.Fuzz(func(t *testing.T, which uint8, args string) {
		var raw json.RawMessage
		if json.Unmarshal([]byte(args), &raw) != nil || !strings.HasPrefix(strings.TrimSpace(args), "{") {
			return
		}
		st := tools[int(which)%len(tools)]
		if st.Tool.Name == "team_create" || st.Tool.Name == "team_delete" {
			return // they would change the fixture under the other cases
		}
		req := mcpgo.CallToolRequest{}
		req.Params.Name = st.Tool.Name
		req.Params.Arguments = raw
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond) // bounds poll_inbox
		defer cancel()
		res, err := st.Handler(ctx, req)
		if err != nil {
			t.Fatalf("%s(%s): Go error %v (must be an isError result)", st.Tool.Name, args, err)
		}
		if res == nil || len(res.Content) == 0 {
			t.Fatalf("%s(%s): empty result", st.Tool.Name, args)
		}
		if res.IsError && strings.TrimSpace(res.Content[0].(mcpgo.TextContent).Text) == "" {
			t.Fatalf("%s(%s): refusal without a message", st.Tool.Name, args)
		}
	})
}
