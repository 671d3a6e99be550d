// Package tmuxcc owns one persistent tmux control-mode connection (tmux -CC
// under a pty, or plain -C over pipes). It turns tmux's control protocol into
// typed Go values and runs tmux commands over the same connection.
//
// It knows nothing of teams or agents and imports no package of ours.
package tmuxcc
