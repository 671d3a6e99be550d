// Package supervisor owns the live state of every supervised team: one owner
// loop per team that holds the team's supervisor lock, one tmux control-mode
// connection, the teammates' state machines, restart policy, health checks,
// output capture, lead notifications and the status socket.
//
// It may import tmuxcc, backends and protocol, and nothing else of ours.
package supervisor
