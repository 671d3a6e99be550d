package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
)

// okResult is a successful result whose structured content is v and whose
// text content is the same JSON.
func okResult(v any) *mcpgo.CallToolResult {
	text, err := jsonText(v)
	if err != nil {
		return mcpgo.NewToolResultError(fmt.Sprintf("encode result: %v", err))
	}
	return mcpgo.NewToolResultStructured(v, text)
}

// jsonText encodes v as the text content of a result: compact JSON without
// HTML escaping (as JSON.stringify and the Python server write it), so that
// code in messages and tasks reads as written ("a && b < c", not
// "a \u0026\u0026 b \u003c c").
func jsonText(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// listResult is a successful result for a tool that returns an array: the
// text content is the array's JSON (what the Python server's clients see)
// and the structured content wraps it as {"result": [...]} because MCP
// requires an object there.
func listResult[T any](items []T) *mcpgo.CallToolResult {
	if items == nil {
		items = []T{}
	}
	text, err := jsonText(items)
	if err != nil {
		return mcpgo.NewToolResultError(fmt.Sprintf("encode result: %v", err))
	}
	return mcpgo.NewToolResultStructured(map[string]any{"result": items}, text)
}

// refuse is an isError result for a failure the caller caused (or can act
// on). It is never a JSON-RPC error: clients such as Codex show those as
// crashes, while an isError result goes back to the model to fix its call.
func (s *Server) refuse(tool string, err error) *mcpgo.CallToolResult {
	s.log.Info("tool refused", zap.String("tool", tool), zap.Error(err))
	return mcpgo.NewToolResultError(err.Error())
}

// refusef is refuse with a formatted message.
func (s *Server) refusef(tool, format string, args ...any) *mcpgo.CallToolResult {
	return s.refuse(tool, fmt.Errorf(format, args...))
}

// typed adapts a tool handler written against its argument struct: the
// arguments are decoded first (a decoding error, naming the offending
// field, is the refusal), and the handler returns only a result, so no
// failure can ever become a JSON-RPC error.
func typed[T any](s *Server, tool string, fn func(ctx context.Context, args T) *mcpgo.CallToolResult) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		var args T
		if err := req.BindArguments(&args); err != nil {
			return s.refusef(tool, "invalid arguments for %s: %v", tool, err), nil
		}
		return fn(ctx, args), nil
	}
}

// flexID is a task id that accepts both "3" and 3 on the wire (models
// often send numbers), kept as its decimal string.
type flexID string

// UnmarshalJSON accepts a JSON string or an integer.
func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("task id must be a string or an integer, got %s", b)
	}
	if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
		return fmt.Errorf("task id must be a string or an integer, got %s", b)
	}
	*f = flexID(n.String())
	return nil
}

func flexIDs(in []flexID) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// Annotation sets. Every tool states all four hints explicitly.
func annotations(title string, readOnly, destructive, idempotent, openWorld bool) mcpgo.ToolOption {
	return mcpgo.WithToolAnnotation(mcpgo.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    &readOnly,
		DestructiveHint: &destructive,
		IdempotentHint:  &idempotent,
		OpenWorldHint:   &openWorld,
	})
}

// readOnlyTool: reads local files only.
func readOnlyTool(title string) mcpgo.ToolOption { return annotations(title, true, false, true, false) }

// localWriteTool: writes local team files, never destroys anything a user
// cannot recreate; safe to run unattended (Codex does so only with
// destructiveHint false and openWorldHint false).
func localWriteTool(title string) mcpgo.ToolOption {
	return annotations(title, false, false, false, false)
}

// destructiveTool: kills processes or deletes a team.
func destructiveTool(title string) mcpgo.ToolOption {
	return annotations(title, false, true, false, false)
}
