// Package protocol owns the files of Claude Code's agent-teams protocol: team
// configs, inboxes, tasks, their lock directories and atomic writes, and the
// small state files of our own that live beside them.
//
// It knows nothing of MCP, tmux or processes: it starts no goroutines, writes
// no logs and reads no environment variables. The data root is passed in.
package protocol
