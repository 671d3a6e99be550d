// Package mcp serves the claude-teams tools over the Model Context Protocol:
// it validates tool input, calls protocol for files and reaches the
// supervisor only through the small Supervisor interface it declares itself.
//
// It may import protocol and backends, and nothing else of ours.
package mcp
