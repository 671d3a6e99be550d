// Package mcp serves the claude-teams tools over the Model Context Protocol:
// it validates tool input, calls protocol for files and reaches the
// supervisor only through the small Supervisor interface it declares itself.
//
// One constructor per tool returns the tool (schema, output schema,
// annotations) and its handler; every failure a caller can cause is an
// isError result naming the bad value, never a JSON-RPC error. Server.Listen
// serves one stdio session, identifies the client in both protocol eras
// (initialize, or each request's _meta) and answers every request it read
// before stdin ends. Pane tools are registered only with a Supervisor.
//
// It may import protocol and backends, and nothing else of ours. It reads
// no environment: cmd/claude-teams passes everything in Config.
package mcp
