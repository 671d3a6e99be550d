// Package protocol owns the files of Claude Code's agent-teams protocol: team
// configs, inboxes, tasks, their lock directories and atomic writes, and the
// small state files of our own that live beside them (PROTOCOL.md).
//
// Every write goes through one locked read-modify-write helper (transform):
// Claude Code's lock directories, validation before any write, then atomic
// replacement (temp file, fsync, rename, fsync of the directory). Readers
// take no lock.
//
// It knows nothing of MCP, tmux or processes: it writes no logs and reads
// no environment variables; the data root is passed in. The only goroutine
// it starts refreshes the locks of one operation and ends before that
// operation returns.
package protocol
