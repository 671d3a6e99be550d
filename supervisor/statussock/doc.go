// Package statussock is the status-socket protocol between the process
// that supervises a team and every other claude-teams process of the same
// user: newline-delimited JSON requests over a Unix socket (SocketPath),
// served by SocketServer for a Service and called by SocketClient, which is
// itself a Service. Both ends trust a socket only where it is provably the
// user's own (locate.go: directory and file owned by us, 0700, no symbolic
// link, the peer's uid, a ping naming the data root), and an owner refused
// the usual directory listens at a fallback under the data root that
// clients find the same way (ListenTeam, DialTeam). It knows nothing of tmux; it may import protocol and
// tmuxconv (for the data-root hash in socket names).
package statussock
