// Package dirwatch reports changes to the files of a few directories:
// inotify on Linux; elsewhere New fails and callers poll. It says which
// files changed, so a reader re-reads only those. mcp (poll_inbox) and the
// supervisor's work watcher share it; it imports nothing of ours.
package dirwatch
