// Package statussock is the status-socket protocol between the process
// that supervises a team and every other claude-teams process of the same
// user: newline-delimited JSON requests over a Unix socket (SocketPath),
// served by SocketServer for a Service and called by SocketClient, which is
// itself a Service. It knows nothing of tmux; it may import protocol and
// tmuxconv (for the data-root hash in socket names).
package statussock
