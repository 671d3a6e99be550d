// Command claude-teams is an MCP server for agent teams (Claude Code, Codex,
// OpenCode, Gemini CLI) that also supervises the teammates it starts.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

func main() {
	// stdout belongs to the MCP protocol: keep the real one for run and
	// point os.Stdout at stderr, so a stray print can never corrupt it.
	stdout := os.Stdout
	os.Stdout = os.Stderr
	err := run(context.Background(), os.Args[1:], os.Stdin, stdout, os.Stderr, os.Environ())
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "claude-teams: %v\n", err)
		os.Exit(1)
	}
}
